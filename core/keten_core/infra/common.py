"""What the local Kafka and PostgreSQL launchers share: settings, locks, process and port checks."""

from __future__ import annotations

import fcntl
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from pydantic import Field, SecretStr, field_validator

from keten_core.settings import KetenSettings

LOOPBACK = "127.0.0.1"
DEFAULT_KAFKA_ROUTER_USER = "keten-router"
# Dev-only: for the local broker on loopback; anything else sets KETEN_KAFKA_ROUTER_PASSWORD.
DEV_KAFKA_ROUTER_PASSWORD = "keten-router-dev-only"  # noqa: S105


class InfraError(RuntimeError):
    """A local server could not be fetched, started or stopped; the message says what to do."""


def default_cache_dir() -> Path:
    """Downloads that can be fetched again (the Kafka jars)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "keten"


def default_state_dir() -> Path:
    """Data and logs of the local servers; shared by every checkout of one user, like the ports."""
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "keten"


class InfraSettings(KetenSettings):
    """``KetenSettings`` plus where the local servers keep their files (``KETEN_CACHE_DIR``,
    ``KETEN_STATE_DIR``). Ports, user, password and database name come from
    ``KETEN_KAFKA_BOOTSTRAP_SERVERS`` and ``KETEN_DATABASE_URL``, so the servers that
    ``keten infra up`` starts are the ones the services connect to."""

    cache_dir: Path = Field(default_factory=default_cache_dir)
    state_dir: Path = Field(default_factory=default_state_dir)
    # None: the client port + 1.
    kafka_controller_port: int | None = None
    # The SASL_PLAINTEXT (SCRAM-SHA-256) listener, for clients that ACLs must tell apart.
    # None: the client port + 2.
    kafka_sasl_port: int | None = None
    # A super user on the SASL listener (the notificatie-router creates subscribers' topics, users
    # and ACLs as it). Credentials enter the broker's metadata at format time and at every start
    # of an existing data directory. Restricted characters: they go into a format argument.
    kafka_router_user: str = Field(default=DEFAULT_KAFKA_ROUTER_USER, pattern=r"^[A-Za-z0-9._-]+$")
    kafka_router_password: SecretStr = SecretStr(DEV_KAFKA_ROUTER_PASSWORD)
    # A day of test runs leaves thousands of prefixed topics on a developer's broker; at 512m their
    # metadata exhausted the heap (OutOfMemoryError in every broker thread).
    kafka_heap: str = "2g"
    # `keten infra up` deletes the local broker's topics idle this long (tests leave thousands;
    # the broker needs an open file per partition). The chains of `keten up` and `keten demo`
    # keep theirs. 0: never.
    kafka_prune_idle_hours: float = Field(default=3.0, ge=0)

    @field_validator("kafka_router_password")
    @classmethod
    def _plain_password(cls, value: SecretStr) -> SecretStr:
        if not re.fullmatch(r"[A-Za-z0-9._~-]{8,}", value.get_secret_value()):
            raise ValueError("8 or more of A-Z a-z 0-9 . _ ~ - (it goes into a format argument)")
        return value


class LocalServer(Protocol):
    """What ``keten infra`` and the test fixtures need from a local server."""

    name: str
    env_var: str
    log_file: Path

    @property
    def address(self) -> str: ...

    def is_running(self) -> bool: ...

    def start(self, timeout: float = ...) -> bool: ...

    def stop(self, timeout: float = ...) -> bool: ...

    def kill(self) -> None: ...

    def destroy(self) -> None: ...


class ServerProcess:
    """The state checks both launchers share; a subclass sets ``title``, ``port`` and
    ``log_file`` and says how it finds its process (``pid``)."""

    title: str
    port: int
    log_file: Path

    def pid(self) -> int | None:
        raise NotImplementedError

    def is_running(self) -> bool:
        return self.pid() is not None and port_open(self.port)

    def log_tail(self, lines: int = 40) -> str:
        return tail(self.log_file, lines)

    def _wait_for_port(self, timeout: float) -> None:
        """For a process that runs but may not serve yet (starting, or in crash recovery)."""
        deadline = time.monotonic() + timeout
        while not port_open(self.port):
            if time.monotonic() > deadline:
                raise InfraError(
                    f"{self.title} (pid {self.pid()}) runs but does not accept connections on "
                    f"{LOOPBACK}:{self.port}; {self.log_file}:\n{self.log_tail()}"
                )
            time.sleep(0.2)


def port_open(port: int, host: str = LOOPBACK, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, owned by another user (postgres)
        return True
    # A zombie (exited, not yet reaped by its parent) still answers kill(pid, 0).
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def process_cmdline(pid: int) -> str | None:
    """The command line of ``pid`` (Linux), or None where /proc cannot tell."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return None


def wait_until_gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while process_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def signal_process(pid: int, sig: signal.Signals) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Serialises start/stop/fetch across processes: two test sessions that find the broker
    down at the same moment must not both launch one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def tail(path: Path, lines: int = 40, start: int = 0) -> str:
    """The last ``lines`` lines of ``path`` from byte ``start`` on, for error messages."""
    try:
        with path.open("rb") as handle:
            handle.seek(start)
            text = handle.read().decode(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:]) or f"(empty log {path})"


def run(
    command: Sequence[str | os.PathLike[str]],
    *,
    what: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    input_text: str | None = None,
    timeout: float = 300,
) -> str:
    """Run a tool to completion; raise ``InfraError`` with its output when it fails."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
            [os.fspath(part) for part in command],
            env=None if env is None else dict(env),
            cwd=cwd,
            input=input_text,
            stdin=None if input_text is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as error:
        raise InfraError(f"{what}: {error}; run dev/setup to install it") from error
    except subprocess.TimeoutExpired as error:
        raise InfraError(f"{what}: no result after {timeout:.0f} s") from error
    if done.returncode != 0:
        output = "\n".join((done.stdout + done.stderr).strip().splitlines()[-40:])
        raise InfraError(f"{what} failed (exit {done.returncode}):\n{output}")
    return done.stdout
