"""Command-line scenarios played by ``vab`` and ``bao`` (see :mod:`tests.cli.runner`).

Every path or name a scenario creates contains ``{p}``, a per-play prefix, so plays never
see each other's data on the shared session servers. Expected exit codes are those of the
real ``bao`` CLI (0 success, 1 local error, 2 server error).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .runner import Scenario, Step

POLICY_HCL = 'path "secret/data/{p}/*" {\n  capabilities = ["read", "list"]\n}\n'


def _files(client: Any, prefix: str, workdir: Path) -> dict[str, str]:
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "data.json").write_text(json.dumps({"data": {"from": "file", "n": 3}}))
    (workdir / "value.txt").write_text("line one\nline two\n")
    (workdir / "policy.hcl").write_text(POLICY_HCL.replace("{p}", prefix))
    (workdir / "bad.hcl").write_text('path "x" { capabilities = ["fly"] }\n')
    return {}


def _kv1(client: Any, prefix: str, workdir: Path) -> dict[str, str]:
    client.sys.enable_secrets_engine("kv", path=f"kv1-{prefix}", options={"version": "1"})
    return {}


def _userpass(client: Any, prefix: str, workdir: Path) -> dict[str, str]:
    client.sys.enable_auth_method("userpass", path=f"up-{prefix}")
    client.write(f"auth/up-{prefix}/users/alice", password="pw-alice", policies="default")
    return {}


def _tokens(client: Any, prefix: str, workdir: Path) -> dict[str, str]:
    made = {}
    for name in ("t1", "t2", "t3"):
        auth = client.auth.token.create(
            policies=["default"], ttl="1h", meta={"team": "a"}, display_name=name
        )["auth"]
        made[name] = auth["client_token"]
        made[f"{name}_acc"] = auth["accessor"]
    return made


KV2_BASICS = Scenario(
    "kv2-basics",
    [
        Step(["kv", "put", "secret/{p}/app", "user=admin", "password=s3cret"]),
        Step(["kv", "get", "secret/{p}/app"], stdout_has=["====== Data ======"]),
        Step(["kv", "get", "-format=json", "secret/{p}/app"]),
        Step(["kv", "get", "-field=password", "secret/{p}/app"], stdout_has=["s3cret"]),
        Step(["kv", "get", "-format=json", "-field=user", "secret/{p}/app"]),
        Step(["kv", "get", "-field=data", "secret/{p}/app"]),
        Step(["kv", "get", "-field=nope", "secret/{p}/app"], code=1),
        Step(["kv", "get", "-mount=secret", "{p}/app"]),
        Step(["kv", "get", "-format=yaml", "secret/{p}/app"]),
        Step(["read", "secret/data/{p}/app"]),
        Step(["read", "-format=json", "secret/data/{p}/app"]),
        Step(["kv", "get", "secret/{p}/missing"], code=2, stderr_has=["No value found at"]),
        Step(["kv", "get", "-format=json", "secret/{p}/missing"], code=2),
    ],
)

KV2_VERSIONS = Scenario(
    "kv2-versions",
    [
        Step(["kv", "put", "secret/{p}/v", "a=1"]),
        Step(["kv", "put", "-mount=secret", "{p}/v", "a=2", "b=3"]),
        Step(["kv", "get", "-version=1", "secret/{p}/v"]),
        Step(["kv", "put", "-cas=0", "secret/{p}/v", "a=9"], code=2),
        Step(["kv", "put", "-cas=2", "-format=json", "secret/{p}/v", "a=3"]),
        Step(["kv", "delete", "secret/{p}/v"], stdout_has=["Success! Data deleted"]),
        Step(["kv", "get", "secret/{p}/v"]),
        Step(["kv", "get", "-format=json", "secret/{p}/v"]),
        Step(["kv", "undelete", "-versions=3", "secret/{p}/v"]),
        Step(["kv", "delete", "-versions=2", "secret/{p}/v"]),
        Step(["kv", "destroy", "-versions=1", "secret/{p}/v"]),
        Step(["kv", "get", "-version=1", "secret/{p}/v"]),
        Step(["kv", "undelete", "secret/{p}/v"], code=1),
        Step(["kv", "metadata", "get", "secret/{p}/v"], stdout_has=["====== Version 3 ======"]),
        Step(["kv", "metadata", "get", "-format=json", "secret/{p}/v"]),
        Step(
            [
                "kv",
                "metadata",
                "put",
                "-max-versions=5",
                "-cas-required=false",
                "-delete-version-after=1h",
                "-custom-metadata=owner=ops",
                "secret/{p}/v",
            ]
        ),
        Step(
            [
                "kv",
                "metadata",
                "patch",
                "-max-versions=7",
                "-cas-required",
                "-custom-metadata=team=blue",
                "-remove-custom-metadata=owner",
                "secret/{p}/v",
            ],
            stdout_has=["Success! Data written to: secret/metadata/{p}/v"],
        ),
        Step(
            [
                "kv",
                "metadata",
                "patch",
                "-format=json",
                "-mount=secret",
                "-cas-required=false",
                "-delete-version-after=30m",
                "{p}/v",
            ]
        ),
        Step(
            ["kv", "metadata", "get", "-mount=secret", "{p}/v"],
            stdout_has=["map[team:blue]", "delete_version_after        30m0s"],
        ),
        # PATCH only changes existing metadata: 404 where there is none
        Step(["kv", "metadata", "patch", "-max-versions=2", "secret/{p}/none"], code=2),
        # a bad flag value: exit 1 both, only the parser's wording differs (click vs Go)
        Step(
            ["kv", "metadata", "patch", "-max-versions=many", "secret/{p}/v"],
            code=1,
            same_stderr=False,
        ),
        Step(["kv", "metadata", "patch"], code=1, stderr_has=["Not enough arguments"]),
        Step(["kv", "metadata", "delete", "secret/{p}/v"]),
        Step(["kv", "metadata", "get", "secret/{p}/v"], code=2),
        Step(["kv", "get", "secret/{p}/v"], code=2),
    ],
)

KV2_PATCH = Scenario(
    "kv2-patch",
    [
        Step(["kv", "put", "secret/{p}/pt", "a=1", "b=2"]),
        Step(["kv", "patch", "secret/{p}/pt", "b=20", "c=30"]),
        Step(["kv", "patch", "-method=rw", "secret/{p}/pt", "d=4"]),
        Step(["kv", "patch", "-remove-data=a", "-format=json", "secret/{p}/pt"]),
        Step(["kv", "patch", "-cas=1", "secret/{p}/pt", "e=5"], code=2),
        Step(["kv", "get", "-format=json", "-field=data", "secret/{p}/pt"]),
        Step(["kv", "patch", "secret/{p}/none", "x=1"], code=2),
        Step(["kv", "patch", "-method=rw", "secret/{p}/none", "x=1"], code=2),
        Step(["kv", "patch", "-method=bogus", "secret/{p}/pt", "x=1"], code=2),
        Step(["kv", "patch", "secret/{p}/pt"], code=1),
    ],
)

KV2_LIST = Scenario(
    "kv2-list",
    [
        Step(["kv", "put", "secret/{p}/l/one", "a=1"]),
        Step(["kv", "put", "secret/{p}/l/dir/two", "a=2"]),
        Step(["kv", "list", "secret/{p}/l"], stdout_has=["Keys\n----\ndir/\none"]),
        Step(["kv", "list", "-format=json", "secret/{p}/l/"]),
        Step(["kv", "list", "-mount=secret", "{p}/l"]),
        Step(["list", "secret/metadata/{p}/l"]),
        Step(["list", "-format=json", "secret/metadata/{p}/l"]),
        Step(["kv", "list", "secret/{p}/nothing"], code=2),
        Step(["kv", "list", "-format=json", "secret/{p}/nothing"], code=2),
        Step(["list", "secret/metadata/{p}/nothing"], code=2),
    ],
)

KV2_ODD_KEYS = Scenario(
    "kv2-odd-keys",
    [
        # "?", "#" and "%" are part of the key: escaped in the URL, never a query/fragment
        Step(["kv", "put", "secret/{p}/k/q?x=1", "a=1"]),
        Step(["kv", "put", "secret/{p}/k/h#frag", "a=2"]),
        Step(["kv", "put", "secret/{p}/k/pc%2Fx", "a=3"]),
        Step(["kv", "put", "secret/{p}/k/sp ace", "a=4"]),
        Step(["kv", "list", "-format=json", "secret/{p}/k"]),
        Step(["kv", "get", "-field=a", "secret/{p}/k/q?x=1"], stdout_has=["1"]),
        Step(["kv", "get", "-field=a", "secret/{p}/k/h#frag"], stdout_has=["2"]),
        Step(["kv", "get", "secret/{p}/k/pc%2Fx"]),
        Step(["kv", "get", "secret/{p}/k/q"], code=2),
        Step(["read", "-format=json", "-field=data", "secret/data/{p}/k/sp ace"]),
        Step(["delete", "secret/data/{p}/k/h#frag"]),
        Step(["kv", "get", "secret/{p}/k/h#frag"], stdout_has=["destroyed          false"]),
        # non-ASCII: section headers are as wide as the path and keys in bytes (as Go counts)
        Step(["kv", "put", "secret/{p}/ünï/日本", "ключ=значение", "a=2"]),
        Step(["kv", "get", "secret/{p}/ünï/日本"], stdout_has=["ключ    значение"]),
        Step(["kv", "list", "secret/{p}/ünï"]),
    ],
)

KV1 = Scenario(
    "kv1",
    [
        Step(["kv", "put", "kv1-{p}/a", "x=1", "ttl=1h"], stdout_has=["Success!"]),
        Step(["kv", "get", "kv1-{p}/a"], stdout_has=["=== Data ==="]),
        Step(["kv", "get", "-format=json", "kv1-{p}/a"]),
        Step(["kv", "get", "-mount=kv1-{p}", "a"]),
        Step(["read", "kv1-{p}/a"], stdout_has=["refresh_interval"]),
        Step(["kv", "put", "-mount=kv1-{p}", "dir/b", "y=2"]),
        Step(["kv", "list", "kv1-{p}"]),
        Step(["kv", "list", "-mount=kv1-{p}", "-format=json"]),
        Step(["kv", "patch", "kv1-{p}/a", "y=2"], code=2),
        Step(["kv", "metadata", "get", "kv1-{p}/a"], code=1),
        Step(["kv", "metadata", "patch", "-max-versions=2", "kv1-{p}/a"], code=1),
        Step(["kv", "undelete", "-versions=1", "kv1-{p}/a"], code=1),
        Step(["kv", "destroy", "-versions=1", "kv1-{p}/a"], code=1),
        Step(["kv", "delete", "kv1-{p}/a"]),
        Step(["kv", "get", "kv1-{p}/a"], code=2),
    ],
    setup=_kv1,
)

GENERIC = Scenario(
    "read-write-list-delete",
    [
        # a string where KV v2 wants an object: 400, worded by each server its own way
        Step(["write", "secret/data/{p}/g", "data=@data.json"], code=2, same_server_error=False),
        Step(["write", "secret/data/{p}/g", "@data.json"]),
        Step(["read", "-field=data", "secret/data/{p}/g"]),
        Step(["write", "-format=json", "secret/data/{p}/g", "-"], stdin='{"data": {"k": 7}}'),
        Step(["read", "-format=json", "-field=data", "secret/data/{p}/g"]),
        Step(["write", "cubbyhole/{p}", "note=@value.txt", "tag=a", "tag=b"]),
        Step(["read", "cubbyhole/{p}"]),
        Step(["read", "-format=json", "cubbyhole/{p}"]),
        Step(["write", "cubbyhole/{p}2", "v=-"], stdin="from stdin\n"),
        Step(["read", "-field=v", "cubbyhole/{p}2"], stdout_has=["from stdin"]),
        Step(["list", "secret/metadata/{p}"]),
        Step(["delete", "secret/data/{p}/g"], stdout_has=["Success! Data deleted"]),
        Step(["delete", "cubbyhole/{p}"]),
        Step(["read", "cubbyhole/{p}"], code=2, stderr_has=["No value found at cubbyhole/"]),
        Step(["read", "-format=json", "cubbyhole/{p}"], code=2),
        Step(["read", "-format=raw", "cubbyhole/{p}2"]),
        # OpenBao answers 500 here, ours 400 (bad input is never a 500: SPEC section 11)
        Step(["write", "-force", "cubbyhole/{p}3"], code=2, same_server_error=False),
        Step(["write", "cubbyhole/{p}3"], code=1, stderr_has=["Must supply data or use -force"]),
        Step(["write", "cubbyhole/{p}3", "novalue"], code=1),
        Step(["write", "cubbyhole/{p}3", "a=@does-not-exist"], code=1),
        Step(["write", "cubbyhole/{p}3", "-"], stdin="not json", code=1, same_stderr=False),
        Step(["read"], code=1, stderr_has=["Not enough arguments (expected 1, got 0)"]),
        Step(["list", "a", "b"], code=1),
        Step(["delete"], code=1),
    ],
    setup=_files,
)

POLICY = Scenario(
    "policy",
    [
        Step(["policy", "write", "ZZ{p}", "policy.hcl"], stdout_has=["Success! Uploaded policy"]),
        Step(["policy", "read", "zz{p}"], stdout_has=['path "secret/data/']),
        Step(["policy", "read", "-format=json", "zz{p}"]),
        Step(["policy", "write", "zz{p}in", "-"], stdin='path "x/*" { capabilities = ["read"] }'),
        Step(["policy", "list"], stdout_has=["default\n"]),
        Step(["policy", "list", "-format=json"]),
        # Only the text: OpenBao's read adds its CAS metadata, Vault's (and ours) has
        # just name and policy, so the whole table differs in its keys and widths.
        Step(["read", "-field=policy", "sys/policies/acl/zz{p}"]),
        Step(["read", "-field=name", "sys/policies/acl/zz{p}"]),
        Step(["list", "sys/policies/acl"]),
        Step(["policy", "write", "zz{p}bad", "bad.hcl"], code=2),
        Step(["policy", "write", "zz{p}", "missing.hcl"], code=2),
        Step(["policy", "delete", "zz{p}"], stdout_has=["Success! Deleted policy"]),
        Step(["policy", "delete", "zz{p}in"]),
        Step(["policy", "read", "zz{p}"], code=2, stderr_has=["No policy named: zz"]),
        Step(["policy", "write", "only-name"], code=1),
        Step(["policy", "list", "extra"], code=1),
    ],
    setup=_files,
)

TOKENS = Scenario(
    "token",
    [
        Step(
            [
                "token",
                "create",
                "-policy=default",
                "-policy=zz{p}-absent",
                "-ttl=1h",
                "-metadata=team=blue",
                "-display-name=tester",
            ],
            stdout_has=['token_policies       ["', '"default"', "token_meta_team      blue"],
            stderr_has=['Policy "zz{p}-absent" does not exist'],
        ),
        Step(["token", "create", "-format=json", "-orphan", "-use-limit=3", "-ttl=10m"]),
        Step(["token", "create", "-format=json", "-renewable=false", "-ttl=90m"]),
        Step(["token", "create", "-type=batch", "-policy=default", "-ttl=5m", "-format=json"]),
        Step(["token", "create", "-period=2h", "-explicit-max-ttl=10h", "-format=json"]),
        Step(["token", "create", "-field=token_policies", "-policy=default"]),
        Step(["token", "lookup"]),
        Step(["token", "lookup", "-format=json"]),
        Step(["token", "lookup", "{t1}"], stdout_has=["display_name        token-t1"]),
        Step(["token", "lookup", "-accessor", "{t1_acc}"]),
        Step(["token", "lookup", "-field=policies", "{t1}"]),
        Step(["token", "renew", "-increment=30m", "{t1}"]),
        Step(["token", "renew", "-format=json", "-accessor", "{t2_acc}"]),
        Step(["token", "renew"], env={"VAULT_TOKEN": "{t3}"}),
        Step(["token", "revoke", "{t1}"], stdout_has=["Success! Revoked token"]),
        Step(["token", "lookup", "{t1}"], code=2, stderr_has=["Error looking up token"]),
        Step(["token", "revoke", "-accessor", "{t2_acc}"]),
        Step(["token", "revoke", "-self"], env={"VAULT_TOKEN": "{t3}"}),
        Step(["token", "lookup"], env={"VAULT_TOKEN": "{t3}"}, code=2),
        Step(["token", "revoke"], code=1),
        Step(["token", "revoke", "-self", "-accessor"], code=1),
        Step(["token", "revoke", "-mode=sideways", "x"], code=1),
        Step(["token", "lookup", "-accessor"], code=1),
        Step(["token", "create", "extra"], code=1),
    ],
    setup=_tokens,
)

LOGIN = Scenario(
    "login",
    [
        Step(
            ["login", "-method=userpass", "-path=up-{p}", "username=alice", "password=pw-alice"],
            env={"VAULT_TOKEN": None},
            stdout_has=["Success! You are now authenticated", "token_meta_username    alice"],
        ),
        Step(["token", "lookup", "-field=display_name"], env={"VAULT_TOKEN": None}),
        Step(
            [
                "login",
                "-method=userpass",
                "-path=up-{p}",
                "-format=json",
                "-no-store",
                "username=alice",
                "password=pw-alice",
            ],
            env={"VAULT_TOKEN": None},
            stderr_has=["The token was not stored in token helper"],
        ),
        Step(
            ["login", "-method=userpass", "-path=up-{p}", "username=alice", "password=wrong"],
            code=2,
            stderr_has=["Error authenticating: "],
        ),
        Step(["login", "-method=userpass", "-path=up-{p}", "password=x"], code=2),
        Step(
            ["login", "-method=userpass", "-non-interactive", "-path=up-{p}", "username=alice"],
            code=2,
        ),
        Step(["login", "-no-store", "-format=json", "{root}"]),
        Step(["login", "-token-only", "{root}"], stdout_has=["{root}"]),
        Step(["login", "not-a-valid-token"], code=2, env={"VAULT_TOKEN": None}),
        Step(["login", "-no-store", "-no-print", "{root}"], code=1),
        Step(["login", "{root}"], env={"VAULT_TOKEN": None}, stdout_has=["Success!"]),
        Step(["token", "lookup", "-field=id"], env={"VAULT_TOKEN": None}, stdout_has=["{root}"]),
    ],
    setup=lambda client, prefix, workdir: {
        **_userpass(client, prefix, workdir),
        "root": client.token,
    },
)

ERRORS = Scenario(
    "errors",
    [
        Step(["kv", "get", "secret/{p}/x"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["kv", "put", "secret/{p}/x", "a=1"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(
            ["read", "secret/data/{p}/x"],
            env={"VAULT_TOKEN": "bad"},
            code=2,
            stderr_has=["Code: 403. Errors:\n\n* permission denied"],
        ),
        Step(["list", "secret/metadata/{p}"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["write", "secret/data/{p}/x", "a=1"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["delete", "secret/data/{p}/x"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["policy", "list"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["policy", "read", "default"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["token", "lookup"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["token", "create"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["kv", "get"], code=1, stderr_has=["Not enough arguments (expected 1, got 0)"]),
        Step(["kv", "get", "a", "b"], code=1, stderr_has=["Too many arguments"]),
        Step(["kv", "put", "secret/{p}/x"], code=1, stderr_has=["Must supply data"]),
        Step(["kv", "undelete", "secret/{p}/x"], code=1),
        Step(["kv", "destroy", "secret/{p}/x"], code=1),
        Step(
            ["kv", "get", "-format=xml", "secret/{p}/x"],
            code=1,
            stderr_has=["Invalid output format: xml"],
        ),
        Step(["read", "-format=xml", "secret/data/{p}/x"], code=1),
        Step(["kv", "put", "-format=raw", "secret/{p}/x", "a=1"], code=1),
    ],
    across_servers=True,
)

STATUS = Scenario(
    "status",
    [
        Step(["status"], stdout_has=["Sealed", "false"]),
        Step(["status", "-format=json"]),
        Step(["status", "-field=sealed"], stdout_has=["false"]),
        Step(["status", "-field=initialized"]),
        Step(["status", "-field=nothing"], stderr_has=["not present in seal status"]),
        Step(["status", "extra"], code=1),
    ],
    across_servers=False,  # version, cluster name and build data are the server's own
)

#: Listings of all mounts differ between OpenBao and our server in their built-in entries
#: (our agent-registry and agent mounts, OpenBao's running plugin versions): those steps
#: are compared between vab and bao on one server only. Paths begin with "se-", "am-" and
#: "au-" so that they sort the same for every prefix among the mounts other plays left.
MOUNTS = Scenario(
    "secrets-auth-mounts",
    [
        Step(
            [
                "secrets",
                "enable",
                "-path=se-{p}",
                "-description=engine {p}",
                "-version=1",
                "-default-lease-ttl=1h",
                "-max-lease-ttl=2h",
                "kv",
            ],
            stdout_has=["Success! Enabled the kv secrets engine at: se-{p}/"],
        ),
        # "system" TTL flags: bao sends "-1s", which the server keeps as a TTL of -1
        Step(
            [
                "secrets",
                "enable",
                "-path=se-{p}3",
                "-default-lease-ttl=system",
                "-max-lease-ttl=system",
                "kv",
            ],
            stdout_has=["Success! Enabled the kv secrets engine at: se-{p}3/"],
        ),
        Step(["read", "-field=default_lease_ttl", "sys/mounts/se-{p}3/tune"], stdout_has=["-1"]),
        Step(["read", "-field=config", "sys/mounts/se-{p}3"], stdout_has=["max_lease_ttl:-1"]),
        Step(["secrets", "disable", "se-{p}3"]),
        # enabling an existing path: exit 2 with the server's error
        Step(
            ["secrets", "enable", "-path=se-{p}/", "kv"],
            code=2,
            stderr_has=["Error enabling: ", "* path is already in use at se-{p}/"],
        ),
        Step(
            ["secrets", "enable", "-path=se-{p}x", "zz-no-such-engine"],
            code=2,
            stderr_has=["plugin not found in the catalog: zz-no-such-engine"],
        ),
        Step(["secrets", "enable", "-path=/se-{p}2//", "-options=version=2", "-local", "kv"]),
        Step(["kv", "put", "se-{p}2/app", "a=1"]),
        Step(["secrets", "list"], stdout_has=["se-{p}/ ", "engine {p}"], same_server_output=False),
        Step(["secrets", "list", "-detailed"], same_server_output=False),
        Step(["secrets", "list", "-format=json"], same_server_output=False),
        Step(["secrets", "list", "-detailed", "-format=yaml"], same_server_output=False),
        Step(["secrets", "disable", "se-{p}"]),
        Step(
            ["secrets", "disable", "/se-{p}2/"],
            stdout_has=["Success! Disabled the secrets engine (if it existed) at: se-{p}2/"],
        ),
        Step(["secrets", "disable", "se-{p}-never"]),
        Step(["kv", "get", "se-{p}2/app"], code=2),
        Step(["secrets", "enable"], code=1, stderr_has=["Not enough arguments"]),
        Step(["secrets", "enable", "kv", "extra"], code=1, stderr_has=["Too many arguments"]),
        # a bad flag value: exit 1 both, only the parser's wording differs (click vs Go)
        Step(["secrets", "enable", "-options=novalue", "kv"], code=1, same_stderr=False),
        Step(["secrets", "disable"], code=1),
        Step(["secrets", "list", "extra"], code=1),
        Step(["secrets", "list", "-format=raw"], code=1),
        Step(
            ["auth", "enable", "-path=am-{p}", "-description=people {p}", "userpass"],
            stdout_has=["Success! Enabled userpass auth method at: am-{p}/"],
        ),
        Step(
            ["auth", "enable", "-path=am-{p}", "userpass"],
            code=2,
            stderr_has=["Error enabling userpass auth: ", "path is already in use at am-{p}/"],
        ),
        Step(["auth", "enable", "-path=am-{p}x", "zz-no-such-method"], code=2),
        Step(
            [
                "auth",
                "enable",
                "-path=am-{p}2",
                "-token-type=batch",
                "-default-lease-ttl=30m",
                "-listing-visibility=unauth",
                "userpass",
            ]
        ),
        Step(["auth", "enable", "-path=am-{p}3", "-default-lease-ttl=system", "userpass"]),
        Step(["read", "-field=default_lease_ttl", "sys/auth/am-{p}3/tune"], stdout_has=["-1"]),
        Step(["auth", "disable", "am-{p}3"]),
        Step(["write", "auth/am-{p}/users/bob", "password=pw"]),
        Step(["auth", "list"], stdout_has=["am-{p}/ ", "people {p}"], same_server_output=False),
        Step(["auth", "list", "-detailed"], same_server_output=False),
        Step(["auth", "list", "-format=json"], same_server_output=False),
        Step(["auth", "disable", "am-{p}"]),
        Step(
            ["auth", "disable", "am-{p}2/"],
            stdout_has=["Success! Disabled the auth method (if it existed) at: am-{p}2/"],
        ),
        Step(["read", "auth/am-{p}/users/bob"], code=2),
        Step(["auth", "enable"], code=1),
        Step(["auth", "disable", "a", "b"], code=1),
        Step(["auth", "list", "extra"], code=1),
        Step(["auth", "list"], env={"VAULT_TOKEN": "bad"}, code=2),
        Step(["secrets", "disable", "x"], env={"VAULT_TOKEN": "bad"}, code=2),
    ],
)

#: OpenBao refuses to enable audit devices through the API (they are declared in its
#: configuration), so this scenario runs on our server only. The devices discard what they
#: are sent; devices other tests left may be listed too (the same for both plays).
AUDIT = Scenario(
    "audit-devices",
    [
        Step(["audit", "list"], code=None),
        Step(
            [
                "audit",
                "enable",
                "-path=au-{p}",
                "-description=dropped {p}",
                "file",
                "file_path=discard",
            ],
            stdout_has=["Success! Enabled the file audit device at: au-{p}/"],
        ),
        Step(
            ["audit", "enable", "-path=au-{p}", "file", "file_path=discard"],
            code=2,
            stderr_has=["Error enabling audit device: "],
        ),
        Step(["audit", "enable", "-path=au-{p}x", "zz-no-such-device", "file_path=x"], code=2),
        # one option each while -detailed lists them (bao prints options in map order)
        Step(["audit", "list", "-detailed"], stdout_has=["au-{p}/ "]),
        Step(
            [
                "audit",
                "enable",
                "-path=/au-{p}2/",
                "-local",
                "file",
                "file_path=discard",
                "hmac_accessor=false",
            ]
        ),
        Step(["audit", "list"], stdout_has=["dropped {p}"]),
        Step(["audit", "list", "-format=json"]),
        Step(["audit", "disable", "au-{p}"]),
        Step(
            ["audit", "disable", "/au-{p}2/"],
            stdout_has=["Success! Disabled audit device (if it was enabled) at: au-{p}2/"],
        ),
        Step(["audit", "disable", "au-{p}-never"]),
        Step(["audit", "list", "-format=json"]),
        Step(["audit", "enable"], code=1, stderr_has=["audit type missing"]),
        Step(["audit", "enable", "-path=au-{p}3", "file", "novalue"], code=1),
        Step(["audit", "disable"], code=1),
        Step(["audit", "list", "extra"], code=1),
        Step(["audit", "disable", "x"], env={"VAULT_TOKEN": "bad"}, code=2),
    ],
    servers=("vab",),
)

ALL = [KV2_BASICS, KV2_VERSIONS, KV2_PATCH, KV2_LIST, KV2_ODD_KEYS, KV1, GENERIC, POLICY]
ALL += [TOKENS, LOGIN]
ALL += [ERRORS, STATUS, MOUNTS, AUDIT]
BY_NAME = {scenario.name: scenario for scenario in ALL}
