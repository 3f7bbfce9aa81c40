"""ACL policies: our server against a real OpenBao dev server, case by case.

Every case set of :mod:`tests.differential.policy_requests` (the 317 recorded cases of
``tests/policy/cases.py`` grouped by scenario, plus hand-made request sets on a KV v1 mount)
is played on both servers -- the two in parallel, each in the same order, with the policies
of a set written once into three slot policies held by a few session tokens (see
:mod:`tests.differential.policy_sides`). Then one test per capability path and per request
asserts that the servers agree:

* capabilities: the answers of ``sys/capabilities`` and ``sys/capabilities-accessor`` (and
  ``sys/capabilities-self`` for the default-policy token) are equal;
* requests on the KV mount: the same HTTP status; elsewhere (mostly unmounted paths, where
  an allowed request ends in 404 and a refused one in 403): the same ACL verdict.

Differences we keep on purpose are listed in :data:`INTENTIONAL` (each explained in
``docs/differences.md``): for those the test asserts that the servers still differ, so the
list cannot go stale. :data:`NOT_POLICY` lists differences outside the policy engine.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
import requests

from tests.differential.policy_requests import all_sets, case_ids
from tests.differential.policy_sides import MOUNT, Answer, PolicySide, SideResult
from tests.policy.cases import CASES, materialize
from tests.support.processes import ServerProcess

SETS = all_sets()
IDS = list(case_ids(SETS))


@dataclass(frozen=True)
class Known:
    """An expected difference: ``item`` is a capability path, or the start of a request's
    ``METHOD path data`` description; ``""`` covers the whole case set."""

    case_set: str
    item: str
    reason: str

    def covers(self, case_set: str, item: str) -> bool:
        """Whether this entry covers ``item`` (a path, or ``NNN METHOD path ...``)."""
        if case_set != self.case_set:
            return False
        bare = item.split(" ", 1)[1] if item[:3].isdigit() else item
        return self.item == "" or bare == self.item or bare.startswith(self.item + " ")


INTENTIONAL = [
    # 1. Our `default` policy is Vault's: it also grants `sys/renew` (the pre-1.0 lease
    #    renewal path) and `sys/control-group/request`; OpenBao dropped both from its default.
    Known("builtin-default", "sys/renew", "default policy (differences.md #1)"),
    Known("builtin-default", "POST sys/renew", "default policy (differences.md #1)"),
    Known("builtin-default", "sys/control-group/request", "default policy (differences.md #1)"),
    Known(
        "builtin-default", "POST sys/control-group/request", "default policy (differences.md #1)"
    ),
    # 2. List-valued request parameters are matched element by element (and "a,b" is read as
    #    a list) as in Vault >= 1.21; OpenBao compares the whole value. The case set holds
    #    only rows where the two rules disagree.
    Known("params:list-values", "", "list values (differences.md #2)"),
    # 3. A write to a mount's own path without the trailing `/` ("POST cubbyhole"): OpenBao's
    #    existence check appends the `/` to the request path as a side effect, so the ACL
    #    sees `cubbyhole/` and a `cubbyhole/*` grant lets it through to a 400/500 "missing
    #    path"; we check the path the client sent (403).
    Known("recorded:default_policy_without_entity", "POST cubbyhole", "mount root (#5)"),
    Known("mount-root", "POST pdkv", "mount root (differences.md #5)"),
]

NOT_POLICY = [
    # OpenBao serves the OIDC provider's token endpoint unauthenticated (it authenticates the
    # OIDC client instead), so no ACL applies; we have no OIDC provider (not in the spec) and
    # the path is refused like any unknown path.
    Known(
        "recorded:default_policy_without_entity",
        "GET identity/oidc/provider/p1/token",
        "no OIDC provider",
    ),
]


def _known(case_set: str, item: str) -> Known | None:
    for entry in INTENTIONAL + NOT_POLICY:
        if entry.covers(case_set, item):
            return entry
    return None


# -- playing -----------------------------------------------------------------------------------


@dataclass
class Played:
    """Both servers' answers and how long playing took."""

    reference: SideResult
    candidate: SideResult
    seconds: float


