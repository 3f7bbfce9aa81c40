"""Record OpenBao's answers for the policy case table (writes ``tests/policy/cases.py``).

Every scenario below is a list of policy texts and the paths to ask about. For each
scenario the policies are written to a real OpenBao dev server
(``PUT sys/policies/acl/NAME``), a token carrying exactly those policies is created
(``auth/token/create``, no default policy) and ``POST sys/capabilities`` is asked for
all paths at once; the answers become the expected values of ``cases.py``.

Templated scenarios (``identity=True``) run against an entity instead: a userpass
login yields a token bound to an entity with known metadata, alias and groups, and
the scenario's policies are set as that entity's policies. Placeholders such as
``<entity_id>`` and ``<accessor>`` in policies and paths are filled with the values of
that entity, which are recorded in ``cases.IDENTITY`` (see ``cases.materialize``).

Usage::

    python -m tests.policy.record_cases                 # starts `bao server -dev`
    python -m tests.policy.record_cases --addr http://127.0.0.1:8200 --token root
"""

from __future__ import annotations

import argparse
import contextlib
import json
import pprint
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, NamedTuple

from vault_agent_backend.policy.defaults import DEFAULT_CEILING_POLICY_HCL, DEFAULT_POLICY_HCL

OUT = Path(__file__).with_name("cases.py")


class Scenario(NamedTuple):
    name: str
    policies: tuple[str, ...]
    paths: tuple[str, ...]
    identity: bool = False


def _p(path: str, caps: str = "read", extra: str = "") -> str:
    """One stanza: ``_p("a/*", "read list")``."""
    quoted = ", ".join(f'"{c}"' for c in caps.split())
    body = f"  capabilities = [{quoted}]\n" + (f"  {extra}\n" if extra else "")
    return f'path "{path}" {{\n{body}}}\n'


def _pol(*stanzas: str) -> str:
    return "".join(stanzas)


