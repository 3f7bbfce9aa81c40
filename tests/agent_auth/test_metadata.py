"""RFC 8414 metadata (root form and in-mount forms), the dev-mode mount, and enabling or
disabling ``agent`` mounts with ``sys/auth``."""

from __future__ import annotations

from tests.agent_auth.conftest import API_ADDR, App
from tests.agent_auth.support import World, flask_sender, ok

ISSUER = f"{API_ADDR}/v1/auth/agent"


def test_dev_mode_enables_auth_agent(app: App) -> None:
    send = flask_sender(app.client)
    mounts = ok(send("GET", "sys/auth"))["data"]
    assert mounts["agent/"]["type"] == "agent"
    profiles = ok(send("LIST", "sys/config/oauth-resource-server"))["data"]["keys"]
    assert "builtin-auth-agent" in profiles


def test_metadata_forms(app: App) -> None:
    send = flask_sender(app.client)
    root = ok(send("GET", "/.well-known/oauth-authorization-server/v1/auth/agent", token=None))
    in_mount = ok(send("GET", "auth/agent/.well-known/oauth-authorization-server", token=None))
    oidc = ok(send("GET", "auth/agent/.well-known/openid-configuration", token=None))
    assert root == in_mount
    assert root["issuer"] == ISSUER
    assert root["token_endpoint"] == f"{ISSUER}/token"
    assert root["jwks_uri"] == f"{ISSUER}/jwks"
    assert root["introspection_endpoint"] == f"{ISSUER}/introspect"
    assert root["revocation_endpoint"] == f"{ISSUER}/revoke"
    assert set(root["grant_types_supported"]) == {
        "urn:ietf:params:oauth:grant-type:token-exchange",
        "client_credentials",
    }
    assert set(root["token_endpoint_auth_methods_supported"]) == {
        "private_key_jwt",
        "client_secret_basic",
        "client_secret_post",
    }
    assert root["authorization_details_types_supported"] == ["vault:path_access"]
    assert "request_id" not in root  # raw RFC JSON, no Vault envelope
    assert oidc["issuer"] == ISSUER and oidc["subject_types_supported"] == ["public"]
    status, _, headers = send("GET", "/.well-known/oauth-authorization-server/v1/auth/agent")
    assert status == 200 and headers["Content-Type"].startswith("application/json")


def test_root_metadata_of_unknown_mounts_is_404(app: App) -> None:
    send = flask_sender(app.client)
    assert send("GET", "/.well-known/oauth-authorization-server/v1/auth/nope", token=None)[0] == 404
    assert (
        send("GET", "/.well-known/oauth-authorization-server/v1/auth/token", token=None)[0] == 404
    )
    status = send("POST", "/.well-known/oauth-authorization-server/v1/auth/agent", token=None)[0]
    assert status == 405


def test_another_mount_is_another_issuer(app: App) -> None:
    send = flask_sender(app.client)
    assert send("POST", "sys/auth/agents/team-a", {"type": "agent"})[0] == 204
    issuer = f"{API_ADDR}/v1/auth/agents/team-a"
    meta = ok(
        send("GET", "/.well-known/oauth-authorization-server/v1/auth/agents/team-a", token=None)
    )
    assert meta["issuer"] == issuer and meta["token_endpoint"] == f"{issuer}/token"
    profile = ok(send("GET", "sys/config/oauth-resource-server/builtin-auth-agents-team-a"))["data"]
    assert profile["issuer_id"] == issuer
    jwks = ok(send("GET", "auth/agents/team-a/jwks", token=None))
    default_jwks = ok(send("GET", "auth/agent/jwks", token=None))
    assert jwks["keys"][0]["kid"] != default_jwks["keys"][0]["kid"]
    # tokens of that issuer work like the default one's
    world = World(send, API_ADDR, mount="agents/team-a")
    own = world.policy("own", 'path "secret/data/APP/*" { capabilities = ["read"] }')
    bot = world.agent("bot", entity_policies=[own])
    world.secret("db")
    details = [
        {
            "type": "vault:path_access",
            "path": f"secret/data/{world.app}/db",
            "capabilities": ["read"],
        }
    ]
    token = world.token(bot, details=details)
    ok(world.read(token, "db"))
    # disabling the mount removes its profile: its tokens stop working
    assert send("DELETE", "sys/auth/agents/team-a")[0] == 204
    assert send("GET", "sys/config/oauth-resource-server/builtin-auth-agents-team-a")[0] == 404
    assert world.read(token, "db")[0] == 403


def test_vault_token_paths_need_a_token(app: App) -> None:
    send = flask_sender(app.client)
    assert send("GET", "auth/agent/config", token=None)[0] == 403
    config = ok(send("GET", "auth/agent/config"))["data"]
    assert config["issuer"] == ISSUER and config["signing_algorithm"] == "EdDSA"
    assert config["resource_server_profile"] == "builtin-auth-agent"
    keys = ok(send("GET", "auth/agent/keys"))["data"]
    assert keys["current"] == config["current_key_id"]
    assert "private_pem" not in str(keys)
