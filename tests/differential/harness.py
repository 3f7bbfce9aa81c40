"""Differential testing: the same requests against two Vault-compatible servers.

A :class:`Case` is a list of :class:`Step` s (method, path under ``/v1/``, JSON body or query,
the token to use by alias). :func:`run_case` plays the case against a *reference* server
(OpenBao) and a *candidate* (ours) and compares, step by step, the status code and the
selected JSON fields after normalisation, so that values that legitimately differ between
two servers (request ids, token strings, accessors, UUIDs, timestamps) compare equal.

Tokens and values created during a case are remembered per side under an alias and can be
used by later steps: ``Step(..., save_token="child")`` stores ``auth.client_token`` (and
``auth.accessor`` as variable ``child.accessor``); ``token="child"`` sends it; placeholders
``{{name}}`` in the path, query or body are replaced by the side's variable ``name``
(``{{token:child}}`` for a token, ``{{uniq}}`` for a per-run unique suffix shared by both
sides so names do not collide on long-lived servers). Remembered values are also
normalised back to ``<token:child>`` / ``<var:name>`` in responses, which keeps the
comparison exact (the same alias on both sides) instead of a generic ``<token>``.

Example::

    case = Case("token lookup", [
        Step("POST", "auth/token/create", json={"policies": ["default"]},
             save_token="t", compare=["auth.policies", "auth.token_type"]),
        Step("GET", "auth/token/lookup-self", token="t", compare=["data"],
             approx={"data.ttl": 5}),
    ])
    assert_same(case, openbao, vab_server)
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

MISSING = "<missing>"
_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z0-9_.:-]+)\s*\}\}")

_UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")
_RFC3339 = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
# Vault (hvs./hvb./hvr.) and OpenBao/legacy (s./b./r.) service, batch and recovery tokens.
_TOKEN = re.compile(r"\b(?:hv[sbr]|[sbr])\.[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*")

#: Keys whose values are times (RFC 3339 strings or unix seconds).
TIME_KEYS = frozenset(
    {
        "creation_time",
        "expire_time",
        "issue_time",
        "last_renewal_time",
        "last_renewal",
        "created_time",
        "updated_time",
        "deletion_time",
        "last_update_time",
        "server_time_utc",
        "creation_timestamp",
        "last_updated",
    }
)
#: Keys whose values identify one server's instance and never match across servers.
INSTANCE_KEYS = frozenset({"request_id", "cluster_id", "cluster_name", "build_date"})
#: Keys whose string values are accessors.
ACCESSOR_KEYS = frozenset({"accessor", "mount_accessor", "canonical_id_accessor"})

Json = Any
Normaliser = Callable[[Json], Json]


class Server(Protocol):
    """Anything with a base ``url`` (no ``/v1``) and a ``root_token``."""

    url: str
    root_token: str


@dataclass(frozen=True)
class Step:
    """One request of a case and what to compare in its response.

    ``compare`` holds dotted paths into the JSON body (``"data.keys"``, ``"auth.policies"``,
    ``"errors"``; list elements by index, ``""`` for the whole body). ``compare_keys`` compares
    only the set of keys of the objects at those paths. ``approx`` maps a dotted path to an
    absolute tolerance for numbers (TTLs that tick down). ``ignore`` removes dotted paths from
    both bodies before comparing. ``token=None`` sends no token. ``until`` maps dotted paths to
    the values a side must answer before the step counts: the request is repeated (for up to
    ``until_timeout`` seconds) while they differ, for work a server finishes in the
    background (OpenBao's ``sys/remount`` migration). The last answer is compared.
    """

    method: str
    path: str
    json: Json = None
    query: Mapping[str, Any] | None = None
    token: str | None = "root"
    headers: Mapping[str, str] | None = None
    compare: Sequence[str] = ()
    compare_keys: Sequence[str] = ()
    approx: Mapping[str, float] = field(default_factory=dict)
    ignore: Sequence[str] = ()
    save_token: str | None = None
    capture: Mapping[str, str] = field(default_factory=dict)
    compare_status: bool = True
    note: str = ""
    until: Mapping[str, Json] = field(default_factory=dict)
    until_timeout: float = 15.0

    def describe(self) -> str:
        """Short human form, e.g. ``POST auth/token/create``."""
        text = f"{self.method.upper()} {self.path}"
        return f"{text} ({self.note})" if self.note else text


@dataclass(frozen=True)
class Case:
    """A named sequence of steps, played in order on each side."""

    name: str
    steps: Sequence[Step]


@dataclass
class Exchange:
    """What one side answered to one step (raw and normalised)."""

    step: Step
    method: str
    url: str
    status: int
    body: Json
    normalised: Json = None


@dataclass(frozen=True)
class Difference:
    """A mismatch between the two sides at one step."""

    step_index: int
    step: Step
    what: str  # "status", a dotted path, "keys(<path>)" or "capture"
    reference: Json
    candidate: Json

    def __str__(self) -> str:
        return (
            f"step {self.step_index} [{self.step.describe()}] {self.what}: "
            f"reference={_short(self.reference)} candidate={_short(self.candidate)}"
        )


@dataclass
class CaseResult:
    """Both sides' exchanges for a case and the differences found."""

    case: Case
    reference: list[Exchange]
    candidate: list[Exchange]
    differences: list[Difference]

    @property
    def same(self) -> bool:
        """True when no difference was found."""
        return not self.differences

    def format(self) -> str:
        """A readable report: every difference and both responses of the first failing step."""
        if self.same:
            return f"case {self.case.name!r}: same"
        lines = [f"case {self.case.name!r}: {len(self.differences)} difference(s)"]
        lines += [f"  - {diff}" for diff in self.differences]
        first = self.differences[0].step_index
        for label, exchanges in (("reference", self.reference), ("candidate", self.candidate)):
            ex = exchanges[first]
            lines.append(f"  {label}: {ex.method} {ex.url} -> {ex.status}")
            lines.append("    " + _short(ex.body, 2000).replace("\n", "\n    "))
        return "\n".join(lines)


class HarnessError(RuntimeError):
    """The harness itself was used wrongly (unknown token alias, bad path...)."""


# -- normalisation ----------------------------------------------------------------------------


#: Remembered values shorter than this are never replaced (a root token ``root`` must not turn
#: the policy name ``root`` into a placeholder); longer ones are also replaced inside strings.
MIN_KNOWN_LENGTH = 8
MIN_EMBEDDED_LENGTH = 16


def replace_known_values(value: Json, known: Mapping[str, str]) -> Json:
    """Replace strings equal to a known value (or containing a long one) by its placeholder."""
    exact = {k: v for k, v in known.items() if len(k) >= MIN_KNOWN_LENGTH}
    embedded = sorted(
        ((k, v) for k, v in exact.items() if len(k) >= MIN_EMBEDDED_LENGTH),
        key=lambda item: len(item[0]),
        reverse=True,
    )
    if not exact:
        return value

    def visit(node: Json) -> Json:
        if isinstance(node, str):
            if node in exact:
                return exact[node]
            for concrete, placeholder in embedded:
                if concrete in node:
                    node = node.replace(concrete, placeholder)
            return node
        if isinstance(node, list):
            return [visit(item) for item in node]
        if isinstance(node, dict):
            return {visit(key): visit(item) for key, item in node.items()}
        return node

    return visit(value)


def normalise_generic(value: Json) -> Json:
    """Default normaliser: instance keys, times, accessors, lease ids, UUIDs and tokens."""

    def visit(node: Json, key: str | None) -> Json:
        if isinstance(node, dict):
            return {k: visit(v, k) for k, v in node.items()}
        if isinstance(node, list):
            return [visit(item, key) for item in node]
        if key in INSTANCE_KEYS and node not in (None, ""):
            return f"<{key}>"
        if key in TIME_KEYS and node not in (None, "", 0):
            return "<time>"
        if isinstance(node, str):
            if key in ACCESSOR_KEYS and node and not node.startswith("<"):
                return "<accessor>"
            if key == "lease_id" and "/" in node:
                return node.rsplit("/", 1)[0] + "/<id>"
            node = _UUID.sub("<uuid>", node)
            node = _RFC3339.sub("<time>", node)
            node = _TOKEN.sub("<token>", node)
        return node

    return visit(value, None)


# -- running ----------------------------------------------------------------------------------


def lookup(body: Json, path: str) -> Json:
    """Value at dotted ``path`` in ``body`` (``""`` = the body); :data:`MISSING` if absent."""
    node = body
    if path == "":
        return node
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part):
            index = int(part)
            if index >= len(node):
                return MISSING
            node = node[index]
        else:
            return MISSING
    return node