S = Scenario
SCENARIOS: list[Scenario] = [
    # -- exact and prefix rules ------------------------------------------------
    S(
        "exact",
        (_p("secret/foo"),),
        (
            "secret/foo",
            "secret/foo/",
            "secret/foo/bar",
            "secret/fo",
            "secret/foobar",
            "/secret/foo",
            "secret",
            "secret/",
        ),
    ),
    S(
        "prefix",
        (_p("secret/*", "read list"),),
        ("secret/", "secret", "secret/a", "secret/a/b/c", "secretx", "secrets/a", "/secret/a"),
    ),
    S(
        "prefix_without_slash",
        (_p("secret*", "update"),),
        ("secret", "secrets", "secret/x", "secre", "sec/ret", "secret/"),
    ),
    S(
        "longest_prefix",
        (_pol(_p("secret/*"), _p("secret/foo/*", "deny"), _p("secret/foo/bar*", "update")),),
        (
            "secret/a",
            "secret/foo/a",
            "secret/foo/",
            "secret/foo",
            "secret/foo/bar",
            "secret/foo/barn",
            "secret/foo/bar/x",
            "secret/fo",
        ),
    ),
    S(
        "exact_beats_glob_deny",
        (_pol(_p("secret/*", "deny"), _p("secret/ok")),),
        ("secret/ok", "secret/ok/", "secret/okx", "secret/other", "secret/ok/x"),
    ),
    S(
        "exact_deny_beats_glob",
        (_pol(_p("secret/*", "create read update delete list"), _p("secret/nope", "deny")),),
        ("secret/nope", "secret/nope/", "secret/nope/x", "secret/nopex", "secret/yes"),
    ),
    S(
        "empty_capabilities_exact",
        (_pol(_p("secret/*"), 'path "secret/empty" {\n  capabilities = []\n}\n'),),
        ("secret/empty", "secret/empty/", "secret/x", "secret/emptyx"),
    ),
    S(
        "star_everything",
        (_pol(_p("*"), _p("sys/*", "deny")),),
        ("anything", "a/b/c", "sys/x", "sys", "sysx", "sys/", "/x"),
    ),
    S(
        "star_in_middle_is_literal",
        (_pol(_p("a*b"), _p("c/*/d", "update")),),
        ("a*b", "axb", "a*bc", "c/*/d", "c/x/d", "c/*/dx"),
    ),
    S("case_sensitive", (_p("Secret/Foo"),), ("Secret/Foo", "secret/foo", "SECRET/FOO")),
    S(
        "leading_slash_in_policy",
        (_pol(_p("/secret/lead"), _p("//secret/double")),),
        ("secret/lead", "/secret/lead", "secret/double", "/secret/double", "//secret/lead"),
    ),
    # -- segment wildcards -----------------------------------------------------
    S(
        "plus_exact",
        (_p("secret/+/config"),),
        (
            "secret/a/config",
            "secret/b/config",
            "secret/a/config/",
            "secret/a/b/config",
            "secret/config",
            "secret//config",
            "secret/a/configx",
            "secret/a/config/x",
        ),
    ),
    S(
        "plus_prefix",
        (_p("secret/+/app*", "list read"),),
        (
            "secret/a/app",
            "secret/a/apple",
            "secret/a/app/x",
            "secret/a/ap",
            "secret/app",
            "secret/a/b/app",
        ),
    ),
    S(
        "plus_first_segment",
        (_p("+/data/*"),),
        ("kv/data/x", "kv/data/", "kv/data", "a/b/data/x", "data/x", "kv/datax"),
    ),
    S("plus_alone", (_p("+"),), ("a", "a/", "a/b", "+", "/a", "*")),
    S(
        "plus_two_segments",
        (_p("a/+/+/d", "update"),),
        ("a/b/c/d", "a/b/c/d/", "a/b/d", "a/b/c/e", "a/b/c/d/e", "a/+/+/d"),
    ),
    S("plus_then_slash_star", (_p("kv/+/*"),), ("kv/a/", "kv/a/b", "kv/a", "kv/a/b/c", "kv/")),
    S(
        "plus_literal_in_segment",
        (_pol(_p("a/+b/c"), _p("a+/d", "update")),),
        ("a/+b/c", "a/xb/c", "a+/d", "ab/d", "a/x/c"),
    ),
    S("plus_matches_empty_segment", (_p("e/+"),), ("e/", "e//", "e/x", "e", "e/x/")),
    S("plus_star_suffix", (_p("a/+/b*"),), ("a/x/b", "a/b/bc", "a/b/b", "a/b/c", "a/x/b/y")),
    # -- priority between wildcard rules (Vault's documented order) ------------
    S(
        "prio_glob_after_plus_position",
        (_pol(_p("foo/a*"), _p("foo/+", "update")),),
        ("foo/abc", "foo/b", "foo/a", "foo/a/b", "foo/", "foo"),
    ),
    S(
        "prio_later_wildcard_wins",
        (_pol(_p("foo/bar/+/baz"), _p("foo/+/bar/baz", "update")),),
        ("foo/bar/bar/baz", "foo/x/bar/baz", "foo/bar/x/baz", "foo/bar/x/baz/"),
    ),
    S(
        "prio_non_prefix_wins",
        (_pol(_p("foo/+/bar"), _p("foo/+/ba*", "update")),),
        ("foo/x/bar", "foo/x/baz", "foo/x/ba", "foo/x/bar/y", "foo/x/b"),
    ),
    S(
        "prio_plus_over_star",
        (_pol(_p("foo/+"), _p("foo/*", "update")),),
        ("foo/x", "foo/x/y", "foo/", "foo", "foo/x/"),
    ),
    S(
        "prio_fewer_plus_wins",
        (_pol(_p("foo/bar/+/baz"), _p("foo/+/+/baz", "update")),),
        ("foo/bar/x/baz", "foo/y/x/baz", "foo/bar/bar/baz"),
    ),
    S(
        "prio_longer_wins",
        (_pol(_p("foo/+/bar/ba*"), _p("foo/+/bar/b*", "update")),),
        ("foo/x/bar/baz", "foo/x/bar/bz", "foo/x/bar/ba", "foo/x/bar/b"),
    ),
    S(
        "prio_many_plus_lose_to_glob",
        (_pol(_p("secret/+/+/foo/*", "deny"), _p("secret/*")),),
        ("secret/a/b/foo/c", "secret/a/b/c", "secret/a/b/foo/", "secret/a/b/foo"),
    ),
    S(
        "prio_exact_over_plus",
        (_pol(_p("secret/+/x"), _p("secret/a/x", "update")),),
        ("secret/a/x", "secret/b/x", "secret/a/x/"),
    ),
    S(
        "prio_plus_vs_prefix_same_position",
        (_pol(_p("a/+/c"), _p("a/*", "update")),),
        ("a/b/c", "a/b/d", "a/b", "a/b/c/d"),
    ),
    S(
        "prio_root_glob_vs_plus",
        (_pol(_p("*"), _p("+/x", "update")),),
        ("a/x", "b/y", "x", "a/x/y"),
    ),
    S(
        "prio_deep_prefix_vs_plus",
        (_pol(_p("app/+/secrets/*", "deny"), _p("app/team/*", "read list")),),
        ("app/team/secrets/x", "app/other/secrets/x", "app/team/config", "app/team/secrets/"),
    ),
    # -- LIST and trailing slashes ---------------------------------------------
    S(
        "list_rule_without_slash",
        (_p("secret/dir", "list"),),
        ("secret/dir", "secret/dir/", "secret/dir//", "secret/dir/x"),
    ),
    S(
        "list_rule_with_slash",
        (_p("secret/dir/", "list"),),
        ("secret/dir/", "secret/dir", "secret/dir/x"),
    ),
    S(
        "list_plus_without_slash",
        (_p("+/sys/policies/acl", "list"),),
        ("ns/sys/policies/acl", "ns/sys/policies/acl/", "ns/sys/policies/acl/x"),
    ),
    S(
        "list_deny_bypass_fixed",
        (
            _pol(
                _p("foo/metadata/*", "list read"),
                _p("foo/metadata/private/*", "deny"),
                _p("foo/metadata/private/granted/*", "list"),
            ),
        ),
        (
            "foo/",
            "foo/metadata/",
            "foo/metadata/test/",
            "foo/metadata/private/",
            "foo/metadata/private",
            "foo/metadata/private/internal/",
            "foo/metadata/private/granted/",
            "foo/metadata/private/granted/test/",
            "foo/metadata/privatex/",
        ),
    ),
    S(
        "list_plus_deny_vs_glob",
        (_pol(_p("secret/*", "list read"), _p("secret/+/private", "deny")),),
        ("secret/a/private", "secret/a/private/", "secret/a/private/x", "secret/a/public"),
    ),
    S(
        "list_prefix_deny_on_bare_path",
        (_pol(_p("secret/foo/", "list read"), _p("secret/foo*", "deny")),),
        ("secret/foo", "secret/foo/", "secret/foo/bar", "secret/food"),
    ),
    S(
        "list_exact_deny_without_slash",
        (_pol(_p("kv/*", "list read"), _p("kv/hidden", "deny")),),
        ("kv/hidden", "kv/hidden/", "kv/hidden/x", "kv/hiddenx/"),
    ),
    S(
        "list_exact_grant_under_glob_deny",
        (_pol(_p("kv/*", "deny"), _p("kv/list/", "list")),),
        ("kv/list/", "kv/list", "kv/list/x", "kv/"),
    ),
    S("list_plus_with_trailing_slash", (_p("m/+/", "list"),), ("m/a/", "m/a", "m/a/b", "m//")),
    S(
        "prio_longer_plus_prefix_wins",
        (_pol(_p("x/+/y/*", "deny"), _p("x/+/*")),),
        ("x/a/y/z", "x/a/z", "x/a/y", "x/a/y/", "x/a/"),
    ),
    # -- merging across policies -----------------------------------------------
    S(
        "merge_or",
        (_p("secret/*"), _pol(_p("secret/*", "list"), _p("secret/x", "update"))),
        ("secret/a", "secret/x", "secret/x/", "secret/"),
    ),
    S(
        "merge_deny_first",
        (_p("secret/*", "deny"), _p("secret/*", "read update")),
        ("secret/a", "secret/", "secret"),
    ),
    S(
        "merge_deny_second",
        (_p("secret/*", "read update"), _p("secret/*", "deny")),
        ("secret/a", "secret/"),
    ),
    S(
        "merge_three",
        (
            _pol(_p("s/x"), _p("s/*", "list")),
            _p("s/x", "update"),
            _pol(_p("s/y", "deny"), _p("s/*", "create")),
        ),
        ("s/x", "s/y", "s/z", "s/x/", "s/y/"),
    ),
    S(
        "merge_exact_vs_other_policy_glob",
        (_p("secret/a"), _p("secret/a*", "deny")),
        ("secret/a", "secret/ab", "secret/a/"),
    ),
    S(
        "merge_segment_rules",
        (_p("s/+/x"), _p("s/+/x", "deny"), _p("s/*", "list")),
        ("s/a/x", "s/a/y", "s/a/x/"),
    ),
    S("merge_sudo_patch", (_p("ops/*", "sudo"), _p("ops/*", "patch read")), ("ops/a", "ops/")),
    S(
        "merge_more_specific_rule_narrows",
        (_p("a/*", "read update"), _p("a/b", "list")),
        ("a/b", "a/c", "a/b/"),
    ),
    S(
        "merge_empty_stanza_narrows",
        (_p("a/*", "read"), 'path "a/b" {\n  capabilities = []\n}\n'),
        ("a/b", "a/c"),
    ),
    S("merge_duplicate_stanza_in_one_policy", (_pol(_p("d"), _p("d", "list")),), ("d", "d/")),
    # -- syntax forms ----------------------------------------------------------
    S(
        "legacy_policy_field",
        (
            'path "a" { policy = "read" }\npath "b" { policy = "write" }\n'
            'path "c" { policy = "sudo" }\npath "d" { policy = "deny" }\n'
            'path "e/*" { policy = "read" }\n'
            'path "f" {\n  policy = "read"\n  capabilities = ["update"]\n}\n'
            'path "g" {\n  policy = "deny"\n  capabilities = ["update"]\n}\n',
        ),
        ("a", "b", "c", "d", "e/x", "f", "g", "e/"),
    ),
    S("all_capabilities", (_p("x", "create read update patch delete list sudo"),), ("x", "x/")),
    S(
        "deny_among_others",
        (_pol(_p("x", "read deny update"), _p("y/*", "deny read")),),
        ("x", "y/z", "y/"),
    ),
    S(
        "json_policy",
        ('{"path": {"j/x": {"capabilities": ["read"]}, "j/y/*": {"capabilities": ["list"]}}}',),
        ("j/x", "j/y/z", "j/y/", "j/y"),
    ),
    S("block_without_label", ('path {\n  capabilities = ["read"]\n}\n',), ("path", "x")),
    S(
        "repeated_capabilities_key",
        ('path "r" {\n  capabilities = ["read"]\n  capabilities = ["list"]\n}\n',),
        ("r",),
    ),
    S(
        "parameters_do_not_change_capabilities",
        (
            _p(
                "pc/*",
                "read update",
                'allowed_parameters = { "a" = ["b"] }\n'
                '  required_parameters = ["a"]\n  min_wrapping_ttl = "1m"\n'
                '  max_wrapping_ttl = "1h"',
            ),
        ),
        ("pc/x", "pc/"),
    ),
    # -- built-in policies -----------------------------------------------------
    S(
        "default_policy_without_entity",
        (DEFAULT_POLICY_HCL,),
        (
            "auth/token/lookup-self",
            "auth/token/renew-self",
            "auth/token/revoke-self",
            "sys/capabilities-self",
            "sys/internal/ui/resultant-acl",
            "sys/renew",
            "sys/leases/renew",
            "sys/leases/lookup",
            "cubbyhole/x",
            "cubbyhole/",
            "cubbyhole",
            "sys/wrapping/wrap",
            "sys/wrapping/lookup",
            "sys/wrapping/unwrap",
            "sys/tools/hash",
            "sys/tools/hash/sha2-256",
            "sys/control-group/request",
            "identity/oidc/provider/p1/authorize",
            "identity/oidc/provider/p1/token",
            "secret/x",
            "auth/token/create",
            "identity/entity/id/x",
        ),
    ),
    # -- identity templates ----------------------------------------------------
    S(
        "tmpl_default_policy",
        (DEFAULT_POLICY_HCL,),
        (
            "identity/entity/id/<entity_id>",
            "identity/entity/name/<entity_name>",
            "identity/entity/id/other",
            "identity/entity/name/other",
            "auth/token/lookup-self",
        ),
        identity=True,
    ),
    S(
        "tmpl_default_ceiling",
        (DEFAULT_CEILING_POLICY_HCL,),
        (
            "agent-registry/registration/entity-id/<entity_id>",
            "identity/agent/registration/entity-id/<entity_id>",
            "agent-registry/registration/entity-id/other",
            "identity/entity/id/<entity_id>",
            "sys/policies/acl/default",
            "sys/policy/default-ceiling",
            "sys/policies/acl/other",
        ),
        identity=True,
    ),
    S(
        "tmpl_metadata",
        (
            _pol(
                _p("kv/data/{{identity.entity.metadata.team}}/*"),
                _p("kv/meta/{{identity.entity.metadata.missing}}/*"),
            ),
        ),
        ("kv/data/blue/x", "kv/data/red/x", "kv/meta/x", "kv/meta//x"),
        identity=True,
    ),
    S(
        "tmpl_whitespace",
        (_p("ws/{{ identity.entity.name }}"), _p("ws2/{{identity.entity.id   }}", "update")),
        ("ws/<entity_name>", "ws2/<entity_id>", "ws/x"),
        identity=True,
    ),
    S(
        "tmpl_alias",
        (
            _pol(
                _p("al/{{identity.entity.aliases.<accessor>.name}}"),
                _p("alid/{{identity.entity.aliases.<accessor>.id}}", "update"),
                _p("alm/{{identity.entity.aliases.<accessor>.custom_metadata.tier}}", "list"),
                _p("alx/{{identity.entity.aliases.auth_nope_123.name}}"),
            ),
        ),
        ("al/casebot", "alid/<alias_id>", "alm/gold", "alx/casebot", "al/other"),
        identity=True,
    ),
    S(
        "tmpl_groups",
        (
            _pol(
                _p("g/{{identity.groups.names.case-devs.id}}"),
                _p("gn/{{identity.groups.ids.<group_id>.name}}", "update"),
                _p("gm/{{identity.groups.names.case-devs.metadata.env}}", "list"),
                _p("gp/{{identity.groups.names.case-parent.id}}", "delete"),
                _p("gx/{{identity.groups.names.nope.id}}"),
            ),
        ),
        ("g/<group_id>", "gn/case-devs", "gm/prod", "gp/<parent_group_id>", "gx/", "g/other"),
        identity=True,
    ),
    S(
        "tmpl_empty_metadata_value",
        (_p("em/{{identity.entity.metadata.empty}}x"),),
        ("em/x", "em/"),
        identity=True,
    ),
    S(
        "tmpl_with_glob_and_plus",
        (_pol(_p("tg/{{identity.entity.id}}/*"), _p("tg/+/shared", "update")),),
        ("tg/<entity_id>/a", "tg/<entity_id>/shared", "tg/x/shared", "tg/<entity_id>"),
        identity=True,
    ),
    S(
        "tmpl_merges_with_literal",
        (_p("mm/{{identity.entity.metadata.team}}"), _p("mm/blue", "update")),
        ("mm/blue", "mm/red"),
        identity=True,
    ),
    S(
        "tmpl_unknown_directives_dropped",
        (_pol(_p("u/{{identity.entity.bogus}}"), _p("u2/{{foo}}"), _p("u3/ok")),),
        ("u/", "u2/", "u3/ok"),
        identity=True,
    ),
]

