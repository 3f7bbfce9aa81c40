"""Helpers for agent tests: test keys, JWT minting, a local JWKS server, scenarios.

Everything talks through a ``send(method, path, body, token) -> (status, body, headers)``
function, so the same scenario runs against the in-process app (fast tests) and against a
real server subprocess (integration tests).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

Send = Callable[..., tuple[int, Any, dict[str, str]]]
BROAD_KV = 'path "KV/data/*" { capabilities = ["create", "read", "update", "list"] }'
RAR_NO_MATCH = "RAR_NO_MATCH: No valid authorization_details claim found matching this request."


# ----- keys ----------------------------------------------------------------------------------


@dataclass
class SigningKey:
    """A private key, its algorithm and kid."""

    alg: str
    kid: str
    private: Any

    @property
    def public_pem(self) -> str:
        """SubjectPublicKeyInfo PEM of the public key."""
        return (
            self.private.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def jwk(self) -> dict[str, Any]:
        """The public JWK (with kid, alg and use)."""
        algo = jwt.get_algorithm_by_name(self.alg)
        data = json.loads(algo.to_jwk(self.private.public_key()))
        data.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return data


def make_key(alg: str, kid: str | None = None) -> SigningKey:
    """A fresh key for RS256/PS256 (RSA 2048), ES256 (P-256) or EdDSA (Ed25519)."""
    if alg.startswith(("RS", "PS")):
        private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    elif alg == "ES256":
        private = ec.generate_private_key(ec.SECP256R1())
    elif alg == "EdDSA":
        private = ed25519.Ed25519PrivateKey.generate()
    else:
        raise ValueError(alg)
    return SigningKey(alg, kid or f"{alg.lower()}-{uuid.uuid4().hex[:8]}", private)


# ----- JWTs ----------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    """Unpadded base64url."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jwt(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"") -> str:
    """A JWT assembled by hand (for forged tokens)."""
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    return f"{head}.{body}.{b64url(signature)}"


def hs256_with_public_key(key: SigningKey, claims: dict[str, Any]) -> str:
    """The classic confusion attack: HS256 keyed with the PEM of the public key."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key.kid}
    head = b64url(json.dumps(header).encode())
    body = b64url(json.dumps(claims).encode())
    mac = hmac.new(key.public_pem.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(mac)}"


def path_access(path: str, *caps: str, **params: Any) -> dict[str, Any]:
    """One ``vault:path_access`` entry."""
    entry: dict[str, Any] = {"type": "vault:path_access", "path": path, "capabilities": list(caps)}
    entry.update(params)
    return entry


@dataclass
class Minter:
    """Mints JWTs for one issuer with one key."""

    issuer: str
    key: SigningKey
    audience: str | None = "vault"

    def claims(self, **overrides: Any) -> dict[str, Any]:
        """Default claims plus overrides (a value of None removes the claim)."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "iat": now,
            "exp": now + 300,
            "jti": str(uuid.uuid4()),
        }
        if self.audience is not None:
            claims["aud"] = self.audience
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def mint(
        self,
        sub: str,
        act: str | None = None,
        rar: list[dict[str, Any]] | None = None,
        *,
        key: SigningKey | None = None,
        kid: str | None = "",
        **overrides: Any,
    ) -> str:
        """A signed token; ``rar`` None leaves ``authorization_details`` out."""
        key = key or self.key
        extra: dict[str, Any] = {"sub": sub}
        if act is not None:
            extra["act"] = {"sub": act}
        if rar is not None:
            extra["authorization_details"] = rar
        extra.update(overrides)
        headers = {"kid": key.kid if kid == "" else kid} if kid is not None else {}
        return jwt.encode(self.claims(**extra), key.private, algorithm=key.alg, headers=headers)


# ----- a JWKS server -------------------------------------------------------------------------


