"""A real PostgreSQL server on loopback, run with the distribution's server binaries
(Debian: /usr/lib/postgresql/<major>/bin, installed by dev/setup).

initdb and the server refuse to run as root. Under root the cluster therefore belongs to the
``postgres`` OS user (commands run through ``runuser``) and lives in /var/tmp, because the
checkout or root's home may not be readable for that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
from pathlib import Path
from typing import TypeAlias

from sqlalchemy.engine import URL, make_url

from keten_core.infra.common import (
    LOOPBACK,
    InfraError,
    InfraSettings,
    ServerProcess,
    file_lock,
    port_open,
    process_alive,
    run,
    signal_process,
    wait_until_gone,
)
from keten_core.settings import SERVICES, service_database

SERVER_USER = "postgres"  # the OS user that owns the cluster when we are root
# Not /tmp: that may be cleared at boot, and CI's clone under /tmp is not readable for postgres.
ROOT_BASE_DIR = Path("/var/tmp/keten-postgres")  # noqa: S108 - made root-owned, 0755, on use
Arg: TypeAlias = str | os.PathLike[str]
INSTALL_HINT = "run dev/setup (it installs the postgresql package with apt-get)"


def find_bindir() -> Path:
    """The newest installed server's bin directory (initdb, pg_ctl, psql)."""
    found = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")]
    found.sort(key=lambda bindir: int(bindir.parent.name) if bindir.parent.name.isdigit() else 0)
    if found:
        return found[-1]
    on_path = shutil.which("pg_ctl")
    if on_path and (Path(on_path).parent / "initdb").exists():
        return Path(on_path).parent
    raise InfraError(
        "PostgreSQL server binaries (initdb, pg_ctl) are not installed: none under "
        f"/usr/lib/postgresql/*/bin or on PATH; {INSTALL_HINT}"
    )


def default_base_dir(state_dir: Path, port: int) -> Path:
    if os.geteuid() == 0:
        return ROOT_BASE_DIR / str(port)
    return state_dir / f"postgres-{port}"