IDENTITY_METADATA = {"team": "blue", "env": "prod", "empty": "", "comma": "a,b", "sp": "x y"}


class Bao:
    """Minimal client for the few endpoints the recorder needs."""

    def __init__(self, addr: str, token: str) -> None:
        self.addr = addr.rstrip("/")
        self.token = token

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.addr}/v1/{path}", data=data, method=method)
        req.add_header("X-Vault-Token", token or self.token)
        req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise RuntimeError(f"{method} {path}: {exc.code} {exc.read().decode()}") from None
        return json.loads(raw) if raw else None


def _fill(text: str, values: dict[str, str]) -> str:
    for key, value in values.items():
        text = text.replace(f"<{key}>", value)
    return text


def setup_identity(bao: Bao) -> tuple[str, dict[str, Any]]:
    """A userpass user with an entity, alias custom metadata and two groups."""
    bao.call("POST", "sys/auth/userpass", {"type": "userpass"})
    accessor = bao.call("GET", "sys/auth")["data"]["userpass/"]["accessor"]
    bao.call(
        "POST",
        "auth/userpass/users/casebot",
        {"password": "case-pw", "token_no_default_policy": True},
    )
    login = bao.call("POST", "auth/userpass/login/casebot", {"password": "case-pw"})
    token, entity_id = login["auth"]["client_token"], login["auth"]["entity_id"]
    bao.call(
        "POST",
        f"identity/entity/id/{entity_id}",
        {"name": "casebot-entity", "metadata": IDENTITY_METADATA},
    )
    entity = bao.call("GET", f"identity/entity/id/{entity_id}")["data"]
    alias = entity["aliases"][0]
    bao.call(
        "POST",
        f"identity/entity-alias/id/{alias['id']}",
        {
            "canonical_id": entity_id,
            "mount_accessor": accessor,
            "name": alias["name"],
            "custom_metadata": {"tier": "gold"},
        },
    )
    devs = bao.call(
        "POST",
        "identity/group",
        {"name": "case-devs", "member_entity_ids": [entity_id], "metadata": {"env": "prod"}},
    )["data"]
    parent = bao.call(
        "POST", "identity/group", {"name": "case-parent", "member_group_ids": [devs["id"]]}
    )["data"]
    identity = {
        "entity_id": entity_id,
        "entity_name": "casebot-entity",
        "entity_metadata": dict(IDENTITY_METADATA),
        "accessor": accessor,
        "alias_id": alias["id"],
        "alias_name": alias["name"],
        "alias_custom_metadata": {"tier": "gold"},
        "group_id": devs["id"],
        "group_name": "case-devs",
        "group_metadata": {"env": "prod"},
        "parent_group_id": parent["id"],
        "parent_group_name": "case-parent",
    }
    return token, identity