def _play(label: str, server: ServerProcess) -> SideResult:
    side = PolicySide(label, server.url, server.root_token)
    try:
        side.setup()
        return side.play(SETS)
    finally:
        side.close()


@pytest.fixture(scope="module")
def played(openbao: ServerProcess, vab_server: ServerProcess) -> Played:
    """Play every case set on OpenBao and on our server, in parallel."""
    start = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        reference = pool.submit(_play, "openbao", openbao)
        candidate = pool.submit(_play, "vab", vab_server)
        results = reference.result(), candidate.result()
    return Played(*results, time.monotonic() - start)


def _verdict(answer: Answer, exact: bool) -> object:
    if answer.status < 0:
        return answer.errors
    if exact:
        return answer.status
    return "denied" if answer.denied else "allowed"


def _pair(played: Played, kind: str, case_set: str, item: str) -> tuple[object, object]:
    if kind == "capabilities":
        return (
            played.reference.capabilities[(case_set, item)],
            played.candidate.capabilities[(case_set, item)],
        )
    ref = played.reference.answers[(case_set, item)]
    cand = played.candidate.answers[(case_set, item)]
    exact = f" {MOUNT}/" in item or item.endswith(f" {MOUNT}")
    return _verdict(ref, exact), _verdict(cand, exact)


# -- the differential assertion ----------------------------------------------------------------


@pytest.mark.parametrize(("kind", "case_set", "item"), IDS, ids=[f"{k}|{s}|{i}" for k, s, i in IDS])
def test_servers_agree(played: Played, kind: str, case_set: str, item: str) -> None:
    reference, candidate = _pair(played, kind, case_set, item)
    known = _known(case_set, item)
    if known is None:
        assert candidate == reference, f"OpenBao: {reference!r}  ours: {candidate!r}"
    else:
        # Still a difference, as documented -- otherwise drop the entry from the list.
        assert candidate != reference, f"listed as a known difference ({known.reason}) but agrees"


def test_table_covers_the_issue() -> None:
    requests_count = sum(1 for kind, _, _ in IDS if kind == "request")
    assert len(IDS) - requests_count >= 300  # capability questions
    assert requests_count >= 300  # real requests
    keys = {s.key for s in SETS}
    for needed in (
        "recorded:prio_plus_over_star",
        "recorded:exact_beats_glob_deny",
        "recorded:exact_deny_beats_glob",
        "recorded:list_rule_without_slash",
        "recorded:legacy_policy_field",
        "recorded:merge_three",
        "recorded:tmpl_groups",
        "params:findings",
        "wrapping",
        "create-vs-update",
        "list-trailing-slash",
        "templated",
        "sudo:with",
    ):
        assert needed in keys


def test_policies_were_written(played: Played) -> None:
    """Every slot write succeeded on both servers (else the cases would compare nothing)."""
    for side in (played.reference, played.candidate):
        bad = {k: v for k, v in side.policy_writes.items() if any(s != 204 for s in v)}
        assert not bad


def test_openbao_still_answers_as_recorded(played: Played) -> None:
    """The live OpenBao gives the answers recorded in ``tests/policy/cases.py`` -- a check that
    the slots and placeholders work (else both servers could agree on nonsense)."""
    wrong = []
    for case in CASES:
        got = played.reference.capabilities[(f"recorded:{case.scenario}", case.path)]
        if got["sys/capabilities"] != sorted(case.capabilities):
            wrong.append((case.scenario, case.path, got, case.capabilities))
    assert not wrong


# -- policy syntax and templates that only one server knows ------------------------------------

