"""A real single-node Apache Kafka broker (KRaft) on loopback, run from the Maven Central jars.

No download of the Kafka distribution and no Docker: Maven resolves ``kafka_2.13`` and a log4j2
binding (``pom.xml`` beside this file) into a cache once; each broker instance has its own state
directory with its config, data, log and pid file.
"""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from string import Template

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

from keten_core.infra.common import (
    DEFAULT_KAFKA_ROUTER_USER,
    DEV_KAFKA_ROUTER_PASSWORD,
    LOOPBACK,
    InfraError,
    InfraSettings,
    ServerProcess,
    file_lock,
    port_open,
    process_alive,
    process_cmdline,
    run,
    signal_process,
    tail,
    wait_until_gone,
)
from keten_core.kafka_acl import SCRAM_MECHANISM, ensure_scram_user

# Topics per DeleteTopics request when pruning (thousands at once strain a 2g broker).
PRUNE_BATCH = 500

KAFKA_VERSION = "4.3.1"  # keep in step with pom.xml
SCALA_VERSION = "2.13"
READY_LINE = "Kafka Server started"


def _resource_text(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def kafka_home(cache_dir: Path) -> Path:
    return cache_dir / f"kafka-{KAFKA_VERSION}"


def fetch_kafka(cache_dir: Path) -> Path:
    """Resolve the broker's jars into ``<cache_dir>/kafka-<version>/libs`` (once) and return
    that directory. Maven runs only when the directory is missing."""
    home = kafka_home(cache_dir)
    libs = home / "libs"
    marker = libs / f"kafka_{SCALA_VERSION}-{KAFKA_VERSION}.jar"
    if marker.is_file():
        return libs
    mvn = shutil.which("mvn")
    if mvn is None:
        raise InfraError("Maven (mvn) is not on PATH; run dev/setup to install it")
    with file_lock(home / ".lock"):
        if marker.is_file():  # fetched by another process while we waited for the lock
            return libs
        # Resolve into a scratch directory and rename, so an interrupted download never
        # looks complete.
        partial = home / f"libs.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        with resources.as_file(resources.files(__package__).joinpath("pom.xml")) as pom:
            run(
                [
                    mvn,
                    "--batch-mode",
                    "--quiet",
                    "-Dstyle.color=never",
                    "--file",
                    pom,
                    "dependency:copy-dependencies",
                    "-DincludeScope=runtime",
                    f"-DoutputDirectory={partial}",
                ],
                what=f"fetching Kafka {KAFKA_VERSION} jars with Maven",
                cwd=home,
                timeout=900,
            )
        if not (partial / marker.name).is_file():
            raise InfraError(f"Maven finished but {marker.name} is missing in {partial}")
        shutil.rmtree(libs, ignore_errors=True)
        partial.rename(libs)
    return libs


def java_executable() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin" / "java").is_file():
        return str(Path(java_home) / "bin" / "java")
    java = shutil.which("java")
    if java is None:
        raise InfraError("java is not on PATH (Kafka 4 needs Java 17+); run dev/setup")
    return java


def new_cluster_id() -> str:
    """What ``StorageTool random-uuid`` prints (22 characters of URL-safe base64), without
    starting a JVM for it. Kafka avoids ids that start with '-' (they read as options)."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cluster_id.startswith("-"):
            return cluster_id


class LocalKafka(ServerProcess):
    """One single-node KRaft broker with its files in ``state_dir``.

    ``start()`` is idempotent and returns whether it launched the broker; the broker runs
    detached (own session), so it outlives the Python process that started it and another
    process can ``stop()`` it through the pid file.
    """

    title = "Kafka"
    name = "kafka"
    env_var = "KETEN_KAFKA_BOOTSTRAP_SERVERS"

    def __init__(
        self,
        state_dir: Path,
        port: int = 19092,
        controller_port: int | None = None,
        *,
        cache_dir: Path | None = None,
        heap: str = "2g",
        sasl_port: int | None = None,
        router_user: str = DEFAULT_KAFKA_ROUTER_USER,
        router_password: str = DEV_KAFKA_ROUTER_PASSWORD,
    ) -> None:
        # Absolute: the path identifies this broker's process in its command line.
        self.state_dir = Path(state_dir).absolute()
        self.port = port
        self.controller_port = controller_port if controller_port is not None else port + 1
        self.sasl_port = sasl_port if sasl_port is not None else port + 2
        self.router_user = router_user
        self.router_password = router_password
        self.cache_dir = cache_dir if cache_dir is not None else InfraSettings().cache_dir
        self.heap = heap
        self.config_file = self.state_dir / "server.properties"
        self.log_config_file = self.state_dir / "log4j2.properties"
        self.data_dir = self.state_dir / "data"
        self.log_file = self.state_dir / "kafka.log"
        self.pid_file = self.state_dir / "kafka.pid"
        self._lock_file = self.state_dir / ".lock"
        self._process: subprocess.Popen[bytes] | None = None

    @classmethod
    def from_settings(cls, settings: InfraSettings) -> LocalKafka:
        servers = settings.kafka_bootstrap_servers.strip()
        host, _, port = servers.rpartition(":")
        if "," in servers or host not in (LOOPBACK, "localhost") or not port.isdigit():
            raise InfraError(
                f"KETEN_KAFKA_BOOTSTRAP_SERVERS={servers} is not one local address "
                f"({LOOPBACK}:<port>); `keten infra` only manages a broker on this machine"
            )
        return cls(
            settings.state_dir / f"kafka-{port}",
            int(port),
            settings.kafka_controller_port,
            cache_dir=settings.cache_dir,
            heap=settings.kafka_heap,
            sasl_port=settings.kafka_sasl_port,
            router_user=settings.kafka_router_user,
            router_password=settings.kafka_router_password.get_secret_value(),
        )

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def sasl_bootstrap_servers(self) -> str:
        """The SASL_PLAINTEXT (SCRAM-SHA-256) listener; see ``keten_core.kafka_acl``."""
        return f"{LOOPBACK}:{self.sasl_port}"

    @property
    def super_users(self) -> list[str]:
        # The broker and controller talk PLAINTEXT to themselves, as User:ANONYMOUS, which is
        # also every client of the plaintext listener: those keep working without ACLs.
        return ["User:ANONYMOUS", f"User:{self.router_user}"]

    @property
    def address(self) -> str:
        return self.bootstrap_servers

    def __repr__(self) -> str:
        return f"LocalKafka({str(self.state_dir)!r}, port={self.port})"

    # -- state ---------------------------------------------------------------------------

    def pid(self) -> int | None:
        """The broker's pid when the process in the pid file is alive and is this broker."""
        if self._process is not None:
            self._process.poll()  # reap our own child, or it lingers as a zombie
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        if not process_alive(pid):
            return None
        cmdline = process_cmdline(pid)
        if cmdline is not None and str(self.config_file) not in cmdline:
            return None  # pid reused by an unrelated process after a reboot or crash
        return pid

    # -- lifecycle -----------------------------------------------------------------------

    def start(self, timeout: float = 120) -> bool:
        """Start the broker unless it runs; wait until it serves clients. Returns True when this
        call launched it."""
        with file_lock(self._lock_file):
            if self.pid() is not None:
                self._wait_for_port(timeout)
                return False
            ports = (self.port, self.controller_port, self.sasl_port)
            if any(port_open(port) for port in ports):
                raise InfraError(
                    f"one of ports {', '.join(map(str, ports))} is taken by a process that is "
                    f"not the broker of {self.state_dir}; stop it or choose other ports"
                )
            libs = fetch_kafka(self.cache_dir)
            self._write_config()
            java = java_executable()
            formatted = self._format(java, libs)
            self._launch(java, libs, timeout)
            if not formatted:
                # Data formatted before the SASL listener existed, or the password changed
                # since: upsert the router's credential (over PLAINTEXT, as a super user).
                self._ensure_router_credential()
            return True

    def stop(self, timeout: float = 60) -> bool:
        """Stop the broker with SIGTERM (a clean shutdown); SIGKILL after ``timeout``.
        Returns True when a broker was running."""
        with file_lock(self._lock_file):
            pid = self.pid()
            if pid is None:
                return False
            signal_process(pid, signal.SIGTERM)
            if not self._wait_gone(pid, timeout):
                signal_process(pid, signal.SIGKILL)
                self._wait_gone(pid, 10)
            self.pid_file.unlink(missing_ok=True)
            return True

    def kill(self) -> None:
        """SIGKILL, as in a crash: the next start must recover from unflushed state."""
        with file_lock(self._lock_file):
            pid = self.pid()
            if pid is None:
                return
            signal_process(pid, signal.SIGKILL)
            self._wait_gone(pid, 30)
            self.pid_file.unlink(missing_ok=True)

    # -- topics --------------------------------------------------------------------------

    def idle_topics(self, idle_s: float, now: float | None = None) -> list[str]:
        """Topics none of whose partitions was written in the last ``idle_s`` seconds, read from
        the data directory (partition ``n`` of topic ``T`` is the directory ``T-n``). Only the
        segments' data (``*.log``) counts: a broker's start rewrites every partition's indexes
        and checkpoints, which would make all topics look written just now. Kafka's internal
        topics are never idle."""
        now = time.time() if now is None else now
        newest: dict[str, float] = {}
        try:
            entries = list(os.scandir(self.data_dir))
        except FileNotFoundError:
            return []
        for entry in entries:
            topic, dash, partition = entry.name.rpartition("-")
            # Not a partition: files, "-delete" and "-stray" directories, internal topics.
            if not (dash and partition.isdigit() and entry.is_dir()) or topic.startswith("__"):
                continue
            try:
                segmenten = [f for f in os.scandir(entry.path) if f.name.endswith(".log")]
                changed = max((f.stat().st_mtime for f in segmenten), default=None)
            except FileNotFoundError:  # deleted meanwhile
                continue
            if changed is None:  # no segment yet: just created
                changed = now
            newest[topic] = max(newest.get(topic, 0.0), changed)
        return sorted(topic for topic, changed in newest.items() if now - changed > idle_s)

    def prune_topics(self, idle_s: float, keep: Callable[[str], bool] | None = None) -> list[str]:
        """Delete the topics idle for ``idle_s`` seconds that ``keep`` does not claim; returns
        them. Tests leave thousands of uniquely named topics behind, and the broker holds an open
        file per partition: past the process' file limit it takes its log directory offline and
        stops (seen after a day of test runs at 20,000 partitions)."""
        idle = [t for t in self.idle_topics(idle_s) if keep is None or not keep(t)]
        admin = AdminClient({"bootstrap.servers": self.bootstrap_servers})
        for start in range(0, len(idle), PRUNE_BATCH):
            batch = idle[start : start + PRUNE_BATCH]
            for topic, future in admin.delete_topics(batch, operation_timeout=60).items():
                try:
                    future.result(timeout=120)
                except KafkaException as error:
                    # Deleted by someone else meanwhile: the goal is reached.
                    if error.args[0].code() != KafkaError.UNKNOWN_TOPIC_OR_PART:
                        raise InfraError(f"could not delete idle topic {topic}: {error}") from None
        return idle

    def destroy(self) -> None:
        """Stop the broker and delete its data, config and log."""
        self.stop()
        shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- internals -----------------------------------------------------------------------

    def _write_config(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        config = Template(_resource_text("server.properties")).substitute(
            port=self.port,
            controller_port=self.controller_port,
            sasl_port=self.sasl_port,
            super_users=";".join(self.super_users),
            log_dir=self.data_dir,
        )
        self.config_file.write_text(config, encoding="utf-8")
        self.log_config_file.write_text(_resource_text("log4j2.properties"), encoding="utf-8")

    def _java_command(self, java: str, libs: Path, main: str, *args: str) -> list[str]:
        return [
            java,
            f"-Xmx{self.heap}",
            "-XX:+UseG1GC",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.log_config_file}",
            "-cp",
            f"{libs}/*",  # the JVM expands the wildcard itself
            main,
            *args,
        ]

    def _format(self, java: str, libs: Path) -> bool:
        """Format the data directory unless it is; returns whether it did."""
        if (self.data_dir / "meta.properties").is_file():
            return False
        run(
            # --standalone: this node is the whole controller quorum (it goes with
            # controller.quorum.bootstrap.servers, the dynamic quorum of KIP-853).
            self._java_command(
                java,
                libs,
                "kafka.tools.StorageTool",
                "format",
                "--cluster-id",
                new_cluster_id(),
                "--config",
                str(self.config_file),
                "--standalone",
                # The router's SCRAM credential is in the metadata from the first moment on
                # (KIP-900), so no client has to wait for it after start-up.
                "--add-scram",
                f"{SCRAM_MECHANISM}=[name={self.router_user},password={self.router_password}]",
            ),
            what=f"formatting Kafka storage in {self.data_dir}",
            cwd=self.state_dir,
            timeout=120,
        )
        return True

    def _ensure_router_credential(self) -> None:
        coroutine = ensure_scram_user(
            self.bootstrap_servers, self.router_user, self.router_password
        )
        # start() is synchronous but may be called from a test's running event loop, where
        # asyncio.run() is refused: run the client on a thread of its own.
        try:
            with ThreadPoolExecutor(max_workers=1) as pool:
                pool.submit(asyncio.run, coroutine).result(timeout=60)
        except Exception as error:
            raise InfraError(
                f"Kafka runs, but the SCRAM credential of {self.router_user} could not be set "
                f"over {self.bootstrap_servers}: {error!r}"
            ) from error

    def _launch(self, java: str, libs: Path, timeout: float) -> None:
        log_start = self.log_file.stat().st_size if self.log_file.exists() else 0
        command = self._java_command(java, libs, "kafka.Kafka", str(self.config_file))
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
                command,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self.state_dir,
                # Own session: Ctrl-C in the terminal that ran `keten infra up` or pytest
                # does not reach the broker.
                start_new_session=True,
            )
        self.pid_file.write_text(f"{self._process.pid}\n")
        deadline = time.monotonic() + timeout
        while True:
            if self._process.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise InfraError(
                    f"Kafka exited with status {self._process.returncode} while starting; "
                    f"{self.log_file}:\n{tail(self.log_file, start=log_start)}"
                )
            if READY_LINE in self._log_since(log_start) and port_open(self.port):
                return
            if time.monotonic() > deadline:
                self._process.kill()
                self._process.wait()
                self.pid_file.unlink(missing_ok=True)
                raise InfraError(
                    f"Kafka did not log {READY_LINE!r} within {timeout:.0f} s; "
                    f"{self.log_file}:\n{tail(self.log_file, start=log_start)}"
                )
            time.sleep(0.2)

    def _log_since(self, offset: int) -> str:
        with self.log_file.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _wait_gone(self, pid: int, timeout: float) -> bool:
        if self._process is not None and self._process.pid == pid:
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        return wait_until_gone(pid, timeout)
