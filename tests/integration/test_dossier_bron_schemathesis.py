"""Schemathesis against dossier-bron running as its own process (``keten run dossier-bron``), on
a real PostgreSQL and Kafka, serving Amsterdam (0363) and Utrecht (0344), with duo-adapter as
its own process too (the ``/api/v1/duo-signalen`` work list is read at DUO's source): a fixed
seed, 50 examples per operation, every phase including the stateful one, a valid token per
role. Checks: not_a_server_error, response_schema_conformance, status_code_conformance.

Real data is seeded through the APIs first (dossier rows as COA's koppeling opens them), and
its ids are given to the runs, so path parameters resolve and the views are checked against
their documented schemas (random ids only ever get 404). Each role runs over the tags and
operations it uses; the test fails when an ``/api/`` operation was never exercised, or only
ever answered 401 or 403."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from dossier_bron.bench import INTAKE, dossiers_openen
from keten_contracts.clients import Doel
from keten_contracts.envelope import is_bsn
from keten_contracts.parties import Rol
from keten_core.auth import Party
from keten_core.testing import fresh_database
from tests.integration.test_dossier_bron import (
    AMSTERDAM,
    AMSTERDAM_OIN,
    BRON_BIJ_DUO,
    DUO_OIN,
    DUO_TESTER,
    SLEUTEL,
    UTRECHT_OIN,
    party,
)
from tests.integration.test_dossier_bron_begeleiding import CBS_BIJ_BRON
from tests.integration.test_dossier_bron_handhaving import DUO_VERZOEK, START, boete, waarschuwing
from tests.integration.test_dossier_bron_intake_pip import DUO_BIJ_BRON, KLANTMANAGER, PIP
from tests.integration.test_dossier_bron_inzage import PRIVACY_AMSTERDAM
from tests.integration.test_dossier_bron_opdrachten import (
    B1,
    LBT_AFNEMER,
    LBT_OIN,
    MAP,
    MAP_BUREAU,
    MB_OIN,
    MB_STICHTING,
    TAALSCHOOL,
    VOORTGANG,
)
from tests.integration.test_dossier_bron_verhuizing import NIEUW, OUD
from tests.integration.test_service import free_port
from tests.schemathesis_support import (
    schemathesis,
    service_process,
    statuses_per_operation,
    token,
)

pytest.importorskip("schemathesis")

pytestmark = [
    pytest.mark.kafka,
    pytest.mark.postgres,
    pytest.mark.slow,
    # Fourteen runs of 50 examples per operation: far beyond the suite's default of 300 s.
    pytest.mark.timeout(3600),
]

Z_OIN = "00000003273280480000"
Z_AANBIEDER = party(
    "dossier-bron", "z-route-aanbieder", Z_OIN, Rol.Z_ROUTE_AANBIEDER, Doel.OPDRACHT_UITVOERING
)
BRON_PARTIES = [
    AMSTERDAM,
    OUD,
    NIEUW,
    KLANTMANAGER,
    DUO_BIJ_BRON,
    DUO_VERZOEK,
    TAALSCHOOL,
    MAP_BUREAU,
    Z_AANBIEDER,
    MB_STICHTING,
    LBT_AFNEMER,
    CBS_BIJ_BRON,
    PRIVACY_AMSTERDAM,
]
# The aanbieder's operations: its opdracht, its reports on it and their corrections.
AANBIEDER_PAD = re.compile(
    r"^/api/v1/(opdrachten/\{opdrachtId\}(/[a-z-]+)?|[a-z-]+-rapporten/\{rapportId\}/correcties)$"
)


@pytest.fixture
async def databases(postgres_server_url: str) -> AsyncIterator[dict[str, str]]:
    async with (
        fresh_database(postgres_server_url) as bron,
        fresh_database(postgres_server_url) as duo,
    ):
        yield {"bron": bron, "duo": duo}


@pytest.fixture
def keten(
    databases: dict[str, str], kafka_bootstrap_servers: str, tmp_path: Path
) -> Iterator[dict[str, str]]:
    """duo-adapter and dossier-bron as their own processes on one topic prefix (dossier-bron
    takes DUO's plicht, duo-adapter the gemeente's events), each with its credential at the
    other's source."""
    ports = {"bron": free_port(), "duo": free_port()}
    root = {name: f"http://127.0.0.1:{port}/api/v1" for name, port in ports.items()}
    prefix = f"st{ports['bron']}."
    shared = {"KETEN_TOPIC_PREFIX": prefix, "KETEN_DEAD_LETTER_TOPIC": f"{prefix}deadletter"}

    def bron_bij(url: str, p: Party) -> str:
        return json.dumps(
            [{"base_url": url, "client_id": p.client_id, "secret": p.secret.get_secret_value()}]
        )

    with (
        service_process(
            "duo-adapter",
            database=databases["duo"],
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            oin=DUO_OIN,
            parties=[DUO_TESTER, BRON_BIJ_DUO],
            sleutel=SLEUTEL,
            log_path=tmp_path / "duo.log",
            port=ports["duo"],
            extra_env={**shared, "KETEN_BRONNEN": bron_bij(root["bron"], DUO_BIJ_BRON)},
        ) as duo,
        service_process(
            "dossier-bron",
            database=databases["bron"],
            kafka_bootstrap_servers=kafka_bootstrap_servers,
            oin=AMSTERDAM_OIN,
            parties=BRON_PARTIES,
            sleutel=SLEUTEL,
            log_path=tmp_path / "bron.log",
            port=ports["bron"],
            extra_env={
                **shared,
                "KETEN_CONTROL_API": "false",
                "KETEN_GEMEENTEN": json.dumps({"0363": AMSTERDAM_OIN, "0344": UTRECHT_OIN}),
                "KETEN_BRONNEN": bron_bij(root["duo"], BRON_BIJ_DUO),
                "KETEN_DUO_BRON_URL": root["duo"],
            },
        ) as bron,
    ):
        yield {"bron": bron, "duo": duo}


