"""The layered per-request decision (SPEC §5, §6) against a real server, through HTTP and hvac.

Test keys sign the JWTs: RS256 (static-keys profile), ES256 and EdDSA (JWKS profile served
by a local HTTP server). Every scenario uses its own issuer, entities, policies and KV
mount, since the session server is shared.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import hvac
import pytest
from hvac.exceptions import Forbidden

from tests.agent.support import (
    RAR_NO_MATCH,
    JWKSServer,
    Minter,
    Scenario,
    SigningKey,
    assert_agent_denied,
    http_sender,
    make_key,
    ok,
    path_access,
    static_profile,
)
from tests.support.processes import ServerProcess

BROAD = 'path "KV/data/*" { capabilities = ["create", "read", "update", "list"] }'


@pytest.fixture(scope="module")
def keys() -> dict[str, SigningKey]:
    return {alg: make_key(alg) for alg in ("RS256", "ES256", "EdDSA")}


@pytest.fixture(scope="module")
def jwks(keys) -> Iterator[JWKSServer]:
    server = JWKSServer([keys["ES256"], keys["EdDSA"]])
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def make(vab_server: ServerProcess, keys, jwks):
    """``make(kind="static"|"ES256"|"EdDSA", **setup)`` -> a ready Scenario."""
    send = http_sender(vab_server.url)

    def build(kind: str = "static", profile: dict | None = None, **setup) -> Scenario:
        issuer = f"https://idp-{uuid.uuid4().hex[:8]}.example"
        if kind == "static":
            key = keys["RS256"]
            body = static_profile(key)
        else:
            key = keys[kind]
            body = {"jwks_uri": jwks.url, "audiences": ["vault"]}
        body.update(profile or {})
        return Scenario(send, Minter(issuer, key)).setup(profile=body, **setup)

    return build


def hvac_client(server: ServerProcess, token: str) -> hvac.Client:
    return hvac.Client(url=server.url, token=token, timeout=30)


def read(client: hvac.Client, scenario: Scenario, name: str) -> dict:
    return client.secrets.kv.v2.read_secret_version(
        path=name, mount_point=scenario.kv, raise_on_deleted_version=True
    )["data"]["data"]


# ----- allowed ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["static", "ES256", "EdDSA"])
def test_allowed_delegated_read(vab_server, make, kind) -> None:
    sc = make(kind)
    sc.write_secret("app", {"password": "s3cret"})
    token = sc.token(sc.rar_read("app"))
    assert read(hvac_client(vab_server, token), sc, "app") == {"password": "s3cret"}
    body = ok(sc.send("GET", f"{sc.kv}/data/app", token=token))
    assert body["data"]["data"] == {"password": "s3cret"}
    explained = sc.explain(token, f"{sc.kv}/data/app")
    assert explained["allowed"] is True and explained["denied_by"] is None
    assert [layer["layer"] for layer in explained["layers"]] == [
        "human",
        "ceiling",
        "authorization_details",
    ]
    # lookup-self works for the agent token, without echoing the JWT.
    lookup = hvac_client(vab_server, token).lookup_token()["data"]
    assert lookup["entity_id"] == sc.human_id and lookup["id"] == ""
    assert lookup["meta"]["actor_entity_id"] == sc.agent_id
    assert lookup["meta"]["mode"] == "delegated"


# ----- one layer denies, the others allow -------------------------------------------------------


def _single_layer_denial(
    vab_server, sc: Scenario, token: str, layer: str, reason: str, policy: str
) -> None:
    sc.write_secret("target", {"v": 1})
    path = f"{sc.kv}/data/target"
    with pytest.raises(Forbidden):
        read(hvac_client(vab_server, token), sc, "target")
    assert_agent_denied(sc.send("GET", path, token=token), reason)
    explained = sc.explain(token, path)
    assert explained["allowed"] is False and explained["denied_by"] == layer
    verdicts = {v["layer"]: v["allowed"] for v in explained["layers"]}
    assert verdicts.pop(layer) is False
    assert verdicts and all(verdicts.values()), explained  # every other layer allows
    # The refusing layer names the policy (or RAR entry) and the stanza that decided.
    refusing = next(v for v in explained["layers"] if v["layer"] == layer)
    assert refusing["deciding_policies"] == [policy], refusing
    assert refusing["matched_path"] == path, refusing
    assert "read" not in refusing["capabilities"], refusing


# In each scenario the refusing layer has a stanza for the exact path that does not grant
# read (or denies it), so explain can name the policy and the stanza that decided.
TARGET_LIST_ONLY = (
    'path "KV/data/other" { capabilities = ["read"] }\n'
    'path "KV/data/target" { capabilities = ["list"] }'
)
TARGET_DENIED = BROAD + '\npath "KV/data/target" { capabilities = ["deny"] }'


def test_denied_by_human_layer_only(vab_server, make) -> None:
    sc = make(human_hcl=TARGET_LIST_ONLY, baseline_hcl=BROAD)
    token = sc.token(sc.rar_read())
    _single_layer_denial(vab_server, sc, token, "human", "HUMAN_POLICY_DENIED", f"human-{sc.tag}")


def test_denied_by_baseline_layer_only(vab_server, make) -> None:
    sc = make(baseline_hcl=TARGET_DENIED)
    token = sc.token(sc.rar_read())
    _single_layer_denial(
        vab_server, sc, token, "baseline", "BASELINE_POLICY_DENIED", f"baseline-{sc.tag}"
    )


def test_denied_by_ceiling_layer_only(vab_server, make) -> None:
    sc = make(ceiling_hcl=TARGET_LIST_ONLY, baseline_hcl=BROAD)
    token = sc.token(sc.rar_read())
    _single_layer_denial(
        vab_server, sc, token, "ceiling", "CEILING_POLICY_DENIED", f"ceiling-{sc.tag}"
    )


def test_denied_by_authorization_details_only(vab_server, make) -> None:
    sc = make(baseline_hcl=BROAD)
    rar = [path_access(f"{sc.kv}/data/other", "read"), path_access(f"{sc.kv}/data/target", "list")]
    token = sc.token(rar)
    _single_layer_denial(
        vab_server, sc, token, "authorization_details", RAR_NO_MATCH, "authorization_details[1]"
    )


@pytest.mark.parametrize("no_default", [False, True])
def test_default_ceiling_lets_the_agent_read_the_built_in_policies(make, no_default) -> None:
    """Vault 2.x: ``default-ceiling`` permits reading the definitions of ``default`` and
    ``default-ceiling``; without the default ceiling policies the ceiling refuses it."""
    sc = make(
        human_hcl='path "sys/policies/acl/*" { capabilities = ["read"] }',
        registration={"no_default_ceiling_policy": no_default},
    )
    for name in ("default", "default-ceiling"):
        path = f"sys/policies/acl/{name}"
        token = sc.token([path_access(path, "read")])
        reply = sc.send("GET", path, token=token)
        if no_default:
            assert_agent_denied(reply, "CEILING_POLICY_DENIED")
        else:
            assert ok(reply)["data"]["name"] == name
    other = sc.token([path_access("sys/policies/acl/*", "read")])
    assert_agent_denied(
        sc.send("GET", f"sys/policies/acl/{sc.policy('x', BROAD)}", token=other),
        "CEILING_POLICY_DENIED",
    )


# ----- parameters, templates, optional RAR, direct mode -----------------------------------------


def test_rar_and_acl_parameter_constraints_combine(vab_server, make) -> None:
    human = """
    path "KV/data/a" {
      capabilities = ["create", "update"]
      allowed_parameters = { "data" = [] "options" = [] }
    }
    path "KV/data/b" {
      capabilities = ["create", "update"]
      required_parameters = ["data"]
    }
    path "KV/data/c" {
      capabilities = ["create", "update"]
      denied_parameters = { "custom" = [] }
    }
    """
    sc = make(human_hcl=human)
    kv = sc.kv
    rar = [
        path_access(
            f"{kv}/data/a", "create", "update", allowed_parameters={"data": [], "custom": []}
        ),
        path_access(f"{kv}/data/b", "create", "update", required_parameters=["options"]),
        path_access(f"{kv}/data/c", "create", "update", denied_parameters={"options": []}),
    ]
    token = sc.token(rar)
    data = {"k": "v"}

    def write(name: str, body: dict):
        return sc.send("POST", f"{kv}/data/{name}", body, token=token)

    # allowed parameters intersect: only "data" is allowed by both.
    ok(write("a", {"data": data}))
    assert_agent_denied(write("a", {"data": data, "options": {}}), RAR_NO_MATCH)
    assert_agent_denied(write("a", {"data": data, "custom": 1}), "HUMAN_POLICY_DENIED")
    # required parameters add up: "data" (policy) and "options" (RAR).
    assert_agent_denied(write("b", {"data": data}), RAR_NO_MATCH)
    assert_agent_denied(write("b", {"options": {}}), "HUMAN_POLICY_DENIED")
    ok(write("b", {"data": data, "options": {}}))
    # denied parameters: either side's denial wins.
    ok(write("c", {"data": data}))
    assert_agent_denied(write("c", {"data": data, "options": {}}), RAR_NO_MATCH)
    assert_agent_denied(write("c", {"data": data, "custom": "x"}), "HUMAN_POLICY_DENIED")
    explained = sc.explain(token, f"{kv}/data/a", "update", {"data": data, "options": {}})
    rar_verdict = next(v for v in explained["layers"] if v["layer"] == "authorization_details")
    assert "options" in rar_verdict["detail"]


def test_templated_rar_paths_resolve_against_the_subject(vab_server, make) -> None:
    sc = make(
        human_hcl='path "KV/data/users/{{identity.entity.id}}/*" { capabilities = ["read"] }',
        ceiling_hcl='path "KV/data/users/*" { capabilities = ["read"] }',
    )
    sc.write_secret(f"users/{sc.human_id}/notes", {"mine": True})
    sc.write_secret(f"users/{sc.agent_id}/notes", {"agent": True})
    rar = [
        path_access(f"{sc.kv}/data/users/{{{{identity.entity.id}}}}/*", "read"),
        path_access(f"{sc.kv}/data/{{{{identity.entity.metadata.missing}}}}", "read"),
    ]
    token = sc.token(rar)
    client = hvac_client(vab_server, token)
    assert read(client, sc, f"users/{sc.human_id}/notes") == {"mine": True}
    other = f"{sc.kv}/data/users/{sc.agent_id}/notes"
    assert_agent_denied(sc.send("GET", other, token=token), "HUMAN_POLICY_DENIED")
    # Both templated layers refuse another entity's path: the human policy and the RAR.
    verdicts = {v["layer"]: v["allowed"] for v in sc.explain(token, other)["layers"]}
    assert verdicts == {"human": False, "ceiling": True, "authorization_details": False}


@pytest.mark.parametrize("where", ["profile", "registration"])
def test_optional_authorization_details(vab_server, make, where) -> None:
    sc = make(baseline_hcl=BROAD)
    sc.write_secret("opt", {"v": 1})
    token = sc.token(None)
    assert "authorization_details" not in str(token)
    path = f"{sc.kv}/data/opt"
    assert_agent_denied(
        sc.send("GET", path, token=token), "authorization_details claim is required"
    )
    if where == "profile":
        ok(sc.send("POST", f"sys/config/oauth-resource-server/{sc.profile}",
                   {"optional_authorization_details": True}))  # fmt: skip
    else:
        ok(sc.send("POST", f"agent-registry/registration/id/{sc.registration_id}",
                   {"optional_authorization_details": True}))  # fmt: skip
    assert read(hvac_client(vab_server, token), sc, "opt") == {"v": 1}
    explained = sc.explain(token, path)
    assert [v["layer"] for v in explained["layers"]] == ["human", "baseline", "ceiling"]
    # A token that does carry authorization details is still bound by them.
    assert_agent_denied(sc.send("GET", path, token=sc.token(sc.rar_read("x"))), RAR_NO_MATCH)


def test_direct_mode_uses_the_agent_policies_and_rar(vab_server, make) -> None:
    sc = make(
        agent_hcl='path "KV/data/agent/*" { capabilities = ["read"] }',
        ceiling_hcl='path "KV/data/nothing" { capabilities = ["read"] }',
    )
    sc.write_secret("agent/config", {"direct": True})
    sc.write_secret("human-only", {"v": 1})
    token = sc.token([path_access(f"{sc.kv}/data/*", "read")], direct=True)
    # The ceiling does not apply in direct mode; the agent's own policies do.
    assert read(hvac_client(vab_server, token), sc, "agent/config") == {"direct": True}
    assert_agent_denied(
        sc.send("GET", f"{sc.kv}/data/human-only", token=token), "AGENT_POLICY_DENIED"
    )
    narrow = sc.token([path_access(f"{sc.kv}/data/elsewhere", "read")], direct=True)
    assert_agent_denied(sc.send("GET", f"{sc.kv}/data/agent/config", token=narrow), RAR_NO_MATCH)
    explained = sc.explain(token, f"{sc.kv}/data/human-only")
    assert [v["layer"] for v in explained["layers"]] == ["agent", "authorization_details"]
    assert explained["denied_by"] == "agent"


# ----- current state: revocations and policy changes on the very next request -------------------


def test_each_revocation_takes_effect_on_the_next_request(vab_server, make) -> None:
    sc = make("ES256")
    sc.write_secret("live", {"v": 1})
    token = sc.token(sc.rar_read("live"))
    path = f"{sc.kv}/data/live"
    reg = f"agent-registry/registration/id/{sc.registration_id}"
    profile = f"sys/config/oauth-resource-server/{sc.profile}"
    changes = [
        ((reg, {"status": "suspended"}), (reg, {"status": "active"}), "is suspended"),
        (
            (f"identity/entity/id/{sc.agent_id}", {"disabled": True}),
            (f"identity/entity/id/{sc.agent_id}", {"disabled": False}),
            "is disabled",
        ),
        (
            (f"identity/entity/id/{sc.human_id}", {"disabled": True}),
            (f"identity/entity/id/{sc.human_id}", {"disabled": False}),
            "is disabled",
        ),
        ((profile, {"enabled": False}), (profile, {"enabled": True}), "is disabled"),
    ]
    for (revoke_path, revoke_body), (restore_path, restore_body), reason in changes:
        ok(sc.send("GET", path, token=token))
        ok(sc.send("POST", revoke_path, revoke_body))
        assert_agent_denied(sc.send("GET", path, token=token), reason)
        ok(sc.send("POST", restore_path, restore_body))
    ok(sc.send("GET", path, token=token))
    ok(sc.send("DELETE", reg))
    assert_agent_denied(sc.send("GET", path, token=token), "has no agent registration")


def test_policy_changes_take_effect_on_the_next_request(vab_server, make) -> None:
    sc = make()
    sc.write_secret("p", {"v": 1})
    token = sc.token(sc.rar_read("p"))
    client = hvac_client(vab_server, token)
    assert read(client, sc, "p") == {"v": 1}
    sc.policy("human", 'path "KV/data/q" { capabilities = ["read"] }')
    with pytest.raises(Forbidden):
        read(client, sc, "p")
    sc.policy("human", BROAD)
    assert read(client, sc, "p") == {"v": 1}
    sc.policy("ceiling", 'path "KV/data/q" { capabilities = ["read"] }')
    assert_agent_denied(sc.send("GET", f"{sc.kv}/data/p", token=token), "CEILING_POLICY_DENIED")
    # Ceiling policies of the registration changed: effective at once as well.
    ok(sc.send("POST", f"agent-registry/registration/id/{sc.registration_id}",
               {"ceiling_policies": [sc.policy("wide", BROAD)]}))  # fmt: skip
    assert read(client, sc, "p") == {"v": 1}


# ----- what agent tokens can never do, and capabilities-self -------------------------------------


def test_capabilities_self_is_the_intersection(vab_server, make) -> None:
    # Every layer also grants root-protected sys paths (and a plain one, as a control).
    sys_hcl = (
        'path "sys/audit" { capabilities = ["read", "sudo"] }\n'
        'path "sys/raw/*" { capabilities = ["read", "sudo"] }\n'
        'path "sys/policies/acl/*" { capabilities = ["read"] }\n'
    )
    sc = make(
        human_hcl=BROAD + "\n" + sys_hcl,
        ceiling_hcl='path "KV/data/*" { capabilities = ["read", "list", "update"] }\n' + sys_hcl,
        # No default policy in a baseline: it must grant capabilities-self itself.
        baseline_hcl='path "KV/data/*" { capabilities = ["read", "update", "create"] }\n'
        'path "sys/capabilities-self" { capabilities = ["update"] }\n' + sys_hcl,
    )
    token = sc.token(
        [
            path_access(f"{sc.kv}/data/*", "read", "update", "delete"),
            path_access("sys/audit", "read", "sudo"),
            path_access("sys/raw/*", "read", "sudo"),
            path_access("sys/policies/acl/*", "read"),
        ]
    )
    client = hvac_client(vab_server, token)
    path = f"{sc.kv}/data/x"
    caps = client.sys.get_capabilities(paths=[path])
    assert caps["capabilities"] == ["read", "update"]
    assert client.sys.get_capabilities(paths=["cubbyhole/x"])["capabilities"] == ["deny"]
    assert client.sys.get_capabilities(paths=["sys/policies/acl/x"])["capabilities"] == ["read"]
    # Root-protected paths: every layer grants them, but a request there is refused (SPEC §6),
    # so capabilities-self must not report them.
    for protected in ("sys/audit", "sys/raw/x"):
        assert client.sys.get_capabilities(paths=[protected])["capabilities"] == ["deny"]
    assert_agent_denied(sc.send("GET", "sys/audit", token=token), "root-protected")
    assert_agent_denied(sc.send("GET", "sys/raw/x", token=token), "root-protected")
    # sys/capabilities asked (by root) about the agent token answers the same.
    body = ok(sc.send("POST", "sys/capabilities", {"token": token, "paths": [path, "sys/audit"]}))
    assert body["data"][path] == ["read", "update"]
    assert body["data"]["sys/audit"] == ["deny"]


def test_agent_tokens_never_mint_renew_wrap_or_reach_cubbyhole(vab_server, make) -> None:
    everything = (
        'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }'
    )
    sc = make(human_hcl=everything, ceiling_hcl=everything)
    token = sc.token([path_access("*", "create", "read", "update", "delete", "list", "sudo")])
    sc.write_secret("w", {"v": 1})
    no_tokens = "cannot create or renew tokens or leases"
    cases = [
        ("POST", "auth/token/create", {}, no_tokens),
        ("POST", "auth/token/create-orphan", {}, no_tokens),
        ("POST", "auth/token/renew-self", {}, no_tokens),
        ("POST", "auth/token/renew", {"token": "x"}, no_tokens),
        ("POST", "sys/leases/renew", {"lease_id": "x"}, no_tokens),
        ("POST", "auth/token/revoke-self", {}, "revoke-self does not apply"),
        ("POST", "cubbyhole/x", {"a": 1}, "no cubbyhole"),
        ("POST", "sys/wrapping/wrap", {"a": 1}, "response wrapping"),
        ("GET", "sys/audit", None, "root-protected"),
    ]
    for method, path, body, reason in cases:
        assert_agent_denied(sc.send(method, path, body, token=token), reason)
    import urllib.request

    req = urllib.request.Request(
        f"{vab_server.url}/v1/{sc.kv}/data/w",
        headers={"X-Vault-Token": token, "X-Vault-Wrap-TTL": "60s"},
    )
    try:
        urllib.request.urlopen(req, timeout=10)
        raise AssertionError("wrapped read allowed")
    except urllib.error.HTTPError as exc:
        assert exc.code == 403 and "response wrapping" in exc.read().decode()
    # The same request without wrapping is fine.
    ok(sc.send("GET", f"{sc.kv}/data/w", token=token))


def test_agent_tokens_revoke_tokens_when_the_layers_allow(vab_server, make) -> None:
    """Revoking ends access, it extends nothing (SPEC §6 forbids minting and renewing): an
    agent token revokes a Vault token when every layer allows ``auth/token/revoke``."""
    revoke = 'path "auth/token/revoke" { capabilities = ["update"] }'
    sc = make(human_hcl=BROAD + "\n" + revoke, ceiling_hcl=BROAD + "\n" + revoke)
    token = sc.token([path_access("auth/token/revoke", "update")])
    victim = ok(sc.send("POST", "auth/token/create", {"policies": ["default"]}))["auth"]
    ok(sc.send("POST", "auth/token/revoke", {"token": victim["client_token"]}, token=token))
    status, _, _ = sc.send("POST", "auth/token/lookup", {"token": victim["client_token"]})
    assert status in (400, 403), status  # gone
    # Without the capability in one layer (here the RAR) it is refused like anything else.
    other = ok(sc.send("POST", "auth/token/create", {"policies": ["default"]}))["auth"]
    narrow = sc.token(sc.rar_read("x"))
    assert_agent_denied(
        sc.send("POST", "auth/token/revoke", {"token": other["client_token"]}, token=narrow),
        RAR_NO_MATCH,
    )
    ok(sc.send("POST", "auth/token/lookup", {"token": other["client_token"]}))


def test_activity_counts_allowed_and_denied(vab_server, make) -> None:
    sc = make()
    sc.write_secret("a", {"v": 1})
    token = sc.token(sc.rar_read("a"))
    for _ in range(3):
        ok(sc.send("GET", f"{sc.kv}/data/a", token=token))
    sc.send("GET", f"{sc.kv}/data/b", token=token)
    activity = ok(sc.send("GET", f"identity/agent/activity/{sc.registration_id}"))["data"]
    assert activity["allowed_requests"] == 3 and activity["denied_requests"] == 1
    assert activity["denied_by_layer"] == {"authorization_details": 1}
    assert activity["last_use"] and activity["display_name"] == sc.agent_name


def test_agent_explains_itself_but_nobody_else(vab_server, make) -> None:
    sc = make()
    token = sc.token(sc.rar_read("x"))
    body = {"requests": [{"path": f"{sc.kv}/data/x", "operation": "read"}]}
    explained = ok(sc.send("POST", "sys/agent/explain", body, token=token))["data"]
    assert explained["results"][0]["allowed"] is True
    other = sc.token(sc.rar_read("y"))
    status, _reply, _ = sc.send("POST", "sys/agent/explain", {**body, "token": other}, token=token)
    assert status == 403
    # A service token needs sudo on sys/agent/explain.
    plain = sc.policy("explainer", 'path "sys/agent/explain" { capabilities = ["update"] }')
    sudo = sc.policy(
        "explainer-sudo", 'path "sys/agent/explain" { capabilities = ["update", "sudo"] }'
    )
    for policy, expected in ((plain, 403), (sudo, 200)):
        svc = ok(sc.send("POST", "auth/token/create", {"policies": [policy]}))["auth"][
            "client_token"
        ]
        status, _, _ = sc.send("POST", "sys/agent/explain", {**body, "token": token}, token=svc)
        assert status == expected
    # Without a token: name the agent and the subject.
    by_name = ok(
        sc.send(
            "POST",
            "sys/agent/explain",
            {
                **body,
                "agent": sc.agent_name,
                "subject_entity_id": sc.human_id,
                "authorization_details": sc.rar_read("x"),
            },
        )
    )["data"]
    assert by_name["mode"] == "delegated" and by_name["results"][0]["allowed"] is True
