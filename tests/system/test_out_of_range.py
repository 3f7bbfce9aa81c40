"""Numbers a Go server could not hold are a 400 that names the problem, never a 500."""

from __future__ import annotations

import pytest

from tests.system.conftest import Sys


@pytest.mark.parametrize(
    "raw",
    [
        '{"default_lease_ttl": 1e400}',
        '{"max_lease_ttl": -1e400}',
        '{"description": 1e999}',
    ],
)
def test_a_number_beyond_a_float_is_refused_by_the_parser(sysv: Sys, raw: str) -> None:
    sysv.post("sys/mounts/big", {"type": "kv"})
    reply = sysv.call("POST", "sys/mounts/big/tune", raw=raw)
    assert reply.status == 400, reply.text
    assert reply.errors[0].startswith("failed to parse JSON input: cannot unmarshal number")


@pytest.mark.parametrize(
    "field, value",
    [
        ("ttl", 10**30),
        ("ttl", "9999999999999999999h"),
        ("explicit_max_ttl", 1e300),
        ("period", str(2**64)),
        ("num_uses", 2**64),
        ("num_uses", str(2**70)),
    ],
)
def test_token_fields_out_of_range(sysv: Sys, field: str, value: object) -> None:
    reply = sysv.post("auth/token/create", {field: value})
    assert reply.status == 400, reply.text
    message = reply.errors[0]
    assert field in message or "out of range" in message or "invalid duration" in message


def test_mount_tune_ttl_out_of_range(sysv: Sys) -> None:
    sysv.post("sys/mounts/huge", {"type": "kv"})
    reply = sysv.post("sys/mounts/huge/tune", {"default_lease_ttl": 10**20})
    assert reply.status == 400, reply.text
    # A duration that fits is still accepted.
    assert sysv.post("sys/mounts/huge/tune", {"default_lease_ttl": 3600}).status == 204