@pytest.fixture
async def dossiers(keten: dict[str, str], databases: dict[str, str]) -> dict[str, str]:
    """Complete asielstatushouder dossiers of 0363 (after the service migrated its database),
    dossier id -> BSN; eleven, so that at least two have a BSN passing the elfproef
    (``dossiers_openen`` numbers them from 100000000)."""
    ids = await dossiers_openen(databases["bron"], 11)
    engine = create_async_engine(databases["bron"])
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT dossier_id, bsn FROM dossier"))
            bsns = {r.dossier_id: r.bsn for r in rows}
    finally:
        await engine.dispose()
    return {d: bsns[d] for d in ids}


@dataclass
class Seeder:
    """Calls through the APIs as a given party, failing loudly on an unexpected answer."""

    bron: str
    duo: str

    def call(
        self,
        method: str,
        path: str,
        who: Party,
        body: Any = None,
        *,
        base: str | None = None,
        expect: tuple[int, ...] = (200, 201),
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        answer = httpx.request(
            method,
            f"{base or self.bron}{path}",
            json=body,
            headers={"Authorization": f"Bearer {token(who)}", **(headers or {})},
            timeout=30,
        )
        assert answer.status_code in expect, (method, path, answer.status_code, answer.text)
        return answer.json() if answer.headers.get("content-type", "").endswith("json") else None

    def status(self, path: str, who: Party) -> int:
        answer = httpx.get(
            f"{self.bron}{path}", headers={"Authorization": f"Bearer {token(who)}"}, timeout=30
        )
        return answer.status_code

    def api(self, method: str, path: str, who: Party = AMSTERDAM, body: Any = None) -> Any:
        return self.call(method, f"/api/v1{path}", who, body)

    def control(self, path: str, body: Any) -> Any:
        return self.call("POST", f"/control{path}", DUO_TESTER, body, base=self.duo)

    def rapport(self, opdracht: str, kind: str, who: Party, body: Any) -> str:
        answer = self.call(
            "POST",
            f"/api/v1/opdrachten/{opdracht}/{kind}en",
            who,
            body,
            headers={"Idempotency-Key": f"seed-{kind}-{opdracht}"},
        )
        return str(answer["rapportId"])

    def until(self, probe: Callable[[], Any], what: str, timeout_s: float = 60) -> Any:
        """Poll ``probe`` until it answers something truthy (events travel asynchronously)."""
        deadline = time.monotonic() + timeout_s
        while not (found := probe()):
            assert time.monotonic() < deadline, f"timed out waiting for {what}"
            time.sleep(0.3)
        return found


def _met_plicht(s: Seeder, dossier_id: str, bsn: str) -> str:
    """DUO decides the plicht of the dossier's person; returns DUO's person id once the
    dossier joined it (and DUO's right to maatschappelijke begeleiding came with it)."""
    persoon = s.control(
        "/inburgeringsplichtigen",
        {"bsn": bsn, "doelgroep": "asielstatushouder", "gemeentecode": "0363"},
    )["inburgeringsplichtigeId"]
    s.control(f"/inburgeringsplichtigen/{persoon}/plicht", {})
    s.until(
        lambda: s.api("GET", f"/dossiers/{dossier_id}").get("inburgeringsplichtId"),
        "the dossier to join DUO's plicht",
    )
    return str(persoon)


def _met_pip(s: Seeder, dossier_id: str) -> tuple[str, str]:
    """A completed brede intake (the person came to the first invitation) and a PIP."""
    intake = s.api(
        "POST", f"/dossiers/{dossier_id}/intake/uitnodigingen", body={"datum": "2026-01-05"}
    )
    intake_id = intake["intakeId"]
    s.api("PUT", f"/intakes/{intake_id}/uitnodigingen/1/aanwezigheid", body={"verschenen": True})
    s.api("POST", f"/intakes/{intake_id}/afronding", body=INTAKE)
    pip = s.api("POST", f"/dossiers/{dossier_id}/pip", body={**PIP, "intensiteitUren": 600})
    return str(intake_id), str(pip["pipId"])


def _opdracht(s: Seeder, dossier_id: str, body: dict[str, Any]) -> str:
    return str(s.api("POST", f"/dossiers/{dossier_id}/opdrachten", body=body)["opdrachtId"])


@dataclass
class Run:
    """One schemathesis run: a party over one tag, limited to ``keep`` (None: every operation
    of the tag), with its path parameters (``per_operation``: where one name means different
    resources in different operations)."""

    name: str
    who: Party
    tag: str
    parameters: dict[str, str]
    keep: Callable[[str, str], bool] | None = None
    per_operation: dict[str, dict[str, str]] = field(default_factory=dict)

    def config(self, operations: set[str]) -> str:
        # Every failure of an operation is reported, not only its first: one undocumented
        # answer must not hide the others behind it.
        lines = ["continue-on-failure = true", "", "[parameters]"]
        lines += [f'"path.{k}" = "{v}"' for k, v in sorted(self.parameters.items())]
        for label, values in sorted(self.per_operation.items()):
            lines += ["", "[[operations]]", f"include-name = '{label}'"]
            lines.append(
                "parameters = { "
                + ", ".join(f'"path.{k}" = "{v}"' for k, v in sorted(values.items()))
                + " }"
            )
        if self.keep is not None:
            af = sorted(o for o in operations if not self.keep(*o.split(" ", 1)))
            if af:
                # Schemathesis's own switch: these are never sent in this run.
                lines += ["", "[[operations]]", "include-name = ["]
                lines += [f"  '{label}'," for label in af]
                lines += ["]", "enabled = false"]
        return "\n".join(lines) + "\n"


def _aanbieder(method: str, path: str) -> bool:
    return AANBIEDER_PAD.match(path) is not None


def _reads(method: str, path: str) -> bool:
    return method == "GET"


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(
    keten: dict[str, str], dossiers: dict[str, str], tmp_path: Path
):
    document = httpx.get(f"{keten['bron']}/openapi.json").json()
    operations = {
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method in item
        if path.startswith("/api/")
    }
    per_tag: dict[str, set[str]] = defaultdict(set)
    for path, item in document["paths"].items():
        for method, op in item.items():
            if path.startswith("/api/"):
                for tag in op.get("tags", []):
                    per_tag[tag].add(f"{method.upper()} {path}")

    s = Seeder(keten["bron"], keten["duo"])
    # Two dossiers whose BSN passes the elfproef: DUO registers no other.
    hoofd, verhuisd = [d for d, bsn in dossiers.items() if is_bsn(bsn)][:2]
    plicht_persoon = _met_plicht(s, hoofd, dossiers[hoofd])
    _met_plicht(s, verhuisd, dossiers[verhuisd])

    # The main dossier: intake, PIP, offer, opdrachten of every aanbieder kind, their reports.
    intake_id, pip_id = _met_pip(s, hoofd)
    aanbod = s.api("POST", f"/pips/{pip_id}/inburgeringsaanbod", body={"datumAanbod": "2026-03-01"})
    b1 = _opdracht(s, hoofd, B1)
    b1_klaar = _opdracht(s, hoofd, B1)  # ended by its report, so b1 itself stays open
    map_id = _opdracht(s, hoofd, MAP)
    z = _opdracht(
        s,
        hoofd,
        {
            "soort": "z-route",
            "aanbiedersoort": "z-route-aanbieder",
            "aanbiederOin": Z_OIN,
            "aanbiederNaam": "Z-route Amstel",
            "beoogdeStart": "2026-02-01",
        },
    )
    mb = _opdracht(
        s,
        hoofd,
        {
            "soort": "maatschappelijke-begeleiding",
            "aanbiedersoort": "mb-aanbieder",
            "aanbiederOin": MB_OIN,
            "aanbiederNaam": "Stichting Welkom",
            "beoogdeStart": "2026-02-01",
        },
    )
    lbt = _opdracht(
        s,
        hoofd,
        {
            "soort": "leerbaarheidstoets",
            "aanbiedersoort": "lbt-afnemer",
            "aanbiederOin": LBT_OIN,
            "aanbiederNaam": "Toetsbureau",
            "beoogdeStart": "2026-01-08",
        },
    )
    rapporten = {
        "traject-gestart-rapport": s.rapport(
            b1, "traject-gestart-rapport", TAALSCHOOL, {"gerealiseerdeStartdatum": "2026-02-15"}
        ),
        "voortgang-rapport": s.rapport(b1, "voortgang-rapport", TAALSCHOOL, VOORTGANG),
        "resultaat-rapport": s.rapport(
            b1,
            "resultaat-rapport",
            TAALSCHOOL,
            {"soort": "tussentijds", "datum": "2026-05-31", "behaald": True},
        ),
        "advies-rapport": s.rapport(
            b1,
            "advies-rapport",
            TAALSCHOOL,
            {
                "advies": "intensiteit-verhogen",
                "onderbouwing": ["voortgang-onvoldoende"],
                "urenGerealiseerdTotaal": 40,
            },
        ),
        "z-route-resultaat-rapport": s.rapport(
            z,
            "z-route-resultaat-rapport",
            Z_AANBIEDER,
            {
                "peildatum": "2026-06-01",
                "urenTaalGerealiseerd": 400,
                "urenParticipatieGerealiseerd": 300,
                "afgerond": False,
            },
        ),
        "traject-beeindigd-rapport": s.rapport(
            b1_klaar,
            "traject-beeindigd-rapport",
            TAALSCHOOL,
            {"einddatum": "2026-06-01", "afgerond": True},
        ),
    }
    map_voortgang = s.rapport(map_id, "voortgang-rapport", MAP_BUREAU, VOORTGANG)
    s.call(
        "PUT",
        f"/api/v1/opdrachten/{mb}/mb-rapportage",
        MB_STICHTING,
        {"onderdelen": [{"soort": "hulp-start-inburgering", "startdatum": "2026-02-01"}]},
    )
    s.call(
        "PUT",
        f"/api/v1/opdrachten/{lbt}/lbt-resultaat",
        LBT_AFNEMER,
        {"toetsdatum": "2026-01-08", "uitslag": "b1-haalbaar"},
    )
    uren = s.api(
        "POST",
        f"/dossiers/{hoofd}/urenverantwoordingen",
        body={"peildatum": "2026-05-31", "reden": "verlenging"},
    )
    map_traject = s.api("POST", f"/dossiers/{hoofd}/map-trajecten", body=START)["mapId"]
    pvt_traject = s.api("POST", f"/dossiers/{hoofd}/pvt-trajecten", body=START)["pvtId"]
    fine = s.api(
        "POST", f"/dossiers/{hoofd}/handhavingsmaatregelen", body=boete("2026-02-01", 100)
    )["handhavingsmaatregelId"]
    pw = s.api(
        "POST",
        f"/dossiers/{hoofd}/participatiewet-maatregelen",
        KLANTMANAGER,
        {"gedraging": "map-niet-meewerken", "besluitdatum": "2026-05-01"},
    )
    begeleiding = s.api(
        "POST",
        f"/dossiers/{hoofd}/begeleidingen",
        body={"soort": "maatschappelijke-begeleiding", "startdatum": "2026-02-01"},
    )["begeleidingId"]

    # DUO's request for the fine (dossier-bron fetches it on DUO's event) and a signaal for
    # the gemeente's work list (read at DUO's source).
    verzoek = s.control(
        f"/inburgeringsplichtigen/{plicht_persoon}/handhavingsverzoeken",
        {"handhavingsmaatregelIds": [fine]},
    )["handhavingsverzoekId"]
    s.until(
        lambda: (
            s.status(f"/api/v1/handhavingsverzoeken/{verzoek}/handhavingsmaatregelen", DUO_VERZOEK)
            == 200
        ),
        "dossier-bron to take DUO's handhavingsverzoek",
    )
    signaal = s.control(
        f"/inburgeringsplichtigen/{plicht_persoon}/signalen", {"code": "pip-aanleveren"}
    )["signaalId"]
    assert signaal in {x["signaalId"] for x in s.api("GET", "/duo-signalen")}

    # The PIP of 15 January registered today, far more than 10 workdays later: overdue.
    overschreden = s.api("POST", "/termijnbewaking", body={})
    assert overschreden, "no termijnoverschrijding found to read"
    termijn = overschreden[0]["termijnoverschrijdingId"]

    # The privacy officer's report on the main dossier's person (the run itself only has
    # random BSNs: 404 or 422).
    s.api("POST", "/inzageverzoeken", PRIVACY_AMSTERDAM, {"bsn": dossiers[hoofd]})

    # The move: Utrecht asks for the other dossier, Amsterdam answers with its package.
    oud_intake, oud_pip = _met_pip(s, verhuisd)
    oud_opdracht = _opdracht(s, verhuisd, B1)
    oud_maatregel = s.api(
        "POST", f"/dossiers/{verhuisd}/handhavingsmaatregelen", body=waarschuwing("2026-02-01")
    )["handhavingsmaatregelId"]
    oud_plicht = s.api("GET", f"/dossiers/{verhuisd}")["inburgeringsplichtId"]
    ovz = s.api(
        "POST",
        "/overdrachtsverzoeken",
        NIEUW,
        {"vorigeGemeentecode": "0363", "inburgeringsplichtId": oud_plicht, "datum": "2026-09-01"},
    )["overdrachtsverzoekId"]
    pakket = s.api("POST", f"/overdrachtsverzoeken/{ovz}/overdracht", OUD, {"datum": "2026-09-08"})
    ovd = pakket["overdrachtId"]
    delen = {o["soort"]: o["resourceId"] for o in pakket["onderdelen"]}
    assert delen == {
        "intake": oud_intake,
        "pip": oud_pip,
        "opdracht": oud_opdracht,
        "handhavingsmaatregel": oud_maatregel,
    }

    bron_ids = {
        "dossierId": hoofd,
        "intakeId": intake_id,
        "volgnummer": "1",
        "pipId": pip_id,
        "inburgeringsaanbodId": aanbod["inburgeringsaanbodId"],
        "opdrachtId": b1,
        "handhavingsmaatregelId": fine,
        "handhavingsverzoekId": verzoek,
        "participatiewetMaatregelId": pw["participatiewetMaatregelId"],
        "urenverantwoordingId": uren["urenverantwoordingId"],
        "begeleidingId": begeleiding,
        "termijnoverschrijdingId": termijn,
        "signaalId": signaal,
    }
    # One name, different resources: each report kind and each traject its own id.
    per_operation = {
        f"{method} /api/v1/{kind}en/{{rapportId}}{suffix}": {"rapportId": rid}
        for kind, rid in rapporten.items()
        for method, suffix in (("GET", ""), ("POST", "/correcties"))
    } | {
        f"{method} /api/v1/{kind}/{{trajectId}}{suffix}": {"trajectId": tid}
        for kind, tid in (("map-trajecten", map_traject), ("pvt-trajecten", pvt_traject))
        for method, suffix in (("GET", ""), ("POST", "/afronding"))
    }
    verhuizing_ids = {"overdrachtsverzoekId": ovz, "overdrachtId": ovd}
    per_onderdeel = {
        f"GET /api/v1/overdrachten/{{overdrachtId}}/{collection}/{{resourceId}}": {
            "resourceId": delen[soort]
        }
        for soort, collection in (
            ("intake", "intakes"),
            ("pip", "pips"),
            ("opdracht", "opdrachten"),
            ("handhavingsmaatregel", "handhavingsmaatregelen"),
        )
    }

    def aanbieder(who: Party, opdracht: str, eigen: dict[str, str]) -> Run:
        """An aanbieder over its opdracht, its reports and their corrections (its own report
        ids; another's answer 404)."""
        return Run(
            who.client_id,
            who,
            "bron",
            {"opdrachtId": opdracht},
            _aanbieder,
            {
                f"POST /api/v1/{kind}en/{{rapportId}}/correcties": {"rapportId": rid}
                for kind, rid in eigen.items()
            },
        )

    taal_eigen = {k: v for k, v in rapporten.items() if k != "z-route-resultaat-rapport"}
    # Aanbieders and DUO first: the gemeente's own run may end the opdrachten and trajecten.
    runs = [
        aanbieder(TAALSCHOOL, b1, taal_eigen),
        aanbieder(MAP_BUREAU, map_id, {"voortgang-rapport": map_voortgang}),
        aanbieder(
            Z_AANBIEDER, z, {"z-route-resultaat-rapport": rapporten["z-route-resultaat-rapport"]}
        ),
        aanbieder(MB_STICHTING, mb, {}),
        aanbieder(LBT_AFNEMER, lbt, {}),
        Run("duo", DUO_BIJ_BRON, "bron", bron_ids, _reads, per_operation),
        Run(
            "duo-verzoek",
            DUO_VERZOEK,
            "bron",
            bron_ids,
            lambda m, p: p.startswith("/api/v1/handhavingsverzoeken/"),
        ),
        Run(
            "cbs",
            CBS_BIJ_BRON,
            "bron",
            bron_ids,
            lambda m, p: p.startswith("/api/v1/begeleidingen/"),
        ),
        Run(
            "klantmanager",
            KLANTMANAGER,
            "bron",
            bron_ids,
            lambda m, p: m == "GET" or "participatiewet" in p,
            per_operation,
        ),
        Run("privacy", PRIVACY_AMSTERDAM, "privacy", {}),
        Run("werkvoorraad", AMSTERDAM, "werkvoorraad", bron_ids),
        Run("verhuizing-oud", OUD, "verhuizing", verhuizing_ids, None, per_onderdeel),
        Run("verhuizing-nieuw", NIEUW, "verhuizing", verhuizing_ids, None, per_onderdeel),
        Run("gemeente", AMSTERDAM, "bron", bron_ids, None, per_operation),
    ]

    seen: dict[str, set[int]] = defaultdict(set)
    failed: list[str] = []
    for run in runs:
        config = tmp_path / f"{run.name}.toml"
        config.write_text(run.config(per_tag[run.tag]))
        report = tmp_path / f"{run.name}.ndjson"
        started = time.monotonic()
        result = schemathesis(keten["bron"], run.who, run.tag, report, config)
        # Kept beside the report: the assertion below shows only the tails.
        (tmp_path / f"{run.name}.out").write_text(result.stdout + result.stderr)
        print(
            f"{run.name} ({run.tag}): exit {result.returncode}, {time.monotonic() - started:.0f} s"
        )
        if result.returncode != 0 or "Stateful" not in result.stdout:
            failed.append(f"== {run.name} ==\n{result.stdout[-20000:]}{result.stderr[-5000:]}")
        for label, statuses in statuses_per_operation(report).items():
            if label in operations:  # not the probes of undocumented methods (405)
                seen[label] |= statuses
    # First what the runs covered (so a failing run still shows whether the rest was reached),
    # then what they found.
    assert set(seen) == operations, sorted(operations - set(seen))
    only_refused = {label for label, statuses in seen.items() if statuses <= {401, 403}}
    assert not only_refused, f"never exercised beyond 401/403: {sorted(only_refused)}"
    # Real views were served (and so checked against their schemas).
    for label in (
        "GET /api/v1/dossiers/{dossierId}",
        "GET /api/v1/intakes/{intakeId}",
        "GET /api/v1/intakes/{intakeId}/uitnodigingen/{volgnummer}/brief",
        "GET /api/v1/pips/{pipId}",
        "GET /api/v1/dossiers/{dossierId}/pip/versies",
        "GET /api/v1/inburgeringsaanbiedingen/{inburgeringsaanbodId}",
        "GET /api/v1/opdrachten/{opdrachtId}",
        "GET /api/v1/dossiers/{dossierId}/uren",
        "GET /api/v1/urenverantwoordingen/{urenverantwoordingId}",
        *(f"GET /api/v1/{kind}en/{{rapportId}}" for kind in rapporten),
        "GET /api/v1/map-trajecten/{trajectId}",
        "GET /api/v1/pvt-trajecten/{trajectId}",
        "GET /api/v1/handhavingsmaatregelen/{handhavingsmaatregelId}",
        "GET /api/v1/dossiers/{dossierId}/handhavingsmaatregelen/besluiten",
        "GET /api/v1/handhavingsverzoeken/{handhavingsverzoekId}/handhavingsmaatregelen",
        "GET /api/v1/participatiewet-maatregelen/{participatiewetMaatregelId}",
        "GET /api/v1/begeleidingen/{begeleidingId}",
        "GET /api/v1/termijnoverschrijdingen/{termijnoverschrijdingId}",
        "GET /api/v1/duo-signalen",
        "GET /api/v1/overdrachtsverzoeken/{overdrachtsverzoekId}",
        "GET /api/v1/overdrachten/{overdrachtId}",
        *per_onderdeel,
    ):
        assert seen[label] & {200}, (label, seen[label])
    assert not failed, "\n".join(failed)
