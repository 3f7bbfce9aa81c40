"""``sys/config/oauth-resource-server`` field rules and the unauthenticated discovery API."""

from __future__ import annotations

from tests.agent.support import jwks_server, make_key, ok, static_profile

BASE = "sys/config/oauth-resource-server"


def test_create_read_list_delete(app) -> None:
    key = make_key("ES256")
    status, body, _ = app.send(
        "POST", f"{BASE}/corp", {"issuer_id": "HTTPS://IdP.Example.com//", **static_profile(key)}
    )
    assert status == 204 and body is None
    data = ok(app.send("GET", f"{BASE}/corp"))["data"]
    assert data["issuer_id"] == "https://idp.example.com"
    assert data["profile_name"] == "corp" and data["config_id"]
    assert data["use_jwks"] is False and "jwks_uri" not in data
    assert data["public_keys"] == [{"key_id": key.kid, "pem": key.public_pem}]
    defaults = {
        "local": False,
        "no_default_policy": False,
        "optional_authorization_details": False,
        "user_claim": "sub",
        "actor_claim": "act.sub",
        "unique_id_claim": "jti",
        "supported_algorithms": [],
        "jwt_type": "access_token",
        "clock_skew_leeway": 0,
        "enabled": True,
        "audiences": ["vault"],
    }
    assert {k: data[k] for k in defaults} == defaults
    by_id = ok(app.send("GET", f"{BASE}/id/{data['config_id']}"))["data"]
    assert by_id == data
    assert "corp" in ok(app.send("LIST", BASE))["data"]["keys"]
    assert app.send("DELETE", f"{BASE}/corp")[0] == 204
    assert app.send("DELETE", f"{BASE}/corp")[0] == 204  # deleting again succeeds
    status, body, _ = app.send("GET", f"{BASE}/corp")
    assert status == 404 and body["errors"] == ["profile not found"]
    assert app.send("GET", f"{BASE}/id/{data['config_id']}")[0] == 404


def test_update_changes_only_given_fields_and_immutables_stay(app) -> None:
    key = make_key("RS256")
    ok(app.send("POST", f"{BASE}/p", {"issuer_id": "https://a.example", **static_profile(key)}))
    before = ok(app.send("GET", f"{BASE}/p"))["data"]
    ok(app.send("POST", f"{BASE}/p", {"clock_skew_leeway": 60, "audiences": ["x", "y"]}))
    after = ok(app.send("GET", f"{BASE}/p"))["data"]
    assert after["clock_skew_leeway"] == 60 and after["audiences"] == ["x", "y"]
    assert {k: v for k, v in after.items() if k not in ("clock_skew_leeway", "audiences")} == {
        k: v for k, v in before.items() if k not in ("clock_skew_leeway", "audiences")
    }
    # Same value (normalised) is accepted; a different one is refused.
    ok(app.send("POST", f"{BASE}/p", {"issuer_id": "https://A.example/"}))
    for field, value in (
        ("issuer_id", "https://b.example"),
        ("local", True),
        ("unique_id_claim", "x"),
    ):
        status, body, _ = app.send("POST", f"{BASE}/p", {field: value})
        assert status == 400 and f"{field} cannot be changed" in body["errors"][0]


def test_validation_errors_are_listed_together(app) -> None:
    status, body, _ = app.send("POST", f"{BASE}/bad", {"use_jwks": True})
    assert status == 400
    assert "issuer_id is required" in body["errors"]
    assert "jwks_uri is required when use_jwks=true" in body["errors"]
    key = make_key("RS256")
    cases = [
        ({"issuer_id": "not a url", **static_profile(key)}, "issuer_id must be a valid URL"),
        (
            {"issuer_id": "https://x.example", "use_jwks": True, "jwks_uri": "https://x/j",
             "public_keys": [{"key_id": "a", "pem": key.public_pem}]},
            "public_keys cannot be specified when use_jwks=true",
        ),
        (
            {"issuer_id": "https://x.example", "use_jwks": False, "jwks_uri": "https://x/j"},
            "jwks_uri cannot be specified when use_jwks=false",
        ),
        ({"issuer_id": "https://x.example", "use_jwks": False}, "public_keys is required"),
        (
            {"issuer_id": "https://x.example", "use_jwks": False,
             "public_keys": [{"key_id": "a", "pem": "garbage"}]},
            'key "a": failed to parse PEM public key',
        ),
        (
            {"issuer_id": "https://x.example", "use_jwks": False,
             "public_keys": [{"key_id": "a", "pem": key.public_pem},
                             {"key_id": "a", "pem": key.public_pem}]},
            'duplicate key_id "a"',
        ),
        ({"issuer_id": "https://x.example", **static_profile(key),
          "supported_algorithms": ["HS256"]}, 'unsupported algorithm "HS256"'),
        ({"issuer_id": "https://x.example", **static_profile(key), "jwt_type": "id_token"},
         "jwt_type must be"),
    ]  # fmt: skip
    for body_in, message in cases:
        status, body, _ = app.send("POST", f"{BASE}/bad", body_in)
        assert status == 400, (body_in, body)
        assert any(message in e for e in body["errors"]), (message, body)
    assert app.send("GET", f"{BASE}/bad")[0] == 404


