"""Revoked token ids (written by the authorization server) are refused on the next request."""

from __future__ import annotations

import time
import uuid

from tests.agent.support import Minter, Scenario, assert_agent_denied, make_key, ok, static_profile
from vault_agent_backend.builtin.oauth_resource_server.revocation import (
    is_revoked,
    purge_expired,
    record_chained,
    revoke,
)


def test_revoked_jti_is_refused_on_the_next_request(app) -> None:
    key = make_key("ES256")
    sc = Scenario(app.send, Minter("https://revoke.example", key)).setup(
        profile=static_profile(key)
    )
    sc.write_secret("t", {"v": 1})
    jti = str(uuid.uuid4())
    token = sc.token(sc.rar_read("t"), jti=jti)
    other = sc.token(sc.rar_read("t"))
    ok(app.send("GET", f"{sc.kv}/data/t", token=token))
    revoke(app.core.storage, "HTTPS://Revoke.example/", jti, int(time.time()) + 300)
    assert_agent_denied(app.send("GET", f"{sc.kv}/data/t", token=token), "token has been revoked")
    ok(app.send("GET", f"{sc.kv}/data/t", token=other))


def test_purge_keeps_live_entries(app) -> None:
    storage = app.core.storage
    revoke(storage, "https://a.example", "old", int(time.time()) - 10)
    revoke(storage, "https://a.example", "live", int(time.time()) + 600)
    assert purge_expired(storage) == 1
    assert not is_revoked(storage, "https://a.example", "old")
    assert is_revoked(storage, "https://a.example", "live")


def test_purge_forgets_expired_chain_links_and_keeps_live_ones(app) -> None:
    storage = app.core.storage
    now = int(time.time())
    record_chained(storage, "https://a.example", "p", "gone", now - 10)
    record_chained(storage, "https://a.example", "p", "kid", now + 600)
    assert purge_expired(storage) == 1
    revoke(storage, "https://a.example", "p", now + 600)
    assert is_revoked(storage, "https://a.example", "kid")
    assert not is_revoked(storage, "https://a.example", "gone")
