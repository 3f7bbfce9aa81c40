"""pytest plugin that runs hvac's own integration tests against our server (or OpenBao).

hvac's tests (from the hvac sdist, never committed here) start a ``vault`` binary per test
class through ``tests.utils.server_manager.ServerManager`` and ask ``vault -version`` which
Vault they run against. This plugin, loaded with ``-p tests.hvac_suite.plugin`` from the
sdist directory (``run.py`` links ``tests/hvac_suite`` and ``tests/support`` into the sdist's
``tests`` package, because hvac's test package is also called ``tests``):

* replaces ``ServerManager`` with :class:`VabServerManager`, which serves every test class
  from a Vault-compatible *dev* server: either a fresh server per test class
  (``VAB_HVAC_TARGET=vab|openbao``; the default of ``run.py``) or one already-running
  server (``VAB_HVAC_ADDR`` + ``VAB_HVAC_ROOT_TOKEN``); ``initialize``/``unseal`` are no-ops
  for an unsealed dev server;
* makes hvac's version helpers report :data:`REPORTED_VAULT_VERSION` (no ``vault`` binary is
  needed, and no test is skipped for lack of one);
* deselects the tests listed in ``exclusions.txt`` (``nodeid  # reason``; a reason starting
  with ``[vab]`` or ``[openbao]`` applies to that target only; an id ending in ``*`` is a
  prefix) and lists them with their reasons in the summary;
* turns every remaining skip into a failure: a test that cannot run here must be excluded
  explicitly, with a reason.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac
import pytest

import tests.utils as hvac_test_utils
import tests.utils.server_manager as hvac_server_manager
from tests.support.processes import ServerProcess, start_openbao_dev, start_vab_dev

logger = logging.getLogger(__name__)

#: What hvac's ``get_vault_version_string()`` reports. OpenBao forked Vault 1.14 (the last
#: MPL release line), so every version gate in hvac's tests up to 1.14 selects the current
#: open-source behaviour, and gates for later Vault-only changes (1.15+: quota paths moved
#: to Enterprise, Kubernetes JWT validation, the 1.16.1 JWT bug) stay off. No ``+ent``
#: suffix: Enterprise-only tests are not expected to pass (they are excluded explicitly).
REPORTED_VAULT_VERSION = "1.14.0"

ENV_TARGET = "VAB_HVAC_TARGET"
ENV_ADDR = "VAB_HVAC_ADDR"
ENV_TOKEN = "VAB_HVAC_ROOT_TOKEN"
TARGETS = ("vab", "openbao")

EXCLUSIONS_FILE = Path(__file__).resolve().parent / "exclusions.txt"


# -- which server -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """Where the tests' servers come from: a fresh one per class, or one shared server."""

    name: str  # "vab", "openbao" or "external"
    addr: str | None = None
    root_token: str | None = None

    @property
    def per_class(self) -> bool:
        """True when every test class gets a fresh server."""
        return self.addr is None

    @classmethod
    def from_env(cls) -> Target:
        """Read the target from ``VAB_HVAC_TARGET`` or ``VAB_HVAC_ADDR``/``_ROOT_TOKEN``."""
        addr = os.environ.get(ENV_ADDR)
        if addr:
            token = os.environ.get(ENV_TOKEN)
            if not token:
                raise pytest.UsageError(f"{ENV_ADDR} is set but {ENV_TOKEN} is not")
            name = os.environ.get(ENV_TARGET) or "external"
            return cls(name=name, addr=addr.rstrip("/"), root_token=token)
        name = os.environ.get(ENV_TARGET, "")
        if name not in TARGETS:
            raise pytest.UsageError(
                f"tests.hvac_suite.plugin needs {ENV_TARGET}={'|'.join(TARGETS)} (fresh server "
                f"per test class) or {ENV_ADDR} and {ENV_TOKEN} (one running server); "
                "use tests/hvac_suite/run.py"
            )
        return cls(name=name)

    def start_server(self) -> ServerProcess:
        """Start a fresh dev server for this target."""
        if self.name == "openbao":
            return start_openbao_dev()
        return start_vab_dev()


