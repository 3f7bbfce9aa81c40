"""Two worker processes (``vab server -config``, ``workers = 2``, SQLite) changing the mount
tables at once: every acknowledged enable, disable, remount and tune is in the stored tables,
and every worker lists it (no update of ``core/mounts`` or ``core/auth`` is lost)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.config_server import VabConfigServer, race, sqlite_workers_server

PARALLEL = 20
ROUNDS = 3
LISTINGS = 6
"""Reads of each listing after a race: requests spread over both workers."""


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VabConfigServer]:
    with sqlite_workers_server(tmp_path_factory.mktemp("mount-table-workers")) as server:
        yield server


def send(node: VabConfigServer, method: str, path: str, body: Any = None) -> Callable[[], Any]:
    return lambda: node.request(method, path, body, node.root_token)


def listings(node: VabConfigServer, table: str) -> list[set[str]]:
    seen = []
    for _ in range(LISTINGS):
        status, body = node.request("GET", f"sys/{table}", token=node.root_token)
        assert status == 200, body
        seen.append(set(body["data"]))
    return seen


@pytest.mark.parametrize("round_no", range(ROUNDS))
def test_parallel_enables_and_disables_are_all_kept(node: VabConfigServer, round_no: int) -> None:
    secrets = [f"lost{round_no}-{i}/" for i in range(PARALLEL)]
    auths = [f"ar{round_no}-{i}/" for i in range(PARALLEL)]
    calls = [send(node, "POST", f"sys/mounts/{p[:-1]}", {"type": "kv"}) for p in secrets]
    calls += [send(node, "POST", f"sys/auth/{p[:-1]}", {"type": "userpass"}) for p in auths]
    answers = race(calls)
    assert [status for status, _ in answers] == [204] * len(calls), answers
    for seen in listings(node, "mounts"):
        assert set(secrets) <= seen, sorted(set(secrets) - seen)
    for seen in listings(node, "auth"):
        assert set(auths) <= seen, sorted(set(auths) - seen)

    # data in each mount, to see that a kept mount keeps it and a removed one loses it
    for p in secrets:
        status, body = node.request("PUT", f"{p}item", {"v": p}, node.root_token)
        assert status == 204, body

    calls = [send(node, "DELETE", f"sys/mounts/{p[:-1]}") for p in secrets]
    calls += [send(node, "DELETE", f"sys/auth/{p[:-1]}") for p in auths]
    answers = race(calls)
    assert [status for status, _ in answers] == [204] * len(calls), answers
    for seen in listings(node, "mounts"):
        assert not set(secrets) & seen, sorted(set(secrets) & seen)
    for seen in listings(node, "auth"):
        assert not set(auths) & seen, sorted(set(auths) & seen)


def test_parallel_enables_of_one_path_mount_it_once(node: VabConfigServer) -> None:
    answers = race([send(node, "POST", "sys/mounts/once", {"type": "kv"})] * PARALLEL)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [204] + [400] * (PARALLEL - 1), answers
    for status, body in answers:
        if status == 400:
            assert body["errors"] == ["path is already in use at once/"], body
    accessors = set()
    for _ in range(LISTINGS):
        status, body = node.request("GET", "sys/mounts", token=node.root_token)
        accessors.add(body["data"]["once/"]["accessor"])
    assert len(accessors) == 1


def test_parallel_remounts_and_tunes_are_all_kept(node: VabConfigServer) -> None:
    sources = [f"mv-{i}/" for i in range(PARALLEL)]
    for p in sources:
        status, body = node.request("POST", f"sys/mounts/{p[:-1]}", {"type": "kv"}, node.root_token)
        assert status == 204, body
        assert node.request("PUT", f"{p}item", {"v": p}, node.root_token)[0] == 204
    answers = race(
        [send(node, "POST", "sys/remount", {"from": p, "to": "moved-" + p}) for p in sources]
    )
    assert [status for status, _ in answers] == [200] * PARALLEL, answers
    moved = {"moved-" + p for p in sources}
    for seen in listings(node, "mounts"):
        assert moved <= seen and not set(sources) & seen, sorted(moved - seen)
    for p in moved:
        status, body = node.request("GET", f"{p}item", token=node.root_token)
        assert status == 200 and body["data"] == {"v": p[len("moved-") :]}, body

    # tunes of different settings of one mount, and of different mounts, at once
    target = "moved-mv-0/"
    tunes = [
        {"description": "tuned"},
        {"default_lease_ttl": "1h"},
        {"max_lease_ttl": "2h"},
        {"listing_visibility": "unauth"},
        {"audit_non_hmac_request_keys": ["a"]},
        {"audit_non_hmac_response_keys": ["b"]},
    ]
    calls = [send(node, "POST", f"sys/mounts/{target}tune", body) for body in tunes]
    calls += [
        send(node, "POST", f"sys/mounts/{p}tune", {"description": "d-" + p})
        for p in sorted(moved - {target})
    ]
    answers = race(calls)
    assert [status for status, _ in answers] == [204] * len(calls), answers
    for _ in range(LISTINGS):
        status, body = node.request("GET", "sys/mounts", token=node.root_token)
        entry = body["data"][target]
        assert entry["description"] == "tuned", entry
        assert entry["config"]["default_lease_ttl"] == 3600, entry
        assert entry["config"]["max_lease_ttl"] == 7200, entry
        assert entry["config"]["listing_visibility"] == "unauth", entry
        assert entry["config"]["audit_non_hmac_request_keys"] == ["a"], entry
        assert entry["config"]["audit_non_hmac_response_keys"] == ["b"], entry
        for p in moved - {target}:
            assert body["data"][p]["description"] == "d-" + p
