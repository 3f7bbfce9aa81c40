"""Forged and malformed agent tokens are refused: 403, ``permission denied`` and the reason,
and a ``WWW-Authenticate: Bearer resource_metadata=...`` header (RFC 9728) every time."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import hvac
import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hvac.exceptions import Forbidden

from tests.agent.support import (
    JWKSServer,
    Minter,
    Scenario,
    assert_agent_denied,
    b64url,
    hs256_with_public_key,
    http_sender,
    make_key,
    ok,
    path_access,
    raw_jwt,
    static_profile,
)
from tests.support.processes import ServerProcess


@pytest.fixture(scope="module")
def static(vab_server: ServerProcess) -> Scenario:
    """A delegated scenario on a static-keys (RS256) profile."""
    key = make_key("RS256")
    sc = Scenario(
        http_sender(vab_server.url), Minter(f"https://forge-{uuid.uuid4().hex[:6]}.example", key)
    )
    sc.setup(profile=static_profile(key))
    sc.write_secret("target", {"v": 1})
    return sc


@pytest.fixture(scope="module")
def jwks_scenario(vab_server: ServerProcess) -> Iterator[tuple[Scenario, JWKSServer]]:
    key = make_key("ES256")
    server = JWKSServer([key])
    try:
        sc = Scenario(
            http_sender(vab_server.url), Minter(f"https://jwks-{uuid.uuid4().hex[:6]}.example", key)
        )
        sc.setup(profile={"jwks_uri": server.url, "audiences": ["vault"]})
        sc.write_secret("target", {"v": 1})
        yield sc, server
    finally:
        server.close()


def get(sc: Scenario, token: str):
    return sc.send("GET", f"{sc.kv}/data/target", token=token)


def test_the_reference_token_is_accepted(static) -> None:
    ok(get(static, static.token(static.rar_read("target"))))


def _claims(sc: Scenario, **overrides):
    base = {
        "sub": sc.human_ext,
        "act": {"sub": sc.agent_ext},
        "authorization_details": sc.rar_read("target"),
    }
    return sc.minter.claims(**{**base, **overrides})


def test_alg_none(static) -> None:
    token = raw_jwt({"alg": "none", "typ": "JWT"}, _claims(static))
    assert_agent_denied(get(static, token), 'unsupported JWT signing algorithm "none"')
    token = raw_jwt({"alg": "none"}, _claims(static), b"")
    assert token.endswith(".")
    assert_agent_denied(get(static, token), "unsupported JWT signing algorithm")


def test_hs256_signed_with_the_public_key(static) -> None:
    token = hs256_with_public_key(static.minter.key, _claims(static))
    assert_agent_denied(get(static, token), 'unsupported JWT signing algorithm "HS256"')


def test_rs256_header_with_hmac_signature_is_refused(static) -> None:
    """The same confusion with the header claiming RS256: the signature does not verify."""
    forged = hs256_with_public_key(static.minter.key, _claims(static))
    head, body, sig = forged.split(".")
    head = b64url(b'{"alg":"RS256","kid":"%s"}' % static.minter.key.kid.encode())
    assert_agent_denied(get(static, f"{head}.{body}.{sig}"), "signature verification failed")


def test_wrong_kid(static) -> None:
    token = static.token(static.rar_read("target"), kid="no-such-kid")
    assert_agent_denied(get(static, token), 'no key with kid "no-such-kid"')


def test_signed_by_another_key_with_the_right_kid(static) -> None:
    impostor = make_key("RS256", kid=static.minter.key.kid)
    token = static.token(static.rar_read("target"), key=impostor)
    assert_agent_denied(get(static, token), "JWT signature verification failed")


def test_tampered_payload(static) -> None:
    token = static.token(static.rar_read("target"))
    head, _body, sig = token.split(".")
    body = b64url(__import__("json").dumps(_claims(static, sub=static.agent_ext)).encode())
    assert_agent_denied(get(static, f"{head}.{body}.{sig}"), "signature verification failed")


def test_wrong_issuer(static) -> None:
    minter = Minter("https://evil.example", static.minter.key)
    token = minter.mint(static.human_ext, static.agent_ext, static.rar_read("target"))
    assert_agent_denied(get(static, token), "no OAuth resource server profile trusts issuer")


def test_wrong_audience(static) -> None:
    token = static.token(static.rar_read("target"), aud="someone-else")
    assert_agent_denied(get(static, token), "audience")
    assert_agent_denied(get(static, static.token(static.rar_read("target"), aud=None)), '"aud"')


def test_expired(static) -> None:
    now = int(time.time())
    token = static.token(static.rar_read("target"), iat=now - 600, exp=now - 60)
    assert_agent_denied(get(static, token), "token has expired")
    assert_agent_denied(get(static, static.token(static.rar_read("target"), exp=None)), '"exp"')


def test_not_yet_valid(static) -> None:
    now = int(time.time())
    assert_agent_denied(
        get(static, static.token(static.rar_read("target"), nbf=now + 600)),
        "not yet valid (nbf)",
    )
    assert_agent_denied(
        get(static, static.token(static.rar_read("target"), iat=now + 600)),
        "not yet valid (iat)",
    )


def _signed_raw_payload(sc: Scenario, payload: str) -> str:
    """An RS256 token over payload text given verbatim (JSON the encoder would not write)."""
    key = sc.minter.key
    head = b64url(json.dumps({"alg": "RS256", "kid": key.kid}).encode())
    body = b64url(payload.encode())
    signature = key.private.sign(f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{head}.{body}.{b64url(signature)}"


@pytest.mark.parametrize(
    ("claim", "literal", "reason"),
    [
        ("exp", "NaN", "malformed JWT"),
        ("exp", "Infinity", "malformed JWT"),
        ("nbf", "NaN", "malformed JWT"),
        ("exp", "1e400", '"exp" claim is out of range'),
        ("exp", "1" + "0" * 400, '"exp" claim is out of range'),
        ("iat", "-1e400", '"iat" claim is out of range'),
    ],
)
def test_time_claims_that_are_not_finite_numbers(static, claim, literal, reason) -> None:
    """A validly signed token whose time claim is NaN, infinite or beyond a float is refused
    with a 403 (it used to be accepted forever, or to answer 500)."""
    claims = {k: v for k, v in _claims(static).items() if k != claim}
    payload = json.dumps(claims)[:-1] + f', "{claim}": {literal}}}'
    assert_agent_denied(get(static, _signed_raw_payload(static, payload)), reason)


def test_leeway_tolerates_small_skew(vab_server) -> None:
    key = make_key("EdDSA")
    sc = Scenario(
        http_sender(vab_server.url), Minter(f"https://skew-{uuid.uuid4().hex[:6]}.example", key)
    )
    sc.setup(profile=static_profile(key, clock_skew_leeway=120))
    sc.write_secret("target", {"v": 1})
    now = int(time.time())
    ok(get(sc, sc.token(sc.rar_read("target"), nbf=now + 60, exp=now - 30)))
    assert_agent_denied(get(sc, sc.token(sc.rar_read("target"), exp=now - 300)), "expired")


def test_missing_act_where_required(static) -> None:
    """The subject is a human without registration: a token without an actor is refused."""
    token = static.minter.mint(static.human_ext, None, static.rar_read("target"))
    assert_agent_denied(get(static, token), 'actor claim "act.sub" is required')


def test_unknown_rar_type(static) -> None:
    rar = [{"type": "payments:transfer", "amount": 10}]
    assert_agent_denied(
        get(static, static.token(rar)), 'unsupported authorization_details type "payments:transfer"'
    )


@pytest.mark.parametrize(
    ("rar", "reason"),
    [
        ([{"type": "vault:path_access", "path": "x", "capabilities": "read"}], '"capabilities"'),
        ([{"type": "vault:path_access", "path": 7, "capabilities": ["read"]}], '"path"'),
        ([path_access("x", "read", allowed_parameters=["a"])], '"allowed_parameters"'),
        ([path_access("x", "read", required_parameters={"a": 1})], '"required_parameters"'),
        ({"type": "vault:path_access"}, "must be a JSON array"),
        (["vault:path_access"], "must be a JSON object"),
    ],
)
def test_rar_entry_with_wrong_field_types(static, rar, reason) -> None:
    assert_agent_denied(get(static, static.token(rar)), reason)


def test_oversized_header(static) -> None:
    rar = [path_access(f"{static.kv}/data/target-{i:04d}", "read") for i in range(100)]
    token = static.token(rar)
    assert 8192 < len(token) < 16000  # below the HTTP server's own header limit
    assert_agent_denied(get(static, token), "maximum token header size of 8192 bytes")


def test_subject_without_alias(static) -> None:
    token = static.minter.mint(
        "nobody-" + uuid.uuid4().hex[:6], static.agent_ext, static.rar_read()
    )
    assert_agent_denied(get(static, token), "no entity alias is bound")
    token = static.minter.mint(static.human_ext, "ghost-agent", static.rar_read())
    assert_agent_denied(get(static, token), "no entity alias is bound")


def test_actor_without_registration(static) -> None:
    token = static.minter.mint(static.agent_ext, static.human_ext, static.rar_read("target"))
    assert_agent_denied(get(static, token), "has no agent registration")


@pytest.mark.parametrize(
    "token",
    ["a.b.c", "eyJhbGciOiJSUzI1NiJ9.bm90IGpzb24.c2ln", "x" * 10 + ".." + "y", "....."],
)
def test_garbage(static, token) -> None:
    status, body, _headers = get(static, token)
    assert status == 403 and "permission denied" in " ".join(body["errors"])


def test_jwks_wrong_kid_refresh_is_rate_limited(jwks_scenario) -> None:
    sc, server = jwks_scenario
    ok(get(sc, sc.token(sc.rar_read("target"))))
    hits = server.hits
    for _ in range(3):
        token = sc.token(sc.rar_read("target"), kid="rotated-" + uuid.uuid4().hex[:4])
        assert_agent_denied(get(sc, token), "no key with kid")
    assert server.hits - hits <= 1  # at most one refresh for unknown kids in 10 s


def test_hvac_raises_forbidden_with_the_reason(vab_server, static) -> None:
    token = static.token(static.rar_read("elsewhere"))
    client = hvac.Client(url=vab_server.url, token=token, timeout=30)
    with pytest.raises(Forbidden) as info:
        client.secrets.kv.v2.read_secret_version(
            path="target", mount_point=static.kv, raise_on_deleted_version=True
        )
    assert "RAR_NO_MATCH" in str(info.value) and "permission denied" in str(info.value)