class LocalPostgres(ServerProcess):
    """One PostgreSQL cluster in ``base_dir`` (``data/`` and ``postgres.log``), listening on
    127.0.0.1:``port`` with password authentication. ``user`` is the cluster's bootstrap
    superuser (tests create a database per session), ``database`` is created on first start.
    ``start()`` is idempotent and returns whether it launched the server."""

    title = "PostgreSQL"
    name = "postgres"
    env_var = "KETEN_DATABASE_URL"

    def __init__(
        self,
        base_dir: Path | None = None,
        port: int = 55432,
        *,
        user: str = "keten",
        password: str = "keten",  # noqa: S107 - the local development server's known password
        database: str = "keten",
        bindir: Path | None = None,
    ) -> None:
        self.port = port
        self.base_dir = (base_dir or default_base_dir(InfraSettings().state_dir, port)).absolute()
        self.user = user
        self.password = password
        self.database = database
        self._bindir = bindir
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "postgres.log"
        self._lock_file = self.base_dir.parent / f".{self.base_dir.name}.lock"

    @classmethod
    def from_settings(cls, settings: InfraSettings) -> LocalPostgres:
        url = make_url(settings.database_url)
        if url.host not in (LOOPBACK, "localhost") or not url.username or not url.database:
            raise InfraError(
                f"KETEN_DATABASE_URL={url!r} is not a database on {LOOPBACK} with a user and a "
                "database name; `keten infra` only manages a server on this machine"
            )
        port = url.port or 5432
        return cls(
            default_base_dir(settings.state_dir, port),
            port,
            user=url.username,
            password=url.password or "",
            database=url.database,
        )

    @property
    def bindir(self) -> Path:
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    def url(self, database: str | None = None, driver: str = "postgresql+asyncpg") -> str:
        return URL.create(
            driver,
            username=self.user,
            password=self.password,
            host=LOOPBACK,
            port=self.port,
            database=database or self.database,
        ).render_as_string(hide_password=False)

    @property
    def database_url(self) -> str:
        return self.url()

    @property
    def address(self) -> str:
        return self.database_url

    def __repr__(self) -> str:
        return f"LocalPostgres({str(self.base_dir)!r}, port={self.port})"

    # -- state ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The postmaster's pid, read from postmaster.pid, when that process is alive."""
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) else None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 60) -> bool:
        with file_lock(self._lock_file):
            if self.pid() is not None:
                self._wait_for_port(timeout)  # e.g. still in crash recovery
                self._create_database()  # a service added since the server was started
                return False
            if port_open(self.port):
                raise InfraError(
                    f"port {self.port} is taken by a process that is not the PostgreSQL of "
                    f"{self.base_dir}; stop it or choose another port in KETEN_DATABASE_URL"
                )
            self._prepare_base_dir()
            if not (self.data_dir / "PG_VERSION").is_file():
                self._initdb()
            self._write_config()
            try:
                self._pg_ctl("start", "--wait", f"--timeout={int(timeout)}", "--log", self.log_file)
            except InfraError as error:
                raise InfraError(f"{error}\n{self.log_file}:\n{self.log_tail()}") from error
            self._create_database()
            return True

    def stop(self, timeout: float = 60) -> bool:
        """Fast shutdown: sessions are disconnected, a checkpoint is written."""
        with file_lock(self._lock_file):
            if self.pid() is None:
                return False
            self._pg_ctl("stop", "--wait", f"--timeout={int(timeout)}", "--mode=fast")
            return True

    def kill(self) -> None:
        """Immediate shutdown, as in a crash: the next start runs crash recovery. (SIGKILL of
        the postmaster alone would leave its backends holding the shared memory.)"""
        with file_lock(self._lock_file):
            pid = self.pid()
            if pid is None:
                return
            signal_process(pid, signal.SIGQUIT)
            if not wait_until_gone(pid, 30):
                raise InfraError(f"PostgreSQL (pid {pid}) did not stop after SIGQUIT")

    def destroy(self) -> None:
        """Stop the server and delete the cluster."""
        self.stop()
        shutil.rmtree(self.base_dir, ignore_errors=True)
        self._lock_file.unlink(missing_ok=True)

    # -- internals -----------------------------------------------------------------------

    def _as_server_user(self, command: list[Arg]) -> list[Arg]:
        if os.geteuid() != 0:
            return command
        runuser = shutil.which("runuser")
        if runuser is None:
            raise InfraError("running as root but runuser (util-linux) is missing")
        return [runuser, "-u", SERVER_USER, "--", *command]

    def _server_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        try:
            return pwd.getpwnam(SERVER_USER)
        except KeyError:
            raise InfraError(
                f"running as root, but there is no {SERVER_USER!r} OS user to own the "
                f"cluster; {INSTALL_HINT}"
            ) from None

    def _prepare_base_dir(self) -> None:
        owner = self._server_user()
        self.base_dir.parent.mkdir(parents=True, exist_ok=True)
        self.base_dir.mkdir(mode=0o700, exist_ok=True)
        if owner is not None:
            # Root owns the shared parent (nobody else can swap the cluster under /var/tmp);
            # the server user must be able to pass through it to its own directory.
            os.chown(self.base_dir.parent, 0, 0)
            self.base_dir.parent.chmod(0o755)
            os.chown(self.base_dir, owner.pw_uid, owner.pw_gid)

    def _run_as_server(self, command: list[Arg], what: str) -> str:
        # cwd: the server user may not be allowed into the caller's working directory.
        return run(self._as_server_user(command), what=what, cwd=self.base_dir)

    def _initdb(self) -> None:
        password_file = self.base_dir / "initdb.password"
        password_file.write_text(self.password + "\n")
        owner = self._server_user()
        if owner is not None:
            os.chown(password_file, owner.pw_uid, owner.pw_gid)
        password_file.chmod(0o600)
        try:
            self._run_as_server(
                [
                    self.bindir / "initdb",
                    f"--pgdata={self.data_dir}",
                    f"--username={self.user}",
                    f"--pwfile={password_file}",
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C.UTF-8",
                ],
                what=f"initdb {self.data_dir}",
            )
        finally:
            password_file.unlink(missing_ok=True)
        with (self.data_dir / "postgresql.conf").open("a") as conf:
            conf.write("\n# keten.conf is written by `keten infra` on every start.\n")
            conf.write("include_if_exists = 'keten.conf'\n")

    def _write_config(self) -> None:
        settings = {
            "listen_addresses": LOOPBACK,
            "port": str(self.port),
            # Inside the data directory: no clash with a system server's /var/run/postgresql.
            "unix_socket_directories": str(self.data_dir),
            # Several test sessions with connection pools can share one server.
            "max_connections": "200",
            # synchronous_commit stays on: with it off, a crash (kill()) loses the last commits,
            # and tests of "nothing is lost" would test the server's settings, not our code.
        }
        conf = self.data_dir / "keten.conf"
        conf.write_text("".join(f"{key} = '{value}'\n" for key, value in settings.items()))
        owner = self._server_user()
        if owner is not None:
            os.chown(conf, owner.pw_uid, owner.pw_gid)

    def _pg_ctl(self, *args: str | os.PathLike[str]) -> None:
        self._run_as_server(
            [self.bindir / "pg_ctl", f"--pgdata={self.data_dir}", "--silent", *args],
            what=f"pg_ctl {args[0]} ({self.data_dir})",
        )

    def service_url(self, service: str) -> str:
        """The URL of ``service``'s own database (outbox, inbox, migrations and relay lock are
        per database, so services never share one)."""
        return self.url(service_database(service))

    def _create_database(self) -> None:
        # \gexec runs each generated statement only when the database is missing; the names
        # travel as psql variables (:'dbN' quotes them), never spliced into the SQL.
        names = [self.database, *(service_database(s) for s in SERVICES)]
        script = "".join(
            f"SELECT format('CREATE DATABASE %I', :'db{i}') "  # noqa: S608 - psql quotes :'dbN'
            f"WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db{i}') \\gexec\n"
            for i in range(len(names))
        )
        run(
            [
                self.bindir / "psql",
                "--no-psqlrc",
                "--quiet",
                "--set=ON_ERROR_STOP=1",
                *(f"--set=db{i}={name}" for i, name in enumerate(names)),
                f"--host={LOOPBACK}",
                f"--port={self.port}",
                f"--username={self.user}",
                "--dbname=postgres",
            ],
            what=f"creating databases {self.database!r} and the services'",
            env={**os.environ, "PGPASSWORD": self.password},
            input_text=script,
        )
