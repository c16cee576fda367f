"""Every contract model refuses text no database, log or event can hold: a NUL character or
half of a surrogate pair, anywhere in the input (nested models, lists, dict keys)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from keten_contracts.resources import get_resource
from keten_contracts.resources.gemeente import Adres

ADRES = {"straat": "Dam", "huisnummer": "1", "postcode": "1012JS", "woonplaats": "Amsterdam"}


@pytest.mark.parametrize("bad", ["\x00", "\ud800", "Dam\udfff", "a\x00b"])
def test_a_nul_or_an_unpaired_surrogate_is_refused(bad: str):
    with pytest.raises(ValidationError, match="NUL character or an unpaired surrogate"):
        Adres.model_validate({**ADRES, "straat": bad})
    # Nested: the dossier's address, and a list of strings (the PIP's doelen).
    dossier = dict(get_resource("dossier").example)
    with pytest.raises(ValidationError, match="unpaired surrogate"):
        get_resource("dossier").model.model_validate({**dossier, "adres": {**ADRES, "straat": bad}})
    pip = dict(get_resource("pip").example)
    with pytest.raises(ValidationError, match="unpaired surrogate"):
        get_resource("pip").model.model_validate({**pip, "doelen": ["B1", bad]})


def test_other_unicode_and_control_characters_are_text_like_any_other():
    assert Adres.model_validate({**ADRES, "straat": "Ĳsselmeerstraße 😀 \x1b"}).straat.startswith(
        "Ĳ"
    )
