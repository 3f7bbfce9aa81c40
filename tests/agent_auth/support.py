"""Helpers for the authorization-server tests: transports with form posts, agent keys and
client assertions, and a :class:`World` (a human with a userpass login, agents, policies,
secrets) built through the API, so the same scenario runs in-process and over HTTP."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

Reply = tuple[int, Any, dict[str, str]]
Send = Callable[..., Reply]

TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
DELEGATION_TYPE = "urn:vab:params:oauth:token-type:delegation"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


# ----- transports ----------------------------------------------------------------------------


def flask_sender(client: Any) -> Send:
    """``send(method, path, body=None, token="root", form=None, headers=None)`` in-process."""

    def send(method, path, body=None, token="root", form=None, headers=None) -> Reply:
        h = dict(headers or {})
        if token:
            h["X-Vault-Token"] = token
        url = path if path.startswith("/") else "/v1/" + path
        if form is not None:
            resp = client.open(url, method=method, data=form, headers=h)
        else:
            resp = client.open(url, method=method, json=body, headers=h)
        parsed = resp.get_json(silent=True) if resp.data else None
        return resp.status_code, parsed, dict(resp.headers)

    return send


def http_sender(base_url: str) -> Send:
    """The same ``send`` over real HTTP (standard library only, new connection each time)."""
    import urllib.error
    import urllib.request

    def send(method, path, body=None, token="root", form=None, headers=None) -> Reply:
        h = dict(headers or {})
        data = None
        if form is not None:
            data = urlencode(form).encode()
            h["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if token:
            h["X-Vault-Token"] = token
        url = base_url + (path if path.startswith("/") else "/v1/" + path)
        req = urllib.request.Request(url, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw, status, got = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as exc:
            raw, status, got = exc.read(), exc.code, dict(exc.headers)
        return status, (json.loads(raw) if raw.strip() else None), got

    return send


def ok(reply: Reply, *statuses: int) -> Any:
    """The body of a reply whose status is one of ``statuses`` (default 200/204)."""
    status, body, _ = reply
    assert status in (statuses or (200, 204)), (status, body)
    return body


def oauth_error(reply: Reply, error: str, status: int = 400) -> str:
    """Assert an RFC 6749 error answer; returns its description."""
    got, body, _ = reply
    assert got == status, (got, body)
    assert body["error"] == error, body
    return body["error_description"]


def denied(reply: Reply, reason: str) -> None:
    """A 403 agent refusal containing ``reason``."""
    status, body, _ = reply
    assert status == 403, (status, body)
    text = " ".join(body.get("errors", []))
    assert "permission denied" in text and reason in text, text


def path_access(path: str, *caps: str, **params: Any) -> dict[str, Any]:
    """One ``vault:path_access`` entry."""
    return {"type": "vault:path_access", "path": path, "capabilities": list(caps), **params}


# ----- agents ----------------------------------------------------------------------------------


@dataclass
class Agent:
    """A registered agent and its private key."""

    name: str
    id: str
    entity_id: str
    key: Any
    alg: str
    kid: str | None = None
    secret: str | None = None

    def assertion(self, audience: str, **overrides: Any) -> str:
        """A fresh client assertion (overrides change or, with None, remove claims)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.id,
            "sub": self.id,
            "aud": audience,
            "iat": now,
            "exp": now + 60,
            "jti": str(uuid.uuid4()),
        }
        claims.update(overrides)
        claims = {k: v for k, v in claims.items() if v is not None}
        headers = {"kid": self.kid} if self.kid else None
        return jwt.encode(claims, self.key, algorithm=self.alg, headers=headers)

    def auth(self, audience: str, **overrides: Any) -> dict[str, str]:
        """The ``private_key_jwt`` form fields."""
        return {
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": self.assertion(audience, **overrides),
        }


def new_key(alg: str = "EdDSA") -> tuple[Any, str]:
    """A private key and its public PEM."""
    key: Any = (
        ed25519.Ed25519PrivateKey.generate()
        if alg == "EdDSA"
        else ec.generate_private_key(ec.SECP256R1())
    )
    pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return key, pem


# ----- the world -------------------------------------------------------------------------------


