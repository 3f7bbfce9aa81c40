"""JWKS caching (SPEC §5): a token naming an unknown ``kid`` makes the cache fetch the JWKS
again, at most once per refresh window; a key the issuer starts publishing is accepted as
soon as the window allows a refresh.

The cache's clock is replaced by a manual one, so the window passes without sleeping.
"""

from __future__ import annotations

import pytest

from tests.agent.support import (
    Minter,
    Scenario,
    assert_agent_denied,
    jwks_server,
    make_key,
    ok,
)
from vault_agent_backend.builtin.oauth_resource_server import resource_server


class ManualClock:
    """A monotonic clock that moves only when told to."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.mark.parametrize("alg", ["ES256", "EdDSA"])
def test_new_key_is_accepted_once_the_refresh_window_allows(app, monkeypatch, alg) -> None:
    old, new = make_key(alg), make_key(alg)
    cache = resource_server(app.core).jwks
    clock = ManualClock()
    monkeypatch.setattr(cache, "_clock", clock)
    assert cache.min_refresh > 0
    with jwks_server([old]) as jwks:
        sc = Scenario(app.send, Minter(f"https://rotating-{alg.lower()}.example", old)).setup(
            profile={"jwks_uri": jwks.url, "audiences": ["vault"]}
        )
        sc.write_secret("target", {"v": 1})
        path = f"{sc.kv}/data/target"
        rar = sc.rar_read("target")
        assert ok(sc.send("GET", path, token=sc.token(rar)))["data"]["data"] == {"v": 1}
        fetched = jwks.hits
        assert fetched >= 1

        # The issuer starts publishing a new key and signs with it.
        jwks.keys.append(new)
        signed_new = sc.token(rar, key=new)
        # Within the window of the last fetch: no refresh, the kid stays unknown.
        clock.advance(cache.min_refresh / 2)
        assert_agent_denied(sc.send("GET", path, token=signed_new), f'no key with kid "{new.kid}"')
        assert jwks.hits == fetched

        # Once the window has passed, the unknown kid triggers one refresh: accepted.
        clock.advance(cache.min_refresh)
        assert ok(sc.send("GET", path, token=signed_new))["data"]["data"] == {"v": 1}
        assert jwks.hits == fetched + 1
        # Known kids (old and new) need no further fetch.
        ok(sc.send("GET", path, token=sc.token(rar, key=new)))
        ok(sc.send("GET", path, token=sc.token(rar)))
        assert jwks.hits == fetched + 1

        # A key that is still unknown right after that refresh is rate-limited again.
        later = make_key(alg)
        jwks.keys.append(later)
        assert_agent_denied(
            sc.send("GET", path, token=sc.token(rar, key=later)), f'no key with kid "{later.kid}"'
        )
        assert jwks.hits == fetched + 1
        clock.advance(cache.min_refresh)
        ok(sc.send("GET", path, token=sc.token(rar, key=later)))
        assert jwks.hits == fetched + 2