def _delete(body: Json, path: str) -> None:
    parent_path, _, last = path.rpartition(".")
    parent = lookup(body, parent_path)
    if isinstance(parent, dict):
        parent.pop(last, None)


class Side:
    """Plays steps against one server, remembering its tokens and captured values."""

    def __init__(
        self,
        label: str,
        server: Server,
        shared_vars: Mapping[str, str],
        normalisers: Sequence[Normaliser],
        timeout: float = 30.0,
    ) -> None:
        self.label = label
        self.base = server.url.rstrip("/") + "/v1/"
        self.tokens: dict[str, str] = {"root": server.root_token}
        self.vars: dict[str, str] = dict(shared_vars)
        self.normalisers = normalisers
        self.timeout = timeout
        self.session = requests.Session()

    def substitute(self, value: Json) -> Json:
        """Replace ``{{name}}`` / ``{{token:alias}}`` placeholders in strings of ``value``."""

        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("token:"):
                return self._token(name.removeprefix("token:"))
            if name not in self.vars:
                raise HarnessError(f"{self.label}: unknown placeholder {{{{{name}}}}}")
            return self.vars[name]

        if isinstance(value, str):
            return _PLACEHOLDER.sub(repl, value)
        if isinstance(value, list):
            return [self.substitute(item) for item in value]
        if isinstance(value, dict):
            return {self.substitute(k): self.substitute(v) for k, v in value.items()}
        return value

    def _token(self, alias: str) -> str:
        if alias not in self.tokens:
            raise HarnessError(
                f"{self.label}: unknown token alias {alias!r} (known: {sorted(self.tokens)})"
            )
        return self.tokens[alias]

    def known_values(self) -> dict[str, str]:
        """Concrete value -> placeholder for everything remembered on this side."""
        known: dict[str, str] = {}
        for name, value in self.vars.items():
            if value and name != "uniq":
                known[value] = f"<var:{name}>"
        for alias, token in self.tokens.items():
            if token:
                known[token] = f"<token:{alias}>"
        return known

    def play(self, step: Step) -> Exchange:
        """Send one step, remember what it asks to save, return the exchange."""
        path = self.substitute(step.path).lstrip("/")
        url = self.base + path
        headers = dict(self.substitute(dict(step.headers or {})))
        if step.token is not None:
            headers["X-Vault-Token"] = self._token(step.token)
        kwargs: dict[str, Any] = {"headers": headers, "timeout": self.timeout}
        if step.query is not None:
            kwargs["params"] = self.substitute(dict(step.query))
        if step.json is not None:
            kwargs["json"] = self.substitute(step.json)
        method = step.method.upper()
        deadline = time.monotonic() + step.until_timeout
        while True:
            response = self.session.request(method, url, **kwargs)
            body = _parse_body(response)
            settled = all(lookup(body, k) == v for k, v in step.until.items())
            if settled or time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        exchange = Exchange(step, method, url, response.status_code, body)
        if step.save_token:
            token = lookup(body, "auth.client_token")
            accessor = lookup(body, "auth.accessor")
            if isinstance(token, str) and token:
                self.tokens[step.save_token] = token
            if isinstance(accessor, str) and accessor:
                self.vars[f"{step.save_token}.accessor"] = accessor
        for name, dotted in step.capture.items():
            value = lookup(body, dotted)
            if value is not MISSING and value is not None:
                self.vars[name] = value if isinstance(value, str) else json.dumps(value)
        normalised = replace_known_values(body, self.known_values())
        for normaliser in self.normalisers:
            normalised = normaliser(normalised)
        exchange.normalised = normalised
        return exchange

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()