TARGET: Target | None = None


def _target() -> Target:
    if TARGET is None:
        raise RuntimeError("tests.hvac_suite.plugin is not configured")
    return TARGET


# -- ServerManager replacement ------------------------------------------------------------------


class VabServerManager:
    """Drop-in for hvac's ``ServerManager`` backed by a Vault-compatible dev server.

    Dev servers are initialised and unsealed when they answer, so :meth:`initialize` and
    :meth:`unseal` only (re)establish that state; ``keys`` holds the dev unseal key when the
    server printed one, ``root_token`` the root token, ``client`` an ``hvac.Client`` for the
    server with the root token.
    """

    def __init__(
        self,
        config_paths: list[str] | None = None,
        client: hvac.Client | None = None,
        use_consul: bool = False,
        patch_config: bool = True,
    ) -> None:
        self.config_paths = list(config_paths or [])
        self.active_config_paths = self.config_paths
        self.client: hvac.Client | None = client
        self.use_consul = False  # no HA cluster: a single dev server
        self.patch_config = patch_config
        self.keys: list[str] | None = None
        self.root_token: str | None = None
        self.server: ServerProcess | None = None
        self.url: str | None = None

    def start(self) -> None:
        """Start a fresh server (per-class mode) or attach to the shared one."""
        target = _target()
        if target.per_class:
            started = time.monotonic()
            self.server = target.start_server()
            logger.info("started %s in %.2fs", self.server, time.monotonic() - started)
            self.url = self.server.url
            self.root_token = self.server.root_token
            unseal_key = self.server.unseal_key
            self.keys = [unseal_key] if unseal_key else []
        else:
            self.url = target.addr
            self.root_token = target.root_token
            self.keys = self.keys or []
        self.client = hvac.Client(url=self.url, token=self.root_token)

    def start_vault(self, **_: Any) -> None:
        """Alias kept for hvac code that calls it directly."""
        self.start()

    def stop(self) -> None:
        """Stop the per-class server (SIGKILL: in-memory dev server); a shared one keeps running."""
        if self.server is not None:
            self.server.stop(graceful=False)
            self.server = None

    def initialize(self) -> None:
        """No-op: a dev server is initialised; make sure the client carries the root token."""
        if self.client is not None:
            self.client.token = self.root_token

    def unseal(self) -> None:
        """Unseal with the dev unseal key if a test sealed the server; otherwise no-op."""
        if self.client is None or not self.keys:
            return
        probe = hvac.Client(url=self.url)
        if probe.sys.is_sealed():
            probe.sys.submit_unseal_keys(self.keys)

    def restart_vault_cluster(self, perform_init: bool = True) -> None:
        """Per-class mode: replace the server by a fresh one. Shared mode: no-op."""
        if _target().per_class:
            self.stop()
            self.start()
            if perform_init:
                self.initialize()

    def get_active_vault_addresses(self) -> list[str]:
        """Addresses of the server(s): always exactly one."""
        return [self.url] if self.url else []

    def get_config_vault_address(self, config_path: str) -> str:
        """The one server's address, whatever config file hvac asks about."""
        if not self.url:
            raise RuntimeError("server not started")
        return self.url


# -- install ------------------------------------------------------------------------------------


def _install() -> None:
    """Patch hvac's test utilities (before any hvac test module is imported)."""
    hvac_test_utils.get_vault_version_string.cache = REPORTED_VAULT_VERSION  # type: ignore[attr-defined]
    hvac_server_manager.ServerManager = VabServerManager  # type: ignore[misc,assignment]
    import tests.utils.hvac_integration_test_case as hvac_case

    hvac_case.ServerManager = VabServerManager  # type: ignore[misc,assignment]
    # hvac retries a failed start twice (flaky `vault` startups); ours retries port clashes
    # itself and a server that does not start should fail once, with its output.
    hvac_case.HvacIntegrationTestCase.server_retry_count = 0


