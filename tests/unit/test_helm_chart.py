"""The Helm chart (deploy/helm/keten): `helm lint`, `helm template`, and the rendered manifests
validated against the Kubernetes API schemas (kubernetes-validate ships them), then checked
against the kit: one set of objects per service, the kit's health endpoints as probes, only
settings the services read, and every secret from a Secret.

helm is the project's own tool (dev/setup builds it into .venv/bin): missing, this fails."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cryptography.fernet import Fernet
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from dossier_bron.main import GemeentenSettings
from dossier_bron.signalen import SignalenSettings
from keten_core.auth import PartiesSettings, TokenSettings
from keten_core.dataref import BronnenSettings
from keten_core.health import health_router
from keten_core.portaal import PortaalSettings
from keten_core.run import load_service
from keten_core.settings import SERVICES, KetenSettings
from notificatie_router.settings import RouterSettings

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "keten"
README = ROOT / "deploy" / "README.md"
# The oldest Kubernetes minor still supported by the big platforms, and the newest schema.
KUBERNETES_VERSIONS = ("1.30.0", "1.37.0")
SETTINGS: tuple[type[BaseSettings], ...] = (
    KetenSettings,
    RouterSettings,
    PartiesSettings,
    TokenSettings,
    BronnenSettings,
    GemeentenSettings,
    SignalenSettings,
    PortaalSettings,
)

# helm built from its module assumes Kubernetes 1.20: render for the oldest version validated.
KUBE_VERSION = ("--kube-version", KUBERNETES_VERSIONS[0])

# Every option switched on (the defaults are rendered too).
FULL_VALUES = {
    "oin": "00000001234567890000",
    "imagePullSecrets": ["registry"],
    "image": {"tag": "1.2.3"},
    "kafka": {
        "topicPrefix": "acc.",
        "security": {
            "protocol": "SASL_SSL",
            "tls": {"secretName": "kafka-ca", "certKey": "tls.crt", "keyKey": "tls.key"},
        },
    },
    "router": {
        "kafkaSinks": {"bootstrapServers": "kafka-sasl.kafka.svc:9094"},
        "console": {
            "oidcIssuer": "https://login.ssc.example/realms/keten",
            "basisUrl": "https://router.ssc.example",
            "oin": "00000001234567890000",
        },
    },
    "extraEnv": [
        {"name": "OTEL_EXPORTER_OTLP_ENDPOINT", "value": "http://otel-collector.observability:4317"}
    ],
    "otel": {"exporter": "otlp"},
    "nodeSelector": {"kubernetes.io/os": "linux"},
    "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "keten"}],
    "podAnnotations": {"prometheus.io/scrape": "true"},
    "services": {
        "coa-adapter": {"sandbox": True, "oin": "00000001003214345000"},
        "duo-adapter": {"sandbox": True, "publicUrl": "https://duo.test.example"},
        "dossier-bron": {
            "replicas": 3,
            "publicUrl": "https://dossier.gemeente.example",
            "ingress": {
                "host": "dossier.gemeente.example",
                "className": "nginx",
                "annotations": {"cert-manager.io/cluster-issuer": "pki-overheid"},
            },
            "podDisruptionBudget": {"minAvailable": 2},
            "config": {
                "KETEN_GEMEENTEN": '{"0363": "00000001002564440000"}',
                "KETEN_DUO_BRON_URL": "https://duo.test.example/api/v1",
            },
            "extraEnv": [{"name": "KETEN_JWT_EXPIRY", "value": "600"}],
        },
        "notificatie-router": {"config": {"KETEN_ROUTER_WORKERS": "128"}},
        "cbs-leverancier": {"enabled": False},
    },
}


def helm() -> str:
    found = Path(sys.executable).with_name("helm")
    path = str(found) if found.exists() else shutil.which("helm")
    if path is None:
        pytest.fail("helm is missing: ./dev/setup builds it into .venv/bin")
    return path


def run_helm(*args: str) -> str:
    done = subprocess.run([helm(), *args], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"helm {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def full_values(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # JSON is YAML, with every string quoted (an OIN unquoted would be a number to helm).
    path = tmp_path_factory.mktemp("helm") / "full.yaml"
    path.write_text(json.dumps(FULL_VALUES))
    return path


def render(*args: str) -> list[dict[str, Any]]:
    out = run_helm("template", "keten", str(CHART), "--namespace", "keten", *KUBE_VERSION, *args)
    return [doc for doc in yaml.safe_load_all(out) if doc]


@pytest.fixture(scope="module")
def default_docs() -> list[dict[str, Any]]:
    return render()


@pytest.fixture(scope="module")
def full_docs(full_values: Path) -> list[dict[str, Any]]:
    return render("--values", str(full_values))


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {
        doc["metadata"]["labels"]["app.kubernetes.io/name"]: doc
        for doc in docs
        if doc["kind"] == kind
    }


def env_names(settings: type[BaseSettings]) -> dict[str, bool]:
    """KETEN_<FIELD> -> whether the field holds a secret (SecretStr)."""
    prefix = settings.model_config.get("env_prefix", "")
    return {
        f"{prefix}{name}".upper(): SecretStr
        in (field.annotation, *getattr(field.annotation, "__args__", ()))
        for name, field in settings.model_fields.items()
    }


KNOWN: dict[str, bool] = {}
for _settings in SETTINGS:
    KNOWN.update(env_names(_settings))
try:
    from cbs_leverancier.main import CbsSettings
except ImportError:  # being written: its settings as keten_core.chain passes them
    KNOWN.update({"KETEN_CBS_SLEUTELS": True, "KETEN_CBS_GEMEENTEN": False})
else:
    KNOWN.update(env_names(CbsSettings))


def test_helm_lint_passes_strictly(full_values: Path) -> None:
    out = run_helm("lint", "--strict", str(CHART))
    assert "0 chart(s) failed" in out
    out = run_helm("lint", "--strict", str(CHART), "--values", str(full_values))
    assert "0 chart(s) failed" in out


@pytest.mark.parametrize(
    ("values", "message"),
    [
        # YAML reads an unquoted OIN as a number: its leading zeros would be lost.
        ("oin: 00000001234567890000\n", "at '/oin': got number, want string"),
        ("services:\n  coa-adapter:\n    controlAPI: true\n", "controlAPI"),
        ("services:\n  dossier-bron:\n    config: {GEMEENTEN: x}\n", "GEMEENTEN"),
        ("kafka:\n  topicPrefix: 'a b'\n", "/kafka/topicPrefix"),
        ("router:\n  console: {oin: '1234'}\n", "/router/console/oin"),
        (
            "router:\n  console: {oidcIssuer: 'https://login.example'}\n",
            "router.console.basisUrl is required with oidcIssuer",
        ),
    ],
)
def test_the_values_schema_refuses_mistakes(tmp_path, values, message):
    path = tmp_path / "values.yaml"
    path.write_text(values)
    done = subprocess.run(
        [helm(), "template", "keten", str(CHART), "--values", str(path), *KUBE_VERSION],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert message in done.stderr, done.stderr


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_rendered_manifest_is_valid_for_kubernetes(default_docs, full_docs, version):
    for doc in [*default_docs, *full_docs]:
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as error:
            pytest.fail(f"{doc['kind']} {doc['metadata']['name']} ({version}): {error.message}")


def test_every_service_has_its_deployment_service_configmap_and_budget(default_docs, full_docs):
    for kind in ("Deployment", "Service", "ConfigMap", "PodDisruptionBudget"):
        assert set(by_kind(default_docs, kind)) == set(SERVICES), kind
        # A service switched off has none of its objects.
        assert set(by_kind(full_docs, kind)) == set(SERVICES) - {"cbs-leverancier"}, kind
    assert {doc["kind"] for doc in default_docs} == {
        "Deployment",
        "Service",
        "ConfigMap",
        "PodDisruptionBudget",
    }, "the chart makes no Secrets: the platform provides them"
    deployments = by_kind(full_docs, "Deployment")
    for name, deployment in deployments.items():
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector.items() <= deployment["spec"]["template"]["metadata"]["labels"].items()
        for kind in ("Service", "PodDisruptionBudget"):
            obj = by_kind(full_docs, kind)[name]
            other = obj["spec"]["selector"]
            assert other.get("matchLabels", other) == selector, (kind, name)
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["args"] == ["run", name]
        assert container["image"] == "ghcr.io/inburgering-keten/keten:1.2.3"
        assert container["envFrom"] == [{"configMapRef": {"name": f"keten-{name}"}}]
    assert deployments["dossier-bron"]["spec"]["replicas"] == 3
    # An Ingress only where asked for, its TLS certificate from a Secret.
    (ingress,) = [doc for doc in full_docs if doc["kind"] == "Ingress"]
    assert ingress["spec"]["tls"] == [
        {"hosts": ["dossier.gemeente.example"], "secretName": "keten-dossier-bron-tls"}
    ]
    backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "keten-dossier-bron", "port": {"name": "http"}}
    assert by_kind(full_docs, "PodDisruptionBudget")["dossier-bron"]["spec"]["minAvailable"] == 2


def test_probes_are_the_kits_health_endpoints(default_docs):
    routes = {route.path for route in health_router().routes}
    for name, deployment in by_kind(default_docs, "Deployment").items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["startupProbe"]["httpGet"]["path"] == "/health/live", name
        assert container["readinessProbe"]["httpGet"]["path"] == "/health/ready", name
        assert {"/health/live", "/health/ready"} <= routes
        assert container["resources"]["requests"] and container["resources"]["limits"], name


def test_only_settings_the_services_read_and_every_secret_from_a_secret(full_docs):
    configmaps = by_kind(full_docs, "ConfigMap")
    for name, deployment in by_kind(full_docs, "Deployment").items():
        data = configmaps[name]["data"]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        env = {item["name"]: item for item in container["env"]}
        for variable in [*data, *env]:
            if variable.startswith("OTEL_"):
                continue  # OpenTelemetry's own variables
            assert variable in KNOWN, f"{name}: {variable} is no setting of the kit or service"
        for variable, value in data.items():
            assert isinstance(value, str) and value != "", (name, variable)
            assert not KNOWN[variable], f"{name}: the secret {variable} is in a ConfigMap"
            assert not re.search(
                r"SECRET|PASSWORD|WACHTWOORD|SLEUTEL|DATABASE_URL|BRONNEN$", variable
            ), (name, variable)
        for variable, item in env.items():
            if variable in KNOWN and (
                KNOWN[variable]
                or variable
                in {
                    "KETEN_DATABASE_URL",
                    "KETEN_BRONNEN",
                    "KETEN_ROUTER_KAFKA_GEBRUIKER",
                    "KETEN_KAFKA_SASL_USERNAME",
                }
            ):
                assert "secretKeyRef" in item.get("valueFrom", {}), (name, variable)
        # The database URL (it holds the password) comes from a Secret, for every service.
        assert env["KETEN_DATABASE_URL"]["valueFrom"]["secretKeyRef"] == {
            "name": "keten-databases",
            "key": f"{name}-database-url",
        }
        # The party registry: a Secret, only this service's key, mounted as the file the
        # ConfigMap names.
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        assert volumes["parties"]["secret"]["items"] == [
            {"key": f"{name}-parties.json", "path": "parties.json"}
        ]
        assert data["KETEN_PARTIES_FILE"] == "/etc/keten/parties.json"
        # Kafka over SASL_SSL: the service's own user from the Secret, the CA and client
        # certificate mounted where the ConfigMap points.
        assert data["KETEN_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
        assert env["KETEN_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"] == {
            "name": "keten-kafka",
            "key": f"{name}-password",
        }
        assert volumes["kafka-tls"]["secret"]["secretName"] == "kafka-ca"
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        for variable, file in (
            ("CAFILE", "ca.crt"),
            ("CERTFILE", "tls.crt"),
            ("KEYFILE", "tls.key"),
        ):
            assert data[f"KETEN_KAFKA_SSL_{variable}"] == f"{mounts['kafka-tls']}/{file}"
    router = by_kind(full_docs, "Deployment")["notificatie-router"]
    env = {e["name"]: e for e in router["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {
        "KETEN_ROUTER_SLEUTELS",
        "KETEN_ROUTER_KAFKA_GEBRUIKER",
        "KETEN_ROUTER_KAFKA_WACHTWOORD",
    } <= set(env)
    assert configmaps["notificatie-router"]["data"]["KETEN_ROUTER_KAFKA_BOOTSTRAP"] == (
        "kafka-sasl.kafka.svc:9094"
    )
    # The operations console: its settings in the ConfigMap, its two secrets from a Secret.
    console = configmaps["notificatie-router"]["data"]
    assert console["KETEN_ROUTER_CONSOLE_OIDC_ISSUER"] == "https://login.ssc.example/realms/keten"
    assert console["KETEN_ROUTER_CONSOLE_BASIS_URL"] == "https://router.ssc.example"
    assert console["KETEN_ROUTER_CONSOLE_OIN"] == "00000001234567890000"
    for variable, key in (
        ("KETEN_ROUTER_CONSOLE_OIDC_CLIENT_SECRET", "client-secret"),
        ("KETEN_PORTAAL_SESSIE_SLEUTEL", "sessie-sleutel"),
    ):
        assert env[variable]["valueFrom"]["secretKeyRef"] == {
            "name": "keten-router-console",
            "key": key,
        }
    for source in ("coa-adapter", "duo-adapter", "dossier-bron"):
        deployment = by_kind(full_docs, "Deployment")[source]
        names = {e["name"] for e in deployment["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert "KETEN_VERWERKINGSLOG_SLEUTEL" in names, source


def test_defaults_are_production_safe(default_docs):
    configmaps = by_kind(default_docs, "ConfigMap")
    for name, data in ((n, c["data"]) for n, c in configmaps.items()):
        assert data["KETEN_SANDBOX"] == "false", name
        assert data["KETEN_KAFKA_REPLICATION_FACTOR"] == "3", name
    # Only the simulators have a control API.
    assert {n for n, c in configmaps.items() if c["data"]["KETEN_CONTROL_API"] == "true"} == {
        "coa-adapter",
        "duo-adapter",
    }
    # No router Kafka-sink credentials are asked for while the sinks are off.
    router = by_kind(default_docs, "Deployment")["notificatie-router"]
    names = {e["name"] for e in router["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "KETEN_ROUTER_KAFKA_WACHTWOORD" not in names
    # Nor the console's: it is off until the SSC's provider is configured.
    assert "KETEN_ROUTER_CONSOLE_OIDC_CLIENT_SECRET" not in names
    assert not any("CONSOLE" in v for v in configmaps["notificatie-router"]["data"])
    # Plaintext Kafka by default (the chart cannot know the cluster): no credentials asked for.
    assert "KETEN_KAFKA_SASL_PASSWORD" not in names
    assert configmaps["notificatie-router"]["data"]["KETEN_KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT"
    dockerfile = (ROOT / "Dockerfile").read_text()
    (user,) = re.findall(r"^USER (\d+)$", dockerfile, re.MULTILINE)
    for name, deployment in by_kind(default_docs, "Deployment").items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert str(pod["securityContext"]["runAsUser"]) == user, "the image's own user"
        assert pod["automountServiceAccountToken"] is False
        container = pod["containers"][0]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, name


def test_every_value_is_documented() -> None:
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    readme = README.read_text()
    for key in values:
        assert f"`{key}" in readme, f"deploy/README.md does not document the value {key}"
    for service in SERVICES:
        assert service in values["services"], f"values.yaml has no entry for {service}"


def stand_in_secret(variable: str) -> str:
    """A value of the right shape for a setting the chart takes from a Secret."""
    if variable == "KETEN_DATABASE_URL":
        return "postgresql+asyncpg://keten:secret@postgres.platform.svc:5432/keten"
    if variable == "KETEN_BRONNEN":
        return "[]"
    if variable.endswith("SLEUTELS"):
        return Fernet.generate_key().decode()
    return "s" * 40


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_builds_from_its_rendered_environment(
    default_docs, full_docs, name, monkeypatch
):
    """The composition root from the ConfigMap and the env the chart gives (secrets replaced by
    values of their shape, the parties file by the compose sandbox's): what `keten run` parses at
    start-up is accepted. Nothing connects."""
    # With every option on where the service is on there, else with the defaults.
    docs = full_docs if name in by_kind(full_docs, "Deployment") else default_docs
    deployment = by_kind(docs, "Deployment")[name]
    configmap = by_kind(docs, "ConfigMap")[name]
    environment = dict(configmap["data"])
    for item in deployment["spec"]["template"]["spec"]["containers"][0]["env"]:
        if "secretKeyRef" in item.get("valueFrom", {}):
            environment[item["name"]] = stand_in_secret(item["name"])
        elif "value" in item:
            environment[item["name"]] = item["value"]
    environment["KETEN_PARTIES_FILE"] = str(ROOT / "deploy" / "compose" / "parties.json")
    for variable in list(os.environ):
        if variable.startswith("KETEN_"):
            monkeypatch.delenv(variable)
    for variable, value in environment.items():
        monkeypatch.setenv(variable, value)
    service = load_service(name, KetenSettings().model_copy(update={"service_name": name}))
    assert service.settings.http_port == 8000
