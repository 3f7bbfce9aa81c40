#!/usr/bin/env python3
"""Run hvac's own integration tests against our server (default) or OpenBao.

Usage (from anywhere)::

    python tests/hvac_suite/run.py                      # our server, fresh one per test class
    python tests/hvac_suite/run.py --target openbao     # the same tests against real OpenBao
    python tests/hvac_suite/run.py --shared             # one server for the whole run
    python tests/hvac_suite/run.py --addr URL --token T # an already-running server
    python tests/hvac_suite/run.py -- -k token -x       # anything after -- goes to pytest

Steps: fetch hvac's sdist (``pip download --no-binary :all: --no-deps hvac==VERSION``) into
``.cache/hvac-sdist/`` unless present, install the few packages its tests import if missing,
link ``tests/hvac_suite`` and ``tests/support`` into the sdist's ``tests`` package, and run
``python -m pytest -o addopts= -p tests.hvac_suite.plugin FILES`` from the sdist directory.
The exit status is pytest's, except that "no tests collected" (5) is a failure (1).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support.processes import (  # noqa: E402
    SUBSTITUTE_ENV,
    ServerProcess,
    start_openbao_dev,
    start_vab_dev,
)

HVAC_VERSION = "2.4.0"
CACHE_DIR = REPO_ROOT / ".cache" / "hvac-sdist"
SDIST_DIR = CACHE_DIR / f"hvac-{HVAC_VERSION}"

#: hvac integration test files we run, relative to the sdist root. Extend here.
TEST_FILES: tuple[str, ...] = (
    "tests/integration_tests/api/system_backend/test_health.py",
    "tests/integration_tests/api/system_backend/test_policy.py",
    "tests/integration_tests/api/system_backend/test_policies.py",
    "tests/integration_tests/api/system_backend/test_mount.py",
    "tests/integration_tests/api/system_backend/test_auth.py",
    "tests/integration_tests/api/system_backend/test_leader.py",
    "tests/integration_tests/api/system_backend/test_audit.py",
    "tests/integration_tests/api/auth_methods/test_token.py",
    "tests/integration_tests/api/auth_methods/test_approle.py",
    "tests/integration_tests/api/auth_methods/test_github.py",
    "tests/integration_tests/api/secrets_engines/test_kv_v1.py",
    "tests/integration_tests/api/secrets_engines/test_kv_v2.py",
    "tests/integration_tests/api/secrets_engines/test_identity.py",
)

#: import name -> pip requirement, for what hvac's tests/utils and the files above import.
#: (Mocks for LDAP/OIDC etc. need more: werkzeug, flask, Authlib, jwcrypto, ...; the GitHub
#: mock is plain http.server.)
TEST_REQUIREMENTS: dict[str, str] = {
    "parameterized": "parameterized>=0.8.1",
    "hcl": "pyhcl>=0.4.4",  # imported by tests/utils/server_manager.py
    "packaging": "packaging",
    "requests": "requests>=2.27",
    "pytest": "pytest>=8",
}

#: Our code linked into hvac's ``tests`` package so ``-p tests.hvac_suite.plugin`` resolves.
LINKS = ("hvac_suite", "support")


def log(message: str) -> None:
    """Progress output on stderr (stdout stays pytest's)."""
    print(f"[hvac-suite] {message}", file=sys.stderr, flush=True)


def ensure_sdist() -> Path:
    """Download and extract hvac's sdist into the cache unless it is already there."""
    if (SDIST_DIR / "tests" / "integration_tests").is_dir():
        return SDIST_DIR
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=CACHE_DIR) as tmp:
        log(f"downloading hvac=={HVAC_VERSION} sdist")
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-binary",
                ":all:",
                "--no-deps",
                f"hvac=={HVAC_VERSION}",
                "-d",
                tmp,
            ],
            check=True,
        )
        archive = Path(tmp) / f"hvac-{HVAC_VERSION}.tar.gz"
        if not archive.exists():
            raise SystemExit(f"pip download produced no {archive.name}: {os.listdir(tmp)}")
        extract_to = Path(tmp) / "x"
        with tarfile.open(archive) as tar:
            tar.extractall(extract_to, filter="data")
        shutil.rmtree(SDIST_DIR, ignore_errors=True)
        (extract_to / f"hvac-{HVAC_VERSION}").rename(SDIST_DIR)
    log(f"extracted to {SDIST_DIR}")
    return SDIST_DIR


