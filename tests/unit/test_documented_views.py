"""``source_read.gedocumenteerde_views``: a read open to several roles documents each role's
view, so every caller's answer matches the document (schemathesis checks it)."""

from __future__ import annotations

from typing import get_args

import pytest

from keten_contracts.parties import Rol
from keten_contracts.policy import view_model
from keten_core.source_read import gedocumenteerde_views


def test_one_view_per_role_that_reads_it():
    views = set(get_args(gedocumenteerde_views("opdracht", Rol.GEMEENTE, Rol.MAP_AANBIEDER)))
    assert views == {
        view_model("opdracht", Rol.GEMEENTE, same_gemeente=True),
        view_model("opdracht", Rol.MAP_AANBIEDER),
    }
    # The MAP aanbieder's view has no BSN and no dossier id; the gemeente's has both.
    kaart = view_model("opdracht", Rol.MAP_AANBIEDER).model_fields
    assert "bsn" not in kaart and "dossier_id" not in kaart


def test_a_single_view_is_the_model_itself_and_no_view_is_an_error():
    assert gedocumenteerde_views("pip", Rol.GEMEENTE) is view_model(
        "pip", Rol.GEMEENTE, same_gemeente=True
    )
    with pytest.raises(ValueError, match="reads anything of pip"):
        gedocumenteerde_views("pip", Rol.MAP_AANBIEDER)
