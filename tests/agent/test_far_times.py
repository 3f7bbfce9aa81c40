"""A trusted issuer may sign any ``exp``: one past year 9999 still answers
``auth/token/lookup-self`` (it was a 500: the time could not be formatted)."""

from __future__ import annotations

import pytest

from tests.agent.support import Minter, Scenario, make_key, ok, static_profile


@pytest.mark.parametrize("exp", [253402300800, 10**15, 2**62])
def test_lookup_self_with_an_exp_past_year_9999(app, exp: int) -> None:
    key = make_key("ES256")
    sc = Scenario(app.send, Minter("https://far.example", key)).setup(profile=static_profile(key))
    sc.write_secret("t", {"v": 1})
    token = sc.token(sc.rar_read("t"), exp=exp)
    ok(app.send("GET", f"{sc.kv}/data/t", token=token))
    data = ok(app.send("GET", "auth/token/lookup-self", token=token))["data"]
    assert data["expire_time"] == "9999-12-31T23:59:59Z"
    assert data["issue_time"].startswith("20") and data["ttl"] > 0
