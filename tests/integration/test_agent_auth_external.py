"""A token issued by our server is accepted by an external resource check written with pyjwt
alone -- JWKS discovered through RFC 8414 metadata over HTTP, signature, ``aud``, ``exp`` and
``authorization_details`` -- with no further token exchange ("one token, two resources")."""

from __future__ import annotations

import fnmatch
import json
import time
import urllib.request
from typing import Any

import jwt
import pytest

from tests.agent_auth.support import World, http_sender, ok, path_access
from tests.support.processes import ServerProcess

HUMAN_HCL = """
path "secret/data/APP/*" { capabilities = ["create", "read", "update"] }
path "identity/agent/delegation" { capabilities = ["update"] }
"""
OPERATION_CAPABILITY = {"GET": "read", "PUT": "update", "POST": "create", "DELETE": "delete"}


class ExternalResource:
    """A resource server that knows nothing of Vault: only the issuer's published metadata."""

    def __init__(self, base_url: str, issuer_path: str = "/v1/auth/agent", audience: str = "vault"):
        url = f"{base_url}/.well-known/oauth-authorization-server{issuer_path}"
        with urllib.request.urlopen(url, timeout=10) as resp:
            self.metadata = json.load(resp)
        self.jwks = jwt.PyJWKClient(self.metadata["jwks_uri"])
        self.audience = audience

    def check(self, token: str, method: str, path: str) -> dict[str, Any]:
        """The verified claims when ``token`` allows ``method path``; raises otherwise."""
        key = self.jwks.get_signing_key_from_jwt(token)
        claims = jwt.decode(
            token,
            key.key,
            algorithms=["EdDSA", "ES256"],
            audience=self.audience,
            issuer=self.metadata["issuer"],
            options={"require": ["exp", "iat", "sub", "aud", "iss", "jti"]},
        )
        if jwt.get_unverified_header(token).get("typ") != "at+jwt":
            raise PermissionError("not an RFC 9068 access token")
        wanted = OPERATION_CAPABILITY[method]
        for entry in claims.get("authorization_details") or []:
            if entry.get("type") != "vault:path_access":
                continue
            if fnmatch.fnmatchcase(path, entry["path"]) and wanted in entry["capabilities"]:
                return claims
        raise PermissionError(f"{method} {path} is not in the token's authorization_details")


@pytest.fixture(scope="module")
def scene(vab_server: ServerProcess):
    world = World(http_sender(vab_server.url), vab_server.url)
    human = world.policy("human", HUMAN_HCL)
    ceiling = world.policy("ceiling", 'path "secret/data/*" { capabilities = ["read"] }')
    token, entity = world.human("alice", [human])
    bot = world.agent("bot", ceiling=[ceiling])
    world.secret("db")
    delegation = world.delegate(token, bot, [path_access(f"secret/data/{world.app}/*", "read")])
    return world, entity, bot, delegation


def test_external_check_accepts_our_token(vab_server: ServerProcess, scene) -> None:
    world, entity, bot, delegation = scene
    details = [path_access(f"secret/data/{world.app}/*", "read")]
    token = world.token(bot, delegation=delegation, details=details)
    resource = ExternalResource(vab_server.url)
    claims = resource.check(token, "GET", f"secret/data/{world.app}/db")
    assert claims["sub"] == entity and claims["act"]["sub"] == bot.entity_id
    # the very same token works at Vault too
    ok(world.read(token, "db"))
    with pytest.raises(PermissionError):
        resource.check(token, "PUT", f"secret/data/{world.app}/db")
    with pytest.raises(PermissionError):
        resource.check(token, "GET", "secret/data/other/db")


def test_external_check_refuses_wrong_audience_and_expired(
    vab_server: ServerProcess, scene
) -> None:
    world, _, bot, delegation = scene
    token = world.token(bot, delegation=delegation, ttl="1s")
    with pytest.raises(jwt.InvalidAudienceError):
        ExternalResource(vab_server.url, audience="billing").check(
            token, "GET", f"secret/data/{world.app}/db"
        )
    deadline = time.monotonic() + 10
    resource = ExternalResource(vab_server.url)
    while True:
        try:
            resource.check(token, "GET", f"secret/data/{world.app}/db")
        except jwt.ExpiredSignatureError:
            break
        assert time.monotonic() < deadline, "the token never expired"
        time.sleep(0.2)


def test_external_check_after_rotation(vab_server: ServerProcess, scene) -> None:
    world, _, bot, delegation = scene
    old = world.token(bot, delegation=delegation)
    ok(world.send("POST", "auth/agent/keys/rotate"))
    new = world.token(bot, delegation=delegation)
    resource = ExternalResource(vab_server.url)
    for token in (old, new):
        resource.check(token, "GET", f"secret/data/{world.app}/db")