SYNTAX = [
    # (policy text, intentional difference?)
    ('path "x" { capabilities = ["subscribe"] }', True),  # Vault's capability; not OpenBao's
    ('path "x" { capabilities = ["scan"] }', True),  # OpenBao's capability; not Vault's
    ('path "x" {\n capabilities = ["read"]\n subscribe_event_types = ["kv*"]\n}', True),
    ('path "x" { capabilities = ["read", "bogus"] }', False),
    ('path "x+*" { capabilities = ["read"] }', False),
    ('path "x" {\n capabilities = ["read"]\n nope = 1\n}', False),
    (
        'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = "2h"\n max_wrapping_ttl = "1h"}',
        False,
    ),
    ('path "x" { policy = "write" }', False),
    ('path "x" { capabilities = ["read"] ', False),
    # OpenBao's own stanza keys (Vault has none of them): refused here (differences.md #3)
    ('path "x" {\n capabilities = ["read"]\n pagination_limit = 5\n}', True),
    ('path "x" {\n capabilities = ["read"]\n expiration = "2030-01-01T00:00:00Z"\n}', True),
    # Go HCL's decoding: typed list elements, exponents, heredoc values, JSON trailing
    # commas, blank texts, scanner errors (illegal chars, open comments, "==")
    ('path "x" { capabilities = [true] }', False),
    ('path "x" { capabilities = ["read", ["list"]] }', False),
    ('path "x" {\n capabilities = ["read"]\n required_parameters = [1, true]\n}', False),
    ('path "x" {\n capabilities = ["read"]\n mfa_methods = [1.5]\n}', False),
    ('path "x" { policy = true }', False),
    (
        'path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = 1e3\n max_wrapping_ttl = 1e2\n}',
        False,
    ),
    ('path "x" {\n capabilities = ["read"]\n min_wrapping_ttl = 1.5e1\n}', False),
    ('path "x" {\n capabilities = ["read"]\n policy = <<EOF\nread\nEOF\n}', False),
    ('path "x" { capabilities = <<EOF\nread\nEOF\n}', False),
    ('{"path": {"x": {"capabilities": ["read",]}}}', False),
    ('{"path": {"x": {"capabilities": ["read"]}},}', False),
    ("   ", False),
    ("path = 1", False),
    ('path "x" { capabilities = ["read"] }\n/* open', False),
    ('path "x" { capabilities == ["read"] }', False),
    ('path "x" { capabilities != ["read"] }', False),
    ("path \"x\" { capabilities = ['read'] }", False),
    ('path "a\\tb" { capabilities = ["x\\ty"] }', False),  # messages quote like Go's %q
    # Go HCL string escapes: decoded, or refused with the position of the bad character
    ('path "x" { capabilities = ["re\\u0061d"] }', False),
    ('path "x\\\\" { capabilities = ["read"] }', False),
    ('path "x\\/y" { capabilities = ["read"] }', False),
    ('path "x" { capabilities = ["read"] }\npath "\\u00" { capabilities = ["read"] }', False),
    ('path "x" {\n capabilities = ["read"]\n allowed_parameters = { "a" = ["\\q"] }\n}', False),
]


@pytest.mark.parametrize(("text", "intentional"), SYNTAX)
def test_policy_syntax(
    openbao: ServerProcess, vab_server: ServerProcess, text: str, intentional: bool
) -> None:
    answers = []
    for server in (openbao, vab_server):
        resp = requests.put(
            f"{server.url}/v1/sys/policies/acl/pd-syntax",
            json={"policy": text},
            headers={"X-Vault-Token": server.root_token},
            timeout=30,
        )
        answers.append((resp.status_code, resp.json().get("errors") if resp.content else None))
    if intentional:  # differences.md #3: we accept exactly Vault's capabilities and keys
        assert answers[0][0] != answers[1][0]
    else:
        assert answers[1] == answers[0]


def test_time_now_templates_are_not_supported(
    openbao: ServerProcess, vab_server: ServerProcess
) -> None:
    """differences.md #4: OpenBao fills ``{{time.now}}`` in policy paths; we drop the stanza."""
    policy = 'path "pd-time/{{time.now}}" { capabilities = ["read"] }'
    granted = []
    for server in (openbao, vab_server):
        side = PolicySide("time", server.url, server.root_token)
        side.must("PUT", "sys/policies/acl/pd-time", {"policy": policy})
        token = side.must(
            "POST", "auth/token/create", {"policies": ["pd-time"], "no_default_policy": True}
        )["auth"]["client_token"]
        now = int(time.time())
        paths = [f"pd-time/{now + d}" for d in (-1, 0, 1, 2)]
        answer = side.must("POST", "sys/capabilities", {"token": token, "paths": paths})
        granted.append(any(answer["data"][p] == ["read"] for p in paths))
        side.close()
    assert granted == [True, False]


