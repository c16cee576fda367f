# One image for every service of the chain; the command picks the service:
#   keten run coa-adapter | duo-adapter | dossier-bron | notificatie-router | cbs-leverancier
#
# Build arguments (all optional):
#   BASE_IMAGE        the base of both stages (default python:3.11-slim). Any Debian bookworm
#                     image works: where python3 and its venv module are missing (a plain
#                     Debian base, e.g. one made with `debootstrap --variant=minbase bookworm`
#                     and `podman import`) they come from apt, with ca-certificates.
#   PIP_INDEX_URL, PIP_DEFAULT_TIMEOUT
#                     pip's own settings, for a build behind a mirror of PyPI; used only
#                     while building, never written into the image.
#   HTTP_PROXY, HTTPS_PROXY, NO_PROXY   the same, for apt and pip (predefined build args).
# Build secret (optional): `--secret id=ca,src=/path/to/ca-bundle.crt` makes pip trust that CA
# bundle, for a network whose TLS is inspected; it is mounted for the pip steps only and not
# kept in any layer.
#
#   podman build -t keten .                     # or: docker build -t keten .
#   podman build --build-arg BASE_IMAGE=localhost/bookworm-minbase -t keten .
ARG BASE_IMAGE=python:3.11-slim

# --- the base: python3 with venv, and CA certificates --------------------------------------
FROM ${BASE_IMAGE} AS base
RUN set -eu; \
    missing=""; \
    python3 -c 'import venv, ensurepip' 2>/dev/null || missing="python3 python3-venv"; \
    [ -e /etc/ssl/certs/ca-certificates.crt ] || missing="$missing ca-certificates"; \
    if [ -n "$missing" ]; then \
        command -v apt-get >/dev/null \
            || { echo "BASE_IMAGE has no python3/venv and no apt-get: use a Debian base" >&2; exit 1; }; \
        export DEBIAN_FRONTEND=noninteractive; \
        apt-get update -q; \
        apt-get install -y -q --no-install-recommends $missing; \
        apt-get clean; \
        rm -rf /var/lib/apt/lists/*; \
    fi; \
    python3 -c 'import sys; assert sys.version_info >= (3, 11), sys.version'

# --- build: a virtual environment in /opt/keten ---------------------------------------------
FROM base AS build
ARG PIP_INDEX_URL=https://pypi.org/simple
ARG PIP_DEFAULT_TIMEOUT=120
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_NO_CACHE_DIR=1
WORKDIR /src
# The third-party dependencies first, pinned by dev/constraints.txt: this layer is rebuilt only
# when one of these three files changes, not on every change to the code.
COPY dev/constraints.txt dev/constraints.txt
COPY pyproject.toml pyproject.toml
COPY contracts/pyproject.toml contracts/pyproject.toml
# The requirements are both pyproject.toml files' dependencies, less the project's own package.
RUN python3 -m venv /opt/keten \
 && python3 -c 'import tomllib; print("\n".join(sorted({d for p in ("pyproject.toml", "contracts/pyproject.toml") for d in tomllib.load(open(p, "rb"))["project"]["dependencies"] if not d.startswith("keten-contracts")})))' >/tmp/requirements.txt
RUN --mount=type=secret,id=ca \
    set -eu; \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    /opt/keten/bin/pip install -q -c dev/constraints.txt -r /tmp/requirements.txt
# Then the project itself (contracts, core and the services), without touching the above.
COPY README.md README.md
COPY contracts contracts
COPY core core
COPY services services
RUN --mount=type=secret,id=ca \
    set -eu; \
    if [ -s /run/secrets/ca ]; then export PIP_CERT=/run/secrets/ca; fi; \
    /opt/keten/bin/pip install -q --no-deps ./contracts . \
    && /opt/keten/bin/pip check \
    && /opt/keten/bin/keten --help >/dev/null

# --- the image ------------------------------------------------------------------------------
FROM base
RUN (command -v useradd >/dev/null && useradd --system --uid 10001 --home-dir /nonexistent \
        --no-create-home --shell /usr/sbin/nologin keten) \
    || echo 'keten:x:10001:10001::/nonexistent:/usr/sbin/nologin' >>/etc/passwd
COPY --from=build /opt/keten /opt/keten
ENV PATH=/opt/keten/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    KETEN_HTTP_HOST=0.0.0.0 KETEN_HTTP_PORT=8000
EXPOSE 8000
USER 10001
ENTRYPOINT ["keten"]
CMD ["--help"]