class JWKSServer:
    """Serves a JWKS document on 127.0.0.1 (a free port) and counts the fetches."""

    def __init__(self, keys: list[SigningKey]):
        self.keys = list(keys)
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.hits += 1
                body = json.dumps({"keys": [k.jwk() for k in outer.keys]}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The JWKS URI."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/jwks.json"

    def close(self) -> None:
        """Stop serving."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def jwks_server(keys: list[SigningKey]) -> Iterator[JWKSServer]:
    """A running :class:`JWKSServer`, stopped at exit."""
    server = JWKSServer(keys)
    try:
        yield server
    finally:
        server.close()


# ----- transports ----------------------------------------------------------------------------


def http_sender(base_url: str) -> Send:
    """``send`` for a real server (urllib, no client library in between)."""
    import urllib.error
    import urllib.request

    def send(method: str, path: str, body: Any = None, token: str | None = "root"):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(base_url + "/v1/" + path.lstrip("/"), data=data, method=method)
        if token:
            req.add_header("X-Vault-Token", token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw, status, headers = resp.read(), resp.status, dict(resp.headers)
        except urllib.error.HTTPError as exc:
            raw, status, headers = exc.read(), exc.code, dict(exc.headers)
        return status, (json.loads(raw) if raw.strip() else None), headers

    return send


def flask_sender(client: Any) -> Send:
    """``send`` for the in-process Flask test client."""

    def send(method: str, path: str, body: Any = None, token: str | None = "root"):
        headers = {"X-Vault-Token": token} if token else {}
        resp = client.open("/v1/" + path.lstrip("/"), method=method, json=body, headers=headers)
        parsed = resp.get_json(silent=True) if resp.data else None
        return resp.status_code, parsed, dict(resp.headers)

    return send


def ok(reply: tuple[int, Any, dict[str, str]], *statuses: int) -> Any:
    """The body of a reply whose status is one of ``statuses`` (default 200/204)."""
    status, body, _ = reply
    assert status in (statuses or (200, 204)), (status, body)
    return body


# ----- scenario ------------------------------------------------------------------------------


@dataclass
class Scenario:
    """A human, an agent, their aliases for one issuer, a profile, a registration and a
    KV v2 mount, created through the API. Names are unique per scenario."""

    send: Send
    minter: Minter
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    human_id: str = ""
    agent_id: str = ""
    registration_id: str = ""
    profile: str = ""
    kv: str = ""

    @property
    def human_ext(self) -> str:
        """External id of the human at the issuer."""
        return f"human-{self.tag}"

    @property
    def agent_ext(self) -> str:
        """External id of the agent at the issuer."""
        return f"agent-{self.tag}"

    @property
    def agent_name(self) -> str:
        """The registration's display name."""
        return f"agent-{self.tag}"

    def policy(self, name: str, hcl: str) -> str:
        """Write a policy (name suffixed with the tag); returns the full name."""
        full = f"{name}-{self.tag}"
        ok(self.send("PUT", f"sys/policies/acl/{full}", {"policy": hcl.replace("KV", self.kv)}))
        return full

    def entity(self, name: str, policies: list[str], ext: str) -> str:
        """An entity with an alias bound to the issuer."""
        body = ok(
            self.send(
                "POST", "identity/entity", {"name": f"{name}-{self.tag}", "policies": policies}
            )
        )
        entity_id = body["data"]["id"]
        ok(
            self.send(
                "POST",
                "identity/entity-alias",
                {"canonical_id": entity_id, "issuer": self.minter.issuer, "external_id": ext},
            )
        )
        return entity_id

    def setup(
        self,
        *,
        profile: dict[str, Any],
        human_hcl: str = BROAD_KV,
        ceiling_hcl: str = BROAD_KV,
        baseline_hcl: str | None = None,
        agent_hcl: str | None = None,
        registration: dict[str, Any] | None = None,
    ) -> Scenario:
        """Create everything; ``profile`` is the profile body (issuer_id filled in)."""
        self.kv = f"kv-{self.tag}"
        ok(self.send("POST", f"sys/mounts/{self.kv}", {"type": "kv", "options": {"version": "2"}}))
        self.profile = f"profile-{self.tag}"
        ok(
            self.send(
                "POST",
                f"sys/config/oauth-resource-server/{self.profile}",
                {"issuer_id": self.minter.issuer, **profile},
            )
        )
        human_policy = self.policy("human", human_hcl)
        ceiling = self.policy("ceiling", ceiling_hcl)
        agent_policies = [self.policy("agent", agent_hcl)] if agent_hcl else []
        self.human_id = self.entity("human", [human_policy], self.human_ext)
        self.agent_id = self.entity("agent", agent_policies, self.agent_ext)
        body: dict[str, Any] = {
            "display_name": self.agent_name,
            "entity_id": self.agent_id,
            "ceiling_policies": [ceiling],
        }
        if baseline_hcl:
            body["baseline_policies"] = [self.policy("baseline", baseline_hcl)]
        body.update(registration or {})
        reply = ok(self.send("POST", "agent-registry/register", body))
        self.registration_id = reply["data"]["id"]
        return self

    def write_secret(self, name: str, data: dict[str, Any]) -> None:
        """Write a KV v2 secret with the root token."""
        ok(self.send("POST", f"{self.kv}/data/{name}", {"data": data}))

    def token(
        self, rar: list[dict[str, Any]] | None = None, *, direct: bool = False, **kw: Any
    ) -> str:
        """A delegated (human subject, agent actor) or direct (agent subject) token."""
        if direct:
            return self.minter.mint(self.agent_ext, None, rar, **kw)
        return self.minter.mint(self.human_ext, self.agent_ext, rar, **kw)

    def rar_read(self, name: str = "*") -> list[dict[str, Any]]:
        """RAR allowing read of ``kv/data/<name>``."""
        return [path_access(f"{self.kv}/data/{name}", "read")]

    def explain(
        self, token: str, path: str, operation: str = "read", data: Any = None
    ) -> dict[str, Any]:
        """``sys/agent/explain`` (root token) for one request; the result entry."""
        body = ok(
            self.send(
                "POST",
                "sys/agent/explain",
                {
                    "token": token,
                    "requests": [{"path": path, "operation": operation, "data": data or {}}],
                },
            )
        )
        return body["data"]["results"][0]


def static_profile(*keys: SigningKey, **extra: Any) -> dict[str, Any]:
    """A static-keys profile body."""
    return {
        "use_jwks": False,
        "public_keys": [{"key_id": k.kid, "pem": k.public_pem} for k in keys],
        "audiences": ["vault"],
        **extra,
    }


def assert_agent_denied(reply: tuple[int, Any, dict[str, str]], reason: str) -> None:
    """A 403 whose errors contain ``permission denied`` and ``reason``, with the RFC 9728
    ``WWW-Authenticate`` header."""
    status, body, headers = reply
    assert status == 403, (status, body)
    text = " ".join((body or {}).get("errors", []))
    assert "permission denied" in text, text
    assert reason in text, (reason, text)
    challenge = {k.lower(): v for k, v in headers.items()}.get("www-authenticate", "")
    assert challenge.startswith("Bearer "), headers
    assert (
        'resource_metadata="' in challenge and "/.well-known/oauth-protected-resource" in challenge
    )