def _parse_body(response: requests.Response) -> Json:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


def _short(value: Json, limit: int = 300) -> str:
    text = json.dumps(value, sort_keys=True, indent=None) if not isinstance(value, str) else value
    return text if len(text) <= limit else text[:limit] + "..."


def _numbers_close(a: Json, b: Json, tolerance: float) -> bool:
    numeric = (int, float)
    if isinstance(a, numeric) and isinstance(b, numeric) and not isinstance(a, bool):
        return abs(a - b) <= tolerance
    return a == b


def compare_exchanges(index: int, ref: Exchange, cand: Exchange) -> list[Difference]:
    """Differences between the two sides' answers to step ``index``."""
    step = ref.step
    diffs: list[Difference] = []
    if step.compare_status and ref.status != cand.status:
        diffs.append(Difference(index, step, "status", ref.status, cand.status))
    ref_body = json.loads(json.dumps(ref.normalised))
    cand_body = json.loads(json.dumps(cand.normalised))
    for dotted in step.ignore:
        _delete(ref_body, dotted)
        _delete(cand_body, dotted)
    for dotted in step.compare:
        left, right = lookup(ref_body, dotted), lookup(cand_body, dotted)
        left, right = _apply_approx(dotted, left, right, step.approx)
        if left != right:
            diffs.append(Difference(index, step, dotted or "<body>", left, right))
    for dotted in step.compare_keys:
        left, right = lookup(ref_body, dotted), lookup(cand_body, dotted)
        left_keys = sorted(left) if isinstance(left, dict) else left
        right_keys = sorted(right) if isinstance(right, dict) else right
        if left_keys != right_keys:
            diffs.append(Difference(index, step, f"keys({dotted})", left_keys, right_keys))
    return diffs