def ensure_requirements() -> None:
    """pip-install the test requirements that are not importable yet."""
    missing = [req for mod, req in TEST_REQUIREMENTS.items() if not importlib.util.find_spec(mod)]
    if missing:
        log(f"installing {' '.join(missing)}")
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", *missing], check=True)


def ensure_links(sdist: Path) -> None:
    """Link our plugin and support packages into the sdist's ``tests`` package."""
    for name in LINKS:
        link = sdist / "tests" / name
        target = REPO_ROOT / "tests" / name
        if link.is_symlink() and link.resolve() == target.resolve():
            continue
        if link.is_symlink() or link.is_file():
            link.unlink()
        elif link.exists():
            shutil.rmtree(link)
        link.symlink_to(target, target_is_directory=True)


def check_hvac_version() -> None:
    """Warn if the installed hvac differs from the one the tests come from."""
    try:
        from importlib.metadata import version

        installed = version("hvac")
    except Exception:  # pragma: no cover - hvac is a test requirement
        return
    if installed != HVAC_VERSION:
        log(f"warning: installed hvac {installed}, tests are from hvac {HVAC_VERSION}")


def parse_args(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """Our options, and the arguments after ``--`` for pytest."""
    argv = list(argv)
    extra: list[str] = []
    if "--" in argv:
        split = argv.index("--")
        argv, extra = argv[:split], argv[split + 1 :]
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--target", choices=("vab", "openbao"), default="vab")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one server for the whole run instead of a fresh one per test class",
    )
    parser.add_argument("--addr", help="use this running server (implies --shared)")
    parser.add_argument("--token", help="root token of --addr")
    parser.add_argument(
        "--files", nargs="+", metavar="FILE", help="test files (default: TEST_FILES)"
    )
    parser.add_argument("--timeout", type=int, default=120, help="per-test timeout (s)")
    args = parser.parse_args(argv)
    if args.addr and not args.token:
        parser.error("--addr needs --token")
    return args, extra


def main(argv: Sequence[str] | None = None) -> int:
    """Prepare everything, run pytest in the sdist, return its exit status."""
    args, extra = parse_args(sys.argv[1:] if argv is None else argv)
    sdist = ensure_sdist()
    ensure_requirements()
    ensure_links(sdist)
    check_hvac_version()

    env = dict(os.environ)
    for key in ("VAB_HVAC_ADDR", "VAB_HVAC_ROOT_TOKEN", "PYTEST_ADDOPTS"):
        env.pop(key, None)
    env["VAB_HVAC_TARGET"] = args.target
    if args.target == "vab" and env.get(SUBSTITUTE_ENV, "").lower() == "openbao":
        log(f"{SUBSTITUTE_ENV}=openbao: the 'vab' servers are OpenBao (dry run)")
    server: ServerProcess | None = None
    if args.addr:
        env.update(VAB_HVAC_ADDR=args.addr, VAB_HVAC_ROOT_TOKEN=args.token)
    elif args.shared:
        server = start_openbao_dev() if args.target == "openbao" else start_vab_dev()
        log(f"shared server {server}")
        env.update(VAB_HVAC_ADDR=server.url, VAB_HVAC_ROOT_TOKEN=server.root_token)

    command = [
        sys.executable,
        "-m",
        "pytest",
        "-o",
        "addopts=",
        "-p",
        "tests.hvac_suite.plugin",
        "-p",
        "no:cacheprovider",
        "-rfE",
    ]
    if importlib.util.find_spec("pytest_timeout"):
        command.append(f"--timeout={args.timeout}")
    command += list(args.files or TEST_FILES) + extra
    log(f"running in {sdist}: {' '.join(command[1:])}")
    try:
        code = subprocess.run(command, cwd=sdist, env=env, check=False).returncode
    finally:
        if server is not None:
            server.stop()
    if code == 5:
        log("no tests ran - treating as a failure")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