def test_issuer_unique_per_locality(app) -> None:
    key = make_key("RS256")
    ok(
        app.send(
            "POST", f"{BASE}/one", {"issuer_id": "https://same.example", **static_profile(key)}
        )
    )
    status, body, _ = app.send(
        "POST", f"{BASE}/two", {"issuer_id": "https://same.example/", **static_profile(key)}
    )
    assert status == 400
    assert body["errors"] == ['duplicate issuer_id "https://same.example" found in profile "one"']
    # A local profile may share the issuer of a global one.
    ok(
        app.send(
            "POST",
            f"{BASE}/two",
            {"issuer_id": "https://same.example", "local": True, **static_profile(key)},
        )
    )


def test_warnings_answer_200(app) -> None:
    key = make_key("RS256")
    with jwks_server([key]) as jwks:
        status, body, _ = app.send(
            "POST",
            f"{BASE}/w",
            {"issuer_id": "https://w.example", "jwks_uri": jwks.url,
             "supported_algorithms": ["RS256"], "enabled": False},
        )  # fmt: skip
    assert status == 200 and body["data"] is None
    warnings = body["warnings"]
    assert any("JWKS URI uses HTTP instead of HTTPS" in w for w in warnings)
    assert any('algorithm "RS256" is functional' in w for w in warnings)
    assert any("only one algorithm family" in w for w in warnings)
    assert any("Creating a disabled profile" in w for w in warnings)


def test_switching_key_modes_clears_the_other_mode(app) -> None:
    key = make_key("RS256")
    ok(app.send("POST", f"{BASE}/m", {"issuer_id": "https://m.example", **static_profile(key)}))
    ok(
        app.send("POST", f"{BASE}/m", {"use_jwks": True, "jwks_uri": "https://127.0.0.1:9/jwks"}),
        200,
        204,
    )
    data = ok(app.send("GET", f"{BASE}/m"))["data"]
    assert data["use_jwks"] is True and data["jwks_uri"] == "https://127.0.0.1:9/jwks"
    assert "public_keys" not in data
    ok(
        app.send(
            "POST",
            f"{BASE}/m",
            {"use_jwks": False, "public_keys": [{"key_id": "k", "pem": key.public_pem}]},
        )
    )
    data = ok(app.send("GET", f"{BASE}/m"))["data"]
    assert "jwks_uri" not in data and data["public_keys"][0]["key_id"] == "k"


def test_activation_flag_is_idempotent(app) -> None:
    for _ in range(2):
        body = ok(app.send("PUT", "sys/activation-flags/oauth-resource-server/activate"))
        assert body["data"]["activated"] == ["oauth-resource-server"]
    assert ok(app.send("GET", "sys/activation-flags"))["data"]["activated"] == [
        "oauth-resource-server"
    ]


