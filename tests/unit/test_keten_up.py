"""The pure parts of ``keten up`` (``keten_core.chain``): ports, names, the generated party
registry and each service's environment, the state files, the log tail."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from keten_contracts.parties import Rol
from keten_core.auth import PartyRegistry, TokenVerifier, encode_zgw_token
from keten_core.chain import (
    CHAIN,
    DEFAULT_PORT_BASE,
    ChainConfig,
    ChainSecrets,
    ChainState,
    build_parties,
    infra,
    is_chain_process,
    last_lines,
    process_env,
    run_command,
    service_env,
)
from keten_core.infra import InfraError, InfraSettings
from keten_core.settings import SERVICES

SERVER = "postgresql+asyncpg://keten:keten@127.0.0.1:55432/keten"


def env_of(service: str, config: ChainConfig | None = None) -> dict[str, str]:
    config = config or ChainConfig.new()
    return service_env(
        service,
        config,
        ChainSecrets.new(),
        build_parties(),
        parties_file=Path("/state/chain/parties.json"),
        kafka_bootstrap="127.0.0.1:19092",
        database_url=SERVER,
        kafka_sasl=("127.0.0.1:19094", "keten-router", "pw-0123456789"),
    )


def test_the_chain_is_the_services_of_the_settings_on_documented_ports() -> None:
    assert tuple(s.name for s in CHAIN) == SERVICES
    config = ChainConfig.new()
    assert [config.ports[s] for s in SERVICES] == [DEFAULT_PORT_BASE + i for i in range(1, 6)]
    assert config.url("dossier-bron") == f"http://127.0.0.1:{DEFAULT_PORT_BASE + 3}"
    free = ChainConfig.new(port_base=0)
    assert len(set(free.ports.values())) == len(SERVICES)
    for wrong in (80, 70000):
        with pytest.raises(InfraError):
            ChainConfig.new(port_base=wrong)


def test_a_named_chain_has_its_own_databases_and_topic_prefix() -> None:
    default = ChainConfig.new()
    assert default.topic_prefix == "" and default.database("dossier-bron") == "keten_dossier_bron"
    named = ChainConfig.new("sandbox1")
    assert named.topic_prefix == "sandbox1."
    assert named.database("notificatie-router") == "keten_sandbox1_notificatie_router"
    for wrong in ("Sandbox", "1abc", "a.b", "a" * 21, 'x"; DROP'):
        with pytest.raises(InfraError):
            ChainConfig.new(wrong)
    assert ChainConfig.from_json(named.to_json()) == named


def test_the_registry_gives_each_caller_its_own_credential_per_service() -> None:
    parties = build_parties()
    registry = PartyRegistry(parties)  # refuses a shared client_id or secret
    assert len(registry) == len(parties)
    by_id = {p.client_id: p for p in parties}
    # The example aanbieders: subscribing at the router, their opdrachten at dossier-bron.
    for naam, rol in (("taalschool", Rol.TAALAANBIEDER), ("map-bureau", Rol.MAP_AANBIEDER)):
        assert by_id[f"{naam}-bij-router"].service == "notificatie-router"
        assert by_id[f"{naam}-bij-bron"].service == "dossier-bron"
        assert by_id[f"{naam}-bij-bron"].rol is rol
    # Fresh secrets on every call: a registry is generated once, then kept.
    again = {p.client_id: p for p in build_parties()}
    assert all(again[c].secret != by_id[c].secret for c in by_id)


@pytest.mark.parametrize(
    ("service", "source"),
    [
        ("dossier-bron", "coa-adapter"),
        ("dossier-bron", "duo-adapter"),
        ("duo-adapter", "dossier-bron"),
        ("cbs-leverancier", "dossier-bron"),
    ],
)
def test_a_services_credential_at_a_source_is_accepted_by_that_source(
    service: str, source: str
) -> None:
    # The way services call each other: KETEN_BRONNEN names the source's API root and a
    # client of that source's registry; its token must pass the source's own verifier.
    config = ChainConfig.new()
    parties = build_parties()
    env = service_env(
        service,
        config,
        ChainSecrets.new(),
        parties,
        parties_file=Path("/p.json"),
        kafka_bootstrap="127.0.0.1:19092",
        database_url=SERVER,
    )
    [credential] = [
        b for b in json.loads(env["KETEN_BRONNEN"]) if b["base_url"] == config.api(source)
    ]
    verifier = TokenVerifier(PartyRegistry(parties, service=source), service=source)
    token = encode_zgw_token(credential["client_id"], credential["secret"])
    assert verifier.verify(token).party.service == source


def test_each_service_gets_its_own_database_port_and_the_chains_prefix() -> None:
    config = ChainConfig.new("t1", port_base=20000)
    envs = {s: env_of(s, config) for s in SERVICES}
    assert {make_url(e["KETEN_DATABASE_URL"]).database for e in envs.values()} == {
        f"keten_t1_{s.replace('-', '_')}" for s in SERVICES
    }
    assert all(make_url(e["KETEN_DATABASE_URL"]).password == "keten" for e in envs.values())
    assert [e["KETEN_HTTP_PORT"] for e in envs.values()] == [str(20000 + i) for i in range(1, 6)]
    assert {e["KETEN_TOPIC_PREFIX"] for e in envs.values()} == {"t1."}
    assert {e["KETEN_DEAD_LETTER_TOPIC"] for e in envs.values()} == {"t1.keten.deadletter"}
    assert {e["KETEN_PARTIES_FILE"] for e in envs.values()} == {"/state/chain/parties.json"}
    router = envs["notificatie-router"]
    assert router["KETEN_ROUTER_SLEUTELS"] and router["KETEN_ROUTER_KAFKA_BOOTSTRAP"].endswith(
        ":19094"
    )
    assert "KETEN_ROUTER_SLEUTELS" not in envs["dossier-bron"]
    assert json.loads(envs["dossier-bron"]["KETEN_GEMEENTEN"]) == {
        "0363": envs["dossier-bron"]["KETEN_OIN"]
    }
    assert envs["dossier-bron"]["KETEN_DUO_BRON_URL"] == config.api("duo-adapter")


def test_the_callers_keten_variables_do_not_leak_into_a_service() -> None:
    env = process_env(
        {"KETEN_HTTP_PORT": "18101"},
        {"PATH": "/bin", "KETEN_PARTIES": "[]", "KETEN_LOG_LEVEL": "DEBUG", "KETEN_HTTP_PORT": "1"},
    )
    assert env == {"PATH": "/bin", "KETEN_LOG_LEVEL": "DEBUG", "KETEN_HTTP_PORT": "18101"}


def test_a_pid_is_the_chains_only_with_its_service_and_port_on_the_command_line() -> None:
    cmdline = " ".join(run_command("dossier-bron", 18103))
    assert is_chain_process(cmdline, "dossier-bron", 18103)
    assert not is_chain_process(cmdline, "dossier-bron", 18104)
    assert not is_chain_process(cmdline, "duo-adapter", 18103)
    assert not is_chain_process("/usr/bin/vim notes.txt", "dossier-bron", 18103)


def test_the_state_is_written_once_and_kept(tmp_path: Path) -> None:
    state = ChainState(tmp_path)
    config = state.ensure("abc", 0)
    files = {p: p.read_text() for p in (state.config_file, state.secrets_file, state.parties_file)}
    for secret in (state.secrets_file, state.parties_file):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600
    assert state.ensure(None, None) == config
    assert {p: p.read_text() for p in files} == files
    with pytest.raises(InfraError, match="named 'abc'"):
        state.ensure("other", None)
    with pytest.raises(InfraError, match="other ports"):
        state.ensure(None, 30000)
    assert state.pid("dossier-bron", config.ports["dossier-bron"]) is None
    # A stale pid file of a process that is not the service counts as not running.
    state.pid_file("dossier-bron").write_text("1\n")
    assert state.pid("dossier-bron", config.ports["dossier-bron"]) is None


def test_servers_named_in_the_environment_are_not_managed(tmp_path: Path) -> None:
    settings = InfraSettings(state_dir=tmp_path)
    both = {"KETEN_KAFKA_BOOTSTRAP_SERVERS": "x", "KETEN_DATABASE_URL": "y"}
    assert infra(settings, both).managed == []
    assert [s.name for s in infra(settings, {"KETEN_DATABASE_URL": "y"}).managed] == ["kafka"]
    assert [s.name for s in infra(settings, {}).managed] == ["kafka", "postgres"]
    assert infra(settings, {}).kafka_sasl is not None


def test_last_lines_reads_the_tail_of_a_long_log(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_text("".join(f"regel {i}\n" for i in range(100_000)))
    assert last_lines(log, 3) == ["regel 99997\n", "regel 99998\n", "regel 99999\n"]
    assert last_lines(log, 0) == []
    short = tmp_path / "short.log"
    short.write_text("a\nb")
    assert last_lines(short, 10) == ["a\n", "b"]


def test_keys_and_credentials_of_a_service_that_joined_later_are_added_not_replaced(
    tmp_path: Path,
) -> None:
    state = ChainState(tmp_path)
    state.ensure(None, None)
    # A chain made before cbs-leverancier existed: no CBS key, no entries for it.
    old = json.loads(state.secrets_file.read_text())
    del old["cbs_sleutels"], old["verwerkingslog"]["cbs-leverancier"]
    state.secrets_file.write_text(json.dumps(old))
    parties = [
        p for p in json.loads(state.parties_file.read_text()) if p["service"] != "cbs-leverancier"
    ]
    state.parties_file.write_text(json.dumps(parties))

    state.ensure(None, None)
    secrets = state.secrets()
    assert secrets.router_sleutels == old["router_sleutels"]
    assert secrets.verwerkingslog["dossier-bron"] == old["verwerkingslog"]["dossier-bron"]
    assert secrets.cbs_sleutels and secrets.verwerkingslog["cbs-leverancier"]
    assert state.secrets() == secrets  # written back: the next run uses the same keys
    now = {p.client_id: p for p in state.parties()}
    assert {p["client_id"]: p["secret"] for p in parties} == {
        c: now[c].secret.get_secret_value() for c in (p["client_id"] for p in parties)
    }
    assert any(p.service == "cbs-leverancier" for p in now.values())


def test_cbs_leverancier_gets_its_keys_and_its_gemeente() -> None:
    env = env_of("cbs-leverancier")
    assert env["KETEN_CBS_SLEUTELS"]
    assert json.loads(env["KETEN_CBS_GEMEENTEN"]) == {"0363": env["KETEN_OIN"]}
    assert "KETEN_CBS_SLEUTELS" not in env_of("dossier-bron")
