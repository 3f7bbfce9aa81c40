"""The case sets of the policy differential suite.

Two sources, no duplicated data:

* :func:`recorded_sets` -- every scenario of ``tests/policy/cases.py`` (recorded from a
  real OpenBao): its policies, ``sys/capabilities`` on all its paths, and real requests on
  those paths (GET and LIST always; POST where harmless). Most of those paths are
  not mounted, so an allowed request ends in 404 ``no handler for route`` and a refused one
  in 403 -- the ACL is checked before routing, on both servers.
* :func:`request_sets` -- real requests against the KV v1 mount :data:`MOUNT` for what
  only a request shows: parameter constraints (the rows of
  ``tests/policy/test_openbao_findings.py``), wrapping TTLs, create vs update by existence,
  LIST with and without ``/``, sudo on root-protected paths, help, legacy ``policy =``,
  merging across 2-3 policies and templated paths seen by an entity's token.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import groupby
from typing import Any

from tests.differential.policy_sides import MOUNT, CaseSet, Req, request_id
from tests.policy.cases import CASES
from tests.policy.helpers import stanza
from tests.policy.test_openbao_findings import (
    LIST_VALUE_FINDINGS,
    MERGE_FINDINGS,
    PARAMETER_FINDINGS,
    WRAP_FINDINGS,
)

M = MOUNT
_UNSAFE_PREFIXES = ("sys/", "auth/", "identity/")
"""Recorded paths that only get reads and lists (a write there could change the servers)."""


def _clean(path: str) -> bool:
    """Whether an HTTP request can carry ``path`` as is. OpenBao's Go router answers a path
    with an empty segment (``a//b``, a leading ``/``) and the bare ``sys`` with a 307
    redirect to the cleaned path (``sys/``) before any ACL check, so such paths are asked
    about through ``sys/capabilities`` only (see docs/differences.md)."""
    return not path.startswith("/") and "//" not in path and path != "sys"


def _requests_for(path: str, token: str) -> list[Req]:
    if not _clean(path):
        return []
    reqs = [Req("GET", path, token=token), Req("LIST", path, token=token)]
    if not path.startswith(_UNSAFE_PREFIXES):  # (DELETE is covered by the request sets)
        reqs.append(Req("POST", path, {"pd": "1"}, token=token))
    return reqs


def recorded_sets() -> list[CaseSet]:
    """One case set per scenario of ``tests/policy/cases.py``."""
    sets = []
    for scenario, group in groupby(CASES, key=lambda c: c.scenario):
        cases = list(group)
        token = "identity" if cases[0].identity else "plain"
        paths = [c.path for c in cases]
        sets.append(
            CaseSet(
                key=f"recorded:{scenario}",
                policies=cases[0].policies,
                identity=cases[0].identity,
                paths=paths,
                requests=[r for p in dict.fromkeys(paths) for r in _requests_for(p, token)],
            )
        )
    return sets


# -- request case sets -----------------------------------------------------------------------

RW = "create update read list"


def _writes(prefix: str, data: dict[str, Any], n: int) -> list[Req]:
    """POST that creates (a new key) and POST that updates (the seeded key ``u``)."""
    return [Req("POST", f"{prefix}/c{n}", data), Req("POST", f"{prefix}/u", data)]


def _parameter_set() -> CaseSet:
    stanzas, reqs, seed = [], [], []
    for i, (extra, data, _allowed) in enumerate(PARAMETER_FINDINGS):
        stanzas.append(stanza(f"{M}/pf{i}/*", RW, extra))
        seed.append(f"pf{i}/u")
        reqs += _writes(f"{M}/pf{i}", data, 0)
    return CaseSet("params:findings", ["".join(stanzas)], requests=reqs, seed=seed)


#: Vault >= 1.21 matches list values element-wise (and reads "a,b" as a list); OpenBao
#: compares the value as a whole. ``(stanza extras, data, allowed by us)``; the first rows
#: are the engine's own findings, the rest what the request layer adds (repeated query
#: parameters of a read become a list).
LIST_VALUE_ROWS: list[tuple[str, dict[str, Any], bool]] = [
    *LIST_VALUE_FINDINGS,
    ('allowed_parameters = { "x" = ["a", "b"] }', {"x": ""}, True),
    ('allowed_parameters = { "x" = ["a", "b"] }', {"x": []}, True),
    ('allowed_parameters = { "x" = ["a*"] }', {"x": ["ab", "ac"]}, True),
]
LIST_VALUE_QUERY_ROWS: list[tuple[dict[str, Any], bool]] = [
    ({"v": ["1", "2"]}, True),
    ({"v": "1,2"}, True),
]


def _list_value_set() -> CaseSet:
    stanzas, reqs, seed = [], [], ["lvq/u"]
    for i, (extra, data, _allowed) in enumerate(LIST_VALUE_ROWS):
        stanzas.append(stanza(f"{M}/lv{i}/*", RW, extra))
        seed.append(f"lv{i}/u")
        reqs += _writes(f"{M}/lv{i}", data, 0)
    stanzas.append(stanza(f"{M}/lvq/*", "read", 'allowed_parameters = { "v" = ["1", "2"] }'))
    reqs += [Req("GET", f"{M}/lvq/u", query) for query, _ in LIST_VALUE_QUERY_ROWS]
    return CaseSet("params:list-values", ["".join(stanzas)], requests=reqs, seed=seed)


def _merge_set() -> CaseSet:
    first, second, reqs, seed = [], [], [], []
    for i, (extras, expectations) in enumerate(MERGE_FINDINGS):
        first.append(stanza(f"{M}/mg{i}/*", RW, extras[0]))
        second.append(stanza(f"{M}/mg{i}/*", RW, extras[1]))
        seed.append(f"mg{i}/u")
        for j, (data, _allowed) in enumerate(expectations):
            reqs += _writes(f"{M}/mg{i}", data, j)
    # a deny in one policy absorbs the other's grant, parameters and all
    first.append(stanza(f"{M}/mgd/*", RW, 'allowed_parameters = { "a" = [] }'))
    second.append(stanza(f"{M}/mgd/*", "deny"))
    reqs += _writes(f"{M}/mgd", {"a": "1"}, 0)
    return CaseSet("params:merged", ["".join(first), "".join(second)], requests=reqs, seed=seed)


def _query_set() -> CaseSet:
    """Query parameters of reads are request data for the ACL; LIST and DELETE ignore it."""
    policy = "".join(
        [
            stanza(f"{M}/q/*", "read list", 'allowed_parameters = { "v" = ["1", "a*"] }'),
            stanza(f"{M}/qr/*", "read list delete", 'required_parameters = ["v"]'),
            stanza(f"{M}/qd/*", "read", 'denied_parameters = { "v" = ["bad"] }'),
        ]
    )
    reqs = [Req("GET", f"{M}/q/u", q) for q in (None, {"v": "1"}, {"v": "abc"}, {"v": "2"})]
    reqs += [Req("GET", f"{M}/q/u", {"x": "1"}), Req("LIST", f"{M}/q/", {"x": "1"})]
    reqs += [Req("GET", f"{M}/q/", {"list": "true", "x": "1"})]
    reqs += [Req("GET", f"{M}/qr/u", q) for q in (None, {"v": ""}, {"V": "1"}, {"v": "x"})]
    reqs += [Req("LIST", f"{M}/qr/"), Req("DELETE", f"{M}/qr/gone")]
    reqs += [Req("GET", f"{M}/qd/u", q) for q in (None, {"v": "bad"}, {"v": "good"})]
    return CaseSet("params:query", [policy], requests=reqs, seed=["q/u", "qr/u", "qd/u"])


def _wrap_set() -> CaseSet:
    first, second, reqs, seed = [], [], [], []
    for i, (extras, ttl, _allowed) in enumerate(WRAP_FINDINGS):
        first.append(stanza(f"{M}/wr{i}/*", RW, extras[0]))
        if len(extras) > 1:
            second.append(stanza(f"{M}/wr{i}/*", RW, extras[1]))
        seed.append(f"wr{i}/u")
        wrap = str(ttl) if ttl else None
        reqs += [
            Req("GET", f"{M}/wr{i}/u", wrap_ttl=wrap),
            Req("POST", f"{M}/wr{i}/c", {"a": "1"}, wrap_ttl=wrap),
        ]
    first.append(stanza(f"{M}/wl/*", "list delete", 'max_wrapping_ttl = "1h"'))
    seed.append("wl/u")
    for wrap in (None, "30m", "2h"):
        reqs += [Req("LIST", f"{M}/wl/", wrap_ttl=wrap), Req("DELETE", f"{M}/wl/x", wrap_ttl=wrap)]
    return CaseSet("wrapping", ["".join(first), "".join(second)], requests=reqs, seed=seed)


def _create_update_set() -> CaseSet:
    policy = "".join(
        [
            stanza(f"{M}/co/*", "create"),
            stanza(f"{M}/up/*", "update"),
            stanza(f"{M}/cu/*", "create update"),
            stanza(f"{M}/rd/*", "read"),
            stanza(f"{M}/dl/*", "delete"),
        ]
    )
    reqs = []
    for d in ("co", "up", "cu", "rd"):
        reqs += [
            Req("POST", f"{M}/{d}/old", {"v": "2"}),
            Req("PUT", f"{M}/{d}/new", {"v": "1"}),
            Req("POST", f"{M}/{d}/new", {"v": "2"}),  # exists now if the PUT was allowed
            Req("GET", f"{M}/{d}/old"),
            Req("DELETE", f"{M}/{d}/old"),
        ]
    reqs += [Req("GET", f"{M}/rd/missing"), Req("DELETE", f"{M}/dl/old"), Req("POST", f"{M}/dl/x")]
    seed = [f"{d}/old" for d in ("co", "up", "cu", "rd", "dl")]
    return CaseSet("create-vs-update", [policy], requests=reqs, seed=seed)


def _list_set() -> CaseSet:
    policy = "".join(
        [
            stanza(f"{M}/ls1", "list"),
            stanza(f"{M}/ls2/", "list"),
            stanza(f"{M}/ls3/*", "deny"),
            stanza(f"{M}/ls3/open/", "list"),
            stanza(f"{M}/ls4/*", "list read"),
            stanza(f"{M}/ls4/hidden", "deny"),
            stanza(f"{M}/ls5/+/", "list"),
            stanza(f"{M}/ls6/*", "list read"),
            stanza(f"{M}/ls6/priv/*", "deny"),
            stanza(f"{M}/ls7/+", "list"),
        ]
    )
    dirs = ["ls1", "ls2", "ls3", "ls3/open", "ls4", "ls4/hidden", "ls5/z", "ls5", "ls6"]
    dirs += ["ls6/priv", "ls6/pub", "ls7/a", "ls7"]
    reqs = []
    for d in dirs:
        reqs += [Req("LIST", f"{M}/{d}"), Req("LIST", f"{M}/{d}/")]
        reqs += [Req("GET", f"{M}/{d}", {"list": "true"}), Req("GET", f"{M}/{d}/", {"list": "1"})]
    seed = [f"{d}/k" for d in dirs]
    return CaseSet("list-trailing-slash", [policy], requests=reqs, seed=seed)


def _priority_set() -> CaseSet:
    """Exact vs glob deny, ``+`` vs ``*`` and longest prefix, on a mounted engine."""
    policy = "".join(
        [
            stanza(f"{M}/eg/*", "deny"),
            stanza(f"{M}/eg/ok", "read"),
            stanza(f"{M}/ed/*", "read list create update"),
            stanza(f"{M}/ed/no", "deny"),
            stanza(f"{M}/ps/+/cfg", "read"),
            stanza(f"{M}/ps/*", "create update read"),
            stanza(f"{M}/pp/+", "read"),
            stanza(f"{M}/pp/*", "update"),
            stanza(f"{M}/lp/*", "read"),
            stanza(f"{M}/lp/deep/*", "deny"),
            stanza(f"{M}/lp/deep/er*", "read update"),
        ]
    )
    keys = ["eg/ok", "eg/other", "ed/no", "ed/yes", "ps/a/cfg", "ps/a/other", "pp/a", "pp/a/b"]
    keys += ["lp/a", "lp/deep/x", "lp/deep/er", "lp/deep/erx/y"]
    reqs = []
    for k in keys:
        reqs += [Req("GET", f"{M}/{k}"), Req("POST", f"{M}/{k}", {"v": "1"})]
    reqs += [Req("LIST", f"{M}/eg/"), Req("LIST", f"{M}/ed/"), Req("LIST", f"{M}/ed/no/")]
    return CaseSet("priority", [policy], requests=reqs, seed=keys)


def _legacy_set() -> CaseSet:
    policy = "".join(
        f'path "{M}/lg/{kind}/*" {{ policy = "{kind}" }}\n'
        for kind in ("read", "write", "sudo", "deny")
    )
    policy += 'path "auth/token/accessors/" { policy = "sudo" }\n'
    reqs = []
    for kind in ("read", "write", "sudo", "deny"):
        base = f"{M}/lg/{kind}"
        reqs += [
            Req("GET", f"{base}/u"),
            Req("LIST", f"{base}/"),
            Req("POST", f"{base}/u", {"v": "2"}),
        ]
        reqs += [Req("POST", f"{base}/new", {"v": "1"}), Req("DELETE", f"{base}/u")]
    reqs.append(Req("LIST", "auth/token/accessors"))
    seed = [f"lg/{kind}/u" for kind in ("read", "write", "sudo", "deny")]
    return CaseSet("legacy-policy-field", [policy], requests=reqs, seed=seed)


def _merge3_set() -> CaseSet:
    policies = [
        stanza(f"{M}/m3/*", "read") + stanza(f"{M}/m3/x", "list"),
        stanza(f"{M}/m3/x", "create update"),
        stanza(f"{M}/m3/y", "deny") + stanza(f"{M}/m3/*", "create"),
    ]
    reqs = []
    for k in ("x", "y", "z"):
        reqs += [Req("GET", f"{M}/m3/{k}"), Req("POST", f"{M}/m3/{k}", {"v": "2"})]
        reqs += [Req("LIST", f"{M}/m3/{k}"), Req("POST", f"{M}/m3/{k}-new", {"v": "1"})]
    reqs.append(Req("LIST", f"{M}/m3/"))
    return CaseSet("merge-three-policies", policies, requests=reqs, seed=["m3/x", "m3/y", "m3/z"])


ROOT_PROTECTED_REQUESTS = [
    Req("GET", "sys/audit"),
    Req("LIST", "sys/leases/lookup/pdkv/"),
    Req("LIST", "auth/token/accessors"),
    Req("GET", "sys/auth/pd-userpass"),
    Req("GET", f"{M}/ok"),  # not root-protected: read alone suffices
]


def _sudo_sets() -> list[CaseSet]:
    paths = ("sys/audit", "sys/leases/lookup/*", "auth/token/accessors/", "sys/auth/*", f"{M}/*")
    sets = []
    for label, caps in (("without", "read list"), ("with", "read list sudo")):
        policy = "".join(stanza(p, caps) for p in paths)
        sets.append(
            CaseSet(
                f"sudo:{label}",
                [policy],
                paths=["sys/audit", "auth/token/accessors/"],
                requests=ROOT_PROTECTED_REQUESTS,
                seed=["ok"],
            )
        )
    return sets


def _mount_root_set() -> CaseSet:
    """Requests on the mount itself (no trailing ``/``) under a ``mount/*`` grant."""
    policy = stanza(f"{M}/*", "create update read list delete")
    reqs = [Req("POST", M, {"v": "1"}), Req("GET", M), Req("LIST", M), Req("DELETE", M)]
    return CaseSet("mount-root", [policy], requests=reqs)


def _help_set() -> CaseSet:
    """``?help=1`` needs no capability at all, even on root-protected paths."""
    reqs = [
        Req("GET", f"{M}/hidden", {"help": "1"}),
        Req("GET", "sys/audit", {"help": "1"}),
        Req("GET", "nomount/x", {"help": "1"}),
        Req("GET", f"{M}/hidden"),
    ]
    return CaseSet("help", [stanza("unrelated/path")], requests=reqs)


def _templated_set() -> CaseSet:
    policy = "".join(
        [
            stanza(f"{M}/t/{{{{identity.entity.name}}}}/*", RW),
            stanza(f"{M}/tm/{{{{identity.entity.metadata.team}}}}", "read"),
            stanza(f"{M}/tg/{{{{identity.groups.names.case-devs.id}}}}/*", "read list"),
            stanza(f"{M}/ta/{{{{identity.entity.aliases.<accessor>.name}}}}", "read update"),
            stanza(f"{M}/tx/{{{{identity.entity.metadata.missing}}}}", "read"),
            stanza(f"{M}/tp/+/{{{{identity.entity.id}}}}", "read"),
        ]
    )
    keys = ["t/<entity_name>/a", "t/other/a", "tm/blue", "tm/red", "tg/<group_id>/a"]
    keys += ["tg/<parent_group_id>/a", "ta/<alias_name>", "ta/other", "tx/x", "tp/a/<entity_id>"]
    keys += ["tp/a/other"]
    reqs = []
    for k in keys:
        reqs += [Req("GET", f"{M}/{k}", token="identity")]
        reqs += [Req("POST", f"{M}/{k}", {"v": "2"}, token="identity")]
    reqs += [Req("POST", f"{M}/t/<entity_name>/new", {"v": "1"}, token="identity")]
    reqs += [Req("LIST", f"{M}/t/<entity_name>", token="identity")]
    reqs += [Req("LIST", f"{M}/tg/<group_id>/", token="identity")]
    reqs += [Req("GET", f"{M}/t/<entity_name>/a")]  # the plain token has no entity
    return CaseSet(
        "templated",
        [policy],
        identity=True,
        paths=[f"{M}/{k}" for k in keys],
        requests=reqs,
        seed=keys,
    )


def _escape_set() -> CaseSet:
    """HCL string escapes (``\\u0061``, ``\\x62``, octal, ``\\\\``) name the decoded
    path or value: an escaped exact deny still wins over the glob grant."""
    paths_policy = "".join(
        [
            stanza(f"{M}/es/*", "create read update"),
            stanza(rf"{M}/es/\u0061dmin", "deny"),
            stanza(rf"{M}/es/\x62\x63", "update"),
            stanza(rf"{M}/es/\303\251t\303\251", "deny"),
        ]
    )
    values = r'allowed_parameters = { "v" = ["a\\", "\u0078*"] }'
    values_policy = stanza(f"{M}/ep/*", "create update", values)
    keys = ["es/admin", "es/bc", "es/\u00e9t\u00e9", "es/other", "ep/u"]
    reqs = []
    for k in keys[:4]:
        reqs += [Req("GET", f"{M}/{k}"), Req("POST", f"{M}/{k}", {"v": "2"})]
    reqs += [Req("POST", f"{M}/ep/u", {"v": v}) for v in ("a\\", "xyz", "a", "\\u0078y")]
    paths = [f"{M}/{k}" for k in keys[:4]] + [rf"{M}/es/\u0061dmin", rf"{M}/es/\x62\x63"]
    policies = [paths_policy, values_policy]
    return CaseSet("string-escapes", policies, paths=paths, requests=reqs, seed=keys)


#: Paths of the built-in ``default`` policy asked about with each server's own default.
DEFAULT_POLICY_PATHS = [
    "auth/token/lookup-self",
    "auth/token/renew-self",
    "sys/capabilities-self",
    "sys/internal/ui/resultant-acl",
    "sys/renew",
    "sys/leases/renew",
    "sys/leases/lookup",
    "cubbyhole/x",
    "sys/wrapping/wrap",
    "sys/tools/hash/sha2-256",
    "sys/control-group/request",
    "identity/oidc/provider/p/authorize",
    f"{M}/x",
]


def _builtin_default_set() -> CaseSet:
    reqs = [
        Req("GET", "auth/token/lookup-self", token="default"),
        Req("GET", "sys/internal/ui/resultant-acl", token="default"),
        Req("POST", "sys/tools/hash/sha2-256", {"input": "aGk="}, token="default"),
        Req("POST", "cubbyhole/pd", {"v": "1"}, token="default"),
        Req("GET", "cubbyhole/pd", token="default"),
        Req("POST", "sys/renew", {"lease_id": "pd/none"}, token="default"),
        Req("POST", "sys/leases/renew", {"lease_id": "pd/none"}, token="default"),
        Req("POST", "sys/control-group/request", {"accessor": "x"}, token="default"),
        Req("GET", f"{M}/x", token="default"),
    ]
    return CaseSet(
        "builtin-default", [], paths=DEFAULT_POLICY_PATHS, requests=reqs, token="default"
    )


def request_sets() -> list[CaseSet]:
    """The hand-made case sets, in playing order."""
    return [
        _parameter_set(),
        _list_value_set(),
        _merge_set(),
        _query_set(),
        _wrap_set(),
        _create_update_set(),
        _list_set(),
        _priority_set(),
        _legacy_set(),
        _merge3_set(),
        *_sudo_sets(),
        _mount_root_set(),
        _help_set(),
        _templated_set(),
        _escape_set(),
        _builtin_default_set(),
    ]


def all_sets() -> list[CaseSet]:
    """Recorded then hand-made case sets."""
    return recorded_sets() + request_sets()


def case_ids(sets: Sequence[CaseSet]) -> Iterator[tuple[str, str, str]]:
    """``(kind, case set key, item)`` for every capability path and request."""
    for case_set in sets:
        for path in dict.fromkeys(case_set.paths):
            yield "capabilities", case_set.key, path
        for index, req in enumerate(case_set.requests):
            yield "request", case_set.key, request_id(index, req)