def test_materialize_fills_every_placeholder() -> None:
    """Sanity of the tables: no ``<placeholder>`` survives in a case set's policies."""
    identity = {"entity_id": "e", "entity_name": "n", "accessor": "a", "alias_id": "i"}
    identity |= {"alias_name": "casebot", "group_id": "g", "parent_group_id": "p"}
    for case_set in SETS:
        for text in case_set.policies:
            assert "<" not in materialize(text, identity), case_set.key


# -- sys/internal/ui/resultant-acl ---------------------------------------------------------------

RESULTANT_POLICIES = {
    "pd-racl-1": """
path "sys/internal/ui/resultant-acl" { capabilities = ["read"] }
path "ra/exact" { capabilities = ["read", "create", "sudo", "patch"]
  allowed_parameters = { "A" = ["x", "y*"], "b" = [] }
  denied_parameters = { "c" = ["z"] }
  required_parameters = ["a"]
  min_wrapping_ttl = "1m"
  max_wrapping_ttl = 3600 }
path "ra/glob/*" { capabilities = ["list", "delete"] }
path "ra/deny/*" { capabilities = ["deny"] }
path "ra/+/seg" { capabilities = ["read"] }
path "ra/empty" { capabilities = [] }
""",
    "pd-racl-2": """
path "ra/glob/*" { capabilities = ["update"]
  allowed_parameters = { "q" = ["1"] } }
path "ra/exact" { capabilities = ["deny"] }
path "ra/t/{{identity.entity.id}}" { capabilities = ["read"] }
""",
}


@pytest.mark.parametrize("names", [["pd-racl-1"], ["pd-racl-1", "pd-racl-2"], ["root"]])
def test_resultant_acl(openbao: ServerProcess, vab_server: ServerProcess, names: list) -> None:
    answers = []
    for server in (openbao, vab_server):
        side = PolicySide("racl", server.url, server.root_token)
        for name, text in RESULTANT_POLICIES.items():
            side.must("PUT", f"sys/policies/acl/{name}", {"policy": text})
        body = {"policies": names, "no_default_policy": True}
        token = side.must("POST", "auth/token/create", body)["auth"]["client_token"]
        resp = side.call("GET", "sys/internal/ui/resultant-acl", token=token)
        answers.append((resp.status_code, resp.json().get("data")))
        side.close()
    assert answers[1] == answers[0]


def test_forbidden_template_value(openbao: ServerProcess, vab_server: ServerProcess) -> None:
    """A template that substitutes a value with ``/`` breaks the entity's whole ACL: OpenBao
    refuses its requests with 400 ``Forbidden`` and explains in ``sys/capabilities`` (403)."""
    policy = 'path "pd-tv/{{identity.entity.metadata.team}}/*" { capabilities = ["read"] }\n'
    policy += 'path "pd-tv/plain" { capabilities = ["read"] }'
    answers = []
    for server in (openbao, vab_server):
        side = PolicySide("template", server.url, server.root_token)
        side.must("POST", "sys/auth/pd-tv", {"type": "userpass"})
        side.must(
            "POST", "auth/pd-tv/users/tv", {"password": "pw", "token_no_default_policy": True}
        )
        login = side.must("POST", "auth/pd-tv/login/tv", {"password": "pw"})["auth"]
        side.must("PUT", "sys/policies/acl/pd-tv", {"policy": policy})
        body = {"metadata": {"team": "a/b"}, "policies": ["pd-tv"]}
        side.must("POST", f"identity/entity/id/{login['entity_id']}", body)
        token = login["client_token"]
        got = [side.call("GET", "pd-tv/plain", token=token)]
        got.append(
            side.call("POST", "sys/capabilities", {"token": token, "paths": ["pd-tv/plain"]})
        )
        answers.append([(r.status_code, r.json().get("errors")) for r in got])
        side.close()
    assert answers[1] == answers[0]