def record(bao: Bao) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    ident_token, identity = setup_identity(bao)
    values = {k: v for k, v in identity.items() if isinstance(v, str)}
    rows: list[dict[str, Any]] = []
    for n, sc in enumerate(SCENARIOS):
        names = []
        for i, text in enumerate(sc.policies):
            name = f"case{n}-{i}"
            bao.call("PUT", f"sys/policies/acl/{name}", {"policy": _fill(text, values)})
            names.append(name)
        if sc.identity:
            bao.call("POST", f"identity/entity/id/{identity['entity_id']}", {"policies": names})
            token = ident_token
        else:
            created = bao.call(
                "POST", "auth/token/create", {"policies": names, "no_default_policy": True}
            )
            token = created["auth"]["client_token"]
        paths = [_fill(p, values) for p in sc.paths]
        answer = bao.call("POST", "sys/capabilities", {"token": token, "paths": paths})
        for raw_path, path in zip(sc.paths, paths, strict=True):
            rows.append(
                {
                    "scenario": sc.name,
                    "policies": sc.policies,
                    "path": raw_path,
                    "capabilities": tuple(answer[path]),
                    "identity": sc.identity,
                }
            )
    return rows, identity


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_bao() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    addr = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [
            "bao",
            "server",
            "-dev",
            "-dev-root-token-id=root",
            "-dev-no-store-token",
            f"-dev-listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{addr}/v1/sys/health"):
                return proc, addr
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("bao dev server did not start")