def _apply_approx(
    dotted: str, left: Json, right: Json, approx: Mapping[str, float]
) -> tuple[Json, Json]:
    """Make numbers within tolerance equal (for paths at or below ``dotted``)."""
    for path, tolerance in approx.items():
        if path == dotted:
            if _numbers_close(left, right, tolerance):
                return right, right
            continue
        prefix = f"{dotted}." if dotted else ""
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix) :]
        sub_left, sub_right = lookup(left, rest), lookup(right, rest)
        if sub_left is not MISSING and _numbers_close(sub_left, sub_right, tolerance):
            parent = rest.rpartition(".")[0]
            target = lookup(left, parent)
            if isinstance(target, dict):
                target[rest.rpartition(".")[2]] = sub_right
    return left, right


def run_case(
    case: Case,
    reference: Server,
    candidate: Server,
    *,
    normalisers: Sequence[Normaliser] = (normalise_generic,),
    uniq: str | None = None,
) -> CaseResult:
    """Play ``case`` on both servers (reference first, then candidate) and compare."""
    shared = {"uniq": uniq or secrets.token_hex(4)}
    results: list[list[Exchange]] = []
    for label, server in (("reference", reference), ("candidate", candidate)):
        side = Side(label, server, shared, normalisers)
        try:
            results.append([side.play(step) for step in case.steps])
        finally:
            side.close()
    ref, cand = results
    differences: list[Difference] = []
    for index, (left, right) in enumerate(zip(ref, cand, strict=True)):
        differences.extend(compare_exchanges(index, left, right))
    return CaseResult(case, ref, cand, differences)


def assert_same(
    case: Case,
    reference: Server,
    candidate: Server,
    *,
    normalisers: Sequence[Normaliser] = (normalise_generic,),
) -> CaseResult:
    """Run ``case`` and fail with a readable report if the servers answered differently."""
    result = run_case(case, reference, candidate, normalisers=normalisers)
    if not result.same:
        raise AssertionError(result.format())
    return result