@dataclass
class World:
    """Names unique per instance; everything is created through the API with ``root``."""

    send: Send
    api_addr: str
    mount: str = "agent"
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    kv: str = "secret"

    @property
    def issuer(self) -> str:
        """The issuer of the authorization server."""
        return f"{self.api_addr}/v1/auth/{self.mount}"

    @property
    def token_url(self) -> str:
        """The token endpoint URL (client assertion audience)."""
        return f"{self.issuer}/token"

    def name(self, base: str) -> str:
        """``base`` made unique."""
        return f"{base}-{self.tag}"

    def policy(self, base: str, hcl: str) -> str:
        """Write a policy (``APP`` in the text is replaced by this world's app path)."""
        name = self.name(base)
        ok(self.send("PUT", f"sys/policies/acl/{name}", {"policy": hcl.replace("APP", self.app)}))
        return name

    @property
    def app(self) -> str:
        """The KV path prefix (below ``secret/data/``) of this world."""
        return f"app-{self.tag}"

    def secret(self, name: str, value: Any = "v") -> str:
        """Write ``secret/data/<app>/<name>``; returns its API path."""
        path = f"{self.kv}/data/{self.app}/{name}"
        ok(self.send("POST", path, {"data": {"value": value}}))
        return path

    def human(self, base: str, policies: list[str], **user: Any) -> tuple[str, str]:
        """A userpass user logged in: (token, entity id)."""
        _, body, _ = self.send("GET", "sys/auth")
        if "userpass/" not in (body or {}).get("data", body or {}):
            ok(self.send("POST", "sys/auth/userpass", {"type": "userpass"}))
        name = self.name(base)
        ok(
            self.send(
                "POST",
                f"auth/userpass/users/{name}",
                {"password": "pw", "token_policies": ",".join(policies), **user},
            )
        )
        login = ok(self.send("POST", f"auth/userpass/login/{name}", {"password": "pw"}, token=None))
        return login["auth"]["client_token"], login["auth"]["entity_id"]

    def agent(
        self,
        base: str,
        *,
        ceiling: list[str] | None = None,
        baseline: list[str] | None = None,
        entity_policies: list[str] | None = None,
        alg: str = "EdDSA",
        kid: str | None = None,
        **fields: Any,
    ) -> Agent:
        """An entity plus a registration with a fresh public key."""
        name = self.name(base)
        entity = ok(
            self.send("POST", "identity/entity", {"name": name, "policies": entity_policies or []})
        )
        entity_id = entity["data"]["id"]
        key, pem = new_key(alg)
        public = {"kid": kid, "pem": pem} if kid else pem
        body: dict[str, Any] = {
            "display_name": name,
            "entity_id": entity_id,
            "ceiling_policies": ceiling or [],
            "client_public_keys": [public],
            **fields,
        }
        if baseline:
            body["baseline_policies"] = baseline
        reply = ok(self.send("POST", "identity/agent/register", body))
        return Agent(name, reply["data"]["id"], entity_id, key, alg, kid)

    def delegate(
        self,
        human_token: str,
        agent: Agent,
        details: list[dict[str, Any]],
        **fields: Any,
    ) -> str:
        """A delegation created with the human's token; its id."""
        body = {"agent": agent.id, "authorization_details": details, **fields}
        reply = ok(self.send("POST", "identity/agent/delegation", body, token=human_token))
        return reply["data"]["delegation_id"]

    # ----- the authorization server ------------------------------------------------------------

    def token_reply(
        self,
        agent: Agent,
        *,
        delegation: str | None = None,
        subject_token: str | None = None,
        details: list[dict[str, Any]] | None = None,
        json_body: bool = False,
        endpoint: str = "token",
        **params: Any,
    ) -> Reply:
        """``POST auth/<mount>/token`` authenticated with a fresh client assertion."""
        form: dict[str, Any] = {}
        if delegation is not None:
            form.update(
                grant_type=TOKEN_EXCHANGE,
                subject_token=delegation,
                subject_token_type=DELEGATION_TYPE,
            )
        elif subject_token is not None:
            form.update(
                grant_type=TOKEN_EXCHANGE,
                subject_token=subject_token,
                subject_token_type=ACCESS_TOKEN_TYPE,
            )
        else:
            form["grant_type"] = "client_credentials"
        if details is not None:
            form["authorization_details"] = details if json_body else json.dumps(details)
        form.update(agent.auth(self.token_url))
        form.update({k: v for k, v in params.items() if v is not None})
        path = f"auth/{self.mount}/{endpoint}"
        if json_body:
            return self.send("POST", path, form, token=None)
        return self.send("POST", path, token=None, form=form)

    def token(self, agent: Agent, **kw: Any) -> str:
        """An access token (asserting success)."""
        return ok(self.token_reply(agent, **kw))["access_token"]

    def read(self, token: str, name: str) -> Reply:
        """Read ``secret/data/<app>/<name>`` with a token."""
        return self.send("GET", f"{self.kv}/data/{self.app}/{name}", token=token)

    def jwks(self) -> dict[str, Any]:
        """The published JWKS."""
        return ok(self.send("GET", f"auth/{self.mount}/jwks", token=None))


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(header, claims) without verification."""
    return jwt.get_unverified_header(token), jwt.decode(token, options={"verify_signature": False})


def verify_with_jwks(token: str, jwks: dict[str, Any], audience: str = "vault") -> dict[str, Any]:
    """Verify a token against a JWKS document with pyjwt alone."""
    keys = jwt.PyJWKSet.from_dict(jwks)
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in keys.keys if k.key_id == kid)
    return jwt.decode(token, key.key, algorithms=[key.algorithm_name], audience=audience)


def poll(condition: Callable[[], bool], timeout: float = 10.0, interval: float = 0.1) -> None:
    """Wait until ``condition()`` holds (fails after ``timeout`` seconds)."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)