def test_discovery_endpoints_are_unauthenticated(app) -> None:
    base = "sys/oauth-resource-server/authorization-details-types"
    assert ok(app.send("LIST", base, token=None))["data"]["keys"] == ["vault:path_access"]
    catalog = ok(app.send("GET", base, token=None))["data"]
    assert catalog["api_version"] == "v1" and catalog["default_unknown_type_behavior"] == "deny"
    assert catalog["types"][0]["schema_path"].endswith("/vault:path_access/schema")
    detail = ok(app.send("GET", f"{base}/vault:path_access", token=None))["data"]
    assert detail["required_fields"] == ["type", "path", "capabilities"]
    schema = ok(app.send("GET", f"{base}/vault:path_access/schema", token=None))["data"]
    assert schema["json_schema_draft"] == "2020-12"
    assert schema["schema"]["properties"]["type"] == {"const": "vault:path_access"}
    status, body, _ = app.send("GET", f"{base}/nope", token=None)
    assert status == 404 and body["errors"] == ["type not found"]
    for name in ok(app.send("LIST", BASE))["data"]["keys"]:  # e.g. the built-in issuer's
        ok(app.send("DELETE", f"{BASE}/{name}"))
    meta = ok(app.send("GET", "sys/oauth-resource-server/protected-resource-metadata", token=None))
    assert "authorization_servers" not in meta["data"]  # omitted when no profile exists
    ok(
        app.send(
            "POST",
            f"{BASE}/x",
            {"issuer_id": "https://x.example", **static_profile(make_key("RS256"))},
        )
    )
    resp = app.client.get("/.well-known/oauth-protected-resource")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["authorization_servers"] == ["https://x.example"]
    assert doc["authorization_details_types_supported"] == ["vault:path_access"]
    assert doc["bearer_methods_supported"] == ["header"]
    assert (
        doc == ok(app.send("GET", "sys/oauth-resource-server/protected-resource-metadata"))["data"]
    )


def test_profile_endpoints_need_a_token(app) -> None:
    assert app.send("LIST", BASE, token=None)[0] == 403
    assert app.send("GET", f"{BASE}/x", token=None)[0] == 403


def test_profile_alias_accessor_binds_entity_aliases(app) -> None:
    """Vault's documented flow: alias mount_accessor oauth-resource-server_root_<config_id>."""
    key = make_key("RS256")
    ok(app.send("POST", f"{BASE}/acc", {"issuer_id": "https://acc.example", **static_profile(key)}))
    config_id = ok(app.send("GET", f"{BASE}/acc"))["data"]["config_id"]
    entity = ok(app.send("POST", "identity/entity", {"name": "bound"}))["data"]["id"]
    reply = app.send(
        "POST",
        "identity/entity-alias",
        {
            "name": "jwt-binding",
            "canonical_id": entity,
            "mount_accessor": f"oauth-resource-server_root_{config_id}",
            "issuer": "https://acc.example",
            "external_id": "ext-1",
        },
    )
    ok(reply)
    identity = app.core.hooks["identity"]
    assert identity.entity_for_external("https://acc.example", "ext-1") == entity


def test_non_finite_numbers_in_a_body_are_a_400(app) -> None:
    """``NaN``/``Infinity`` are not JSON: Vault's decoder answers 400 ("invalid character
    'I' looking for beginning of value"); they used to reach the field parsers and answer
    500 (int/duration of an infinite float)."""
    key = make_key("ES256")
    ok(app.send("POST", "sys/config/oauth-resource-server/nf", {
        "issuer_id": "https://nf.example", **static_profile(key)}))  # fmt: skip
    entity = ok(app.send("POST", "identity/entity", {"name": "nf-agent"}))["data"]["id"]
    reg = ok(app.send("POST", "agent-registry/register", {
        "display_name": "nf-agent", "entity_id": entity}))["data"]["id"]  # fmt: skip
    cases = [
        ("sys/config/oauth-resource-server/nf", '{"clock_skew_leeway": Infinity}', "'I'"),
        (f"identity/agent/registration/id/{reg}", '{"max_ttl": Infinity}', "'I'"),
        (f"identity/agent/registration/id/{reg}", '{"max_delegation_depth": NaN}', "'N'"),
        (f"agent-registry/registration/id/{reg}", '{"description": -Infinity}', "'-'"),
    ]
    for path, body, char in cases:
        response = app.client.post(
            "/v1/" + path,
            data=body,
            headers={"X-Vault-Token": "root", "Content-Type": "application/json"},
        )
        assert response.status_code == 400, (path, body, response.get_data(as_text=True))
        (error,) = response.get_json()["errors"]
        assert error.startswith("failed to parse JSON input: invalid character " + char), error
    profile = ok(app.send("GET", "sys/config/oauth-resource-server/nf"))["data"]
    assert profile["clock_skew_leeway"] == 0
