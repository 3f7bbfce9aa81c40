"""HMAC of values as Vault's hashstructure does it."""

from __future__ import annotations

import hashlib
import hmac

from vault_agent_backend.audit import Hasher, hash_structure
from vault_agent_backend.audit.hashing import elide_list_response


def test_hasher_is_hmac_sha256_of_the_salt() -> None:
    salt = "5c1a-salt"
    expected = hmac.new(salt.encode(), b"hvac-rox", hashlib.sha256).hexdigest()
    assert Hasher(salt)("hvac-rox") == f"hmac-sha256:{expected}"


def test_strings_are_hashed_keys_and_other_types_are_not() -> None:
    fn = Hasher("s")
    data = {
        "password": "p",
        "n": 5,
        "f": 1.5,
        "b": True,
        "none": None,
        "list": ["x", 1, {"deep": "y"}],
        "nest": {"k": "v"},
        "": "",
    }
    out = hash_structure(data, fn)
    assert out["password"] == fn("p")
    assert (out["n"], out["f"], out["b"], out["none"]) == (5, 1.5, True, None)
    assert out["list"] == [fn("x"), 1, {"deep": fn("y")}]
    assert out["nest"] == {"k": fn("v")}
    assert out[""] == fn("")  # empty strings are hashed too
    assert data["password"] == "p"  # the input is not changed


def test_non_hmac_keys_stay_clear_at_any_depth() -> None:
    fn = Hasher("s")
    data = {"keep": "a", "other": "b", "nest": {"keep": ["c", "d"], "x": "e"}}
    out = hash_structure(data, fn, ("keep",))
    assert out == {"keep": "a", "other": fn("b"), "nest": {"keep": ["c", "d"], "x": fn("e")}}


def test_log_raw_copies_without_hashing() -> None:
    data = {"a": "b", "t": ("x", b"y")}
    assert hash_structure(data, None) == {"a": "b", "t": ["x", "y"]}


def test_odd_values_become_hashed_strings() -> None:
    fn = Hasher("s")

    class Thing:
        def __str__(self) -> str:
            return "thing"

    assert hash_structure({"v": Thing()}, fn) == {"v": fn("thing")}


def test_elide_list_responses() -> None:
    assert elide_list_response({"keys": ["a", "b"], "key_info": {"a": {}, "b": {}}}) == {
        "keys": 2,
        "key_info": 2,
    }
    assert elide_list_response({"keys": "x"}) == {"keys": "x"}