HEADER = '''# ruff: noqa: E501  (generated data: long policy texts)
"""Policy case table recorded from a real OpenBao dev server -- ground truth.

Generated by ``python -m tests.policy.record_cases`` (do not edit by hand): each case is
a list of policy texts, a path, and the capabilities OpenBao's ``sys/capabilities``
answered for a token holding exactly those policies (no default policy). Cases with
``identity=True`` were asked with a token bound to the entity described by
``IDENTITY``; their policies and paths contain placeholders (``<entity_id>``,
``<accessor>``, ...) that :func:`materialize` fills from such a description.
"""

from __future__ import annotations

from typing import Any, NamedTuple


class Case(NamedTuple):
    scenario: str
    policies: tuple[str, ...]
    path: str
    capabilities: tuple[str, ...]
    identity: bool = False


def materialize(text: str, identity: dict[str, Any] | None = None) -> str:
    """Fill ``<placeholders>`` of a policy text or path from ``identity``."""
    for key, value in (identity or IDENTITY).items():
        if isinstance(value, str):
            text = text.replace(f"<{key}>", value)
    return text


'''


def write_cases(rows: list[dict[str, Any]], identity: dict[str, Any], out: Path) -> None:
    texts: dict[tuple[str, ...], str] = {}
    lines = [
        HEADER,
        f"BAO_VERSION = {_BAO_VERSION!r}\n\n",
        f"IDENTITY: dict[str, Any] = {pprint.pformat(identity, width=88)}\n\n",
    ]
    for row in rows:
        if row["policies"] not in texts:
            name = f"_P{len(texts)}"
            texts[row["policies"]] = name
            lines.append(f"{name} = {row['policies']!r}\n")
    lines.append("\nCASES: list[Case] = [\n")
    for row in rows:
        lines.append(
            f"    Case({row['scenario']!r}, {texts[row['policies']]}, {row['path']!r}, "
            f"{row['capabilities']!r}, {row['identity']!r}),\n"
        )
    lines.append("]\n")
    out.write_text("".join(lines))
    with contextlib.suppress(OSError):  # keep the generated file in the project's format
        subprocess.run(["ruff", "format", "--quiet", str(out)], check=False)


_BAO_VERSION = "unknown"


def main(argv: list[str] | None = None) -> int:
    global _BAO_VERSION
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--addr", help="an OpenBao to use instead of starting `bao server -dev`")
    ap.add_argument("--token", default="root")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args(argv)
    proc = None
    addr = args.addr
    if addr is None:
        proc, addr = start_bao()
    try:
        bao = Bao(addr, args.token)
        _BAO_VERSION = bao.call("GET", "sys/health").get("version", "unknown")
        rows, identity = record(bao)
        write_cases(rows, identity, args.out)
        print(f"recorded {len(rows)} cases from OpenBao {_BAO_VERSION} into {args.out}")
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