# -- exclusions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """One line of exclusions.txt."""

    nodeid: str
    reason: str
    target: str | None  # None: every target
    line: int

    def matches(self, nodeid: str) -> bool:
        """True if this entry names ``nodeid`` (exactly, or as a prefix ending in ``*``)."""
        if self.nodeid.endswith("*"):
            return nodeid.startswith(self.nodeid[:-1])
        return nodeid == self.nodeid


def load_exclusions(path: Path = EXCLUSIONS_FILE, target: str | None = None) -> list[Exclusion]:
    """Parse ``nodeid  # reason`` lines; keep those that apply to ``target``."""
    exclusions: list[Exclusion] = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        nodeid, sep, reason = line.partition(" #")
        reason = reason.strip()
        if not sep or not reason:
            raise pytest.UsageError(f"{path}:{number}: expected 'nodeid  # reason', got {raw!r}")
        only: str | None = None
        if reason.startswith("[") and "]" in reason:
            only, _, reason = reason[1:].partition("]")
            only, reason = only.strip(), reason.strip()
        if only is None or target is None or only == target:
            exclusions.append(Exclusion(nodeid.strip(), reason, only, number))
    return exclusions


_EXCLUDED: list[tuple[str, Exclusion]] = []
_CONVERTED_SKIPS: list[str] = []


# -- hooks --------------------------------------------------------------------------------------


def pytest_configure(config: pytest.Config) -> None:
    """Resolve the target, patch hvac's helpers and register our marker."""
    global TARGET
    TARGET = Target.from_env()
    _install()
    config.addinivalue_line("markers", "hvac_suite: hvac's own integration tests")


def pytest_report_header(config: pytest.Config) -> list[str]:
    """Say what the tests run against."""
    target = _target()
    where = "a fresh dev server per test class" if target.per_class else target.addr
    return [
        f"vab hvac suite: target={target.name} ({where}); "
        f"hvac tests see Vault {REPORTED_VAULT_VERSION}; exclusions: {EXCLUSIONS_FILE}"
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect excluded tests and mark the rest ``hvac_suite``."""
    exclusions = load_exclusions(target=_target().name)
    keep: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    used: set[int] = set()
    for item in items:
        match = next((ex for ex in exclusions if ex.matches(item.nodeid)), None)
        if match is None:
            item.add_marker(pytest.mark.hvac_suite)
            keep.append(item)
        else:
            used.add(match.line)
            deselected.append(item)
            _EXCLUDED.append((item.nodeid, match))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep
    collected_files = {item.nodeid.split("::", 1)[0] for item in keep + deselected}
    for ex in exclusions:
        if ex.line not in used and ex.nodeid.split("::", 1)[0] in collected_files:
            config.issue_config_time_warning(
                pytest.PytestConfigWarning(
                    f"exclusions.txt:{ex.line}: {ex.nodeid} matches no collected test"
                ),
                stacklevel=2,
            )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """A skipped test is a failure here: it must be excluded explicitly, with a reason."""
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        report.outcome = "failed"
        report.longrepr = (
            f"skipped ({reason}) - skips count as failures in the vab hvac suite; if this "
            f"test cannot apply, list it in {EXCLUSIONS_FILE.name} with the reason"
        )
        _CONVERTED_SKIPS.append(item.nodeid)
    return report


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """List the excluded tests with their reasons."""
    if _EXCLUDED:
        terminalreporter.section(f"excluded by {EXCLUSIONS_FILE.name} ({len(_EXCLUDED)})")
        for nodeid, ex in _EXCLUDED:
            scope = f" [{ex.target} only]" if ex.target else ""
            terminalreporter.write_line(f"{nodeid}{scope}: {ex.reason}")
    if _CONVERTED_SKIPS:
        terminalreporter.section("skips turned into failures")
        for nodeid in _CONVERTED_SKIPS:
            terminalreporter.write_line(nodeid)
