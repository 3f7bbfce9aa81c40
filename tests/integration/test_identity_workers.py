"""Identity writes under ``vab server -config`` with two worker processes (SQLite): parallel
requests, each on its own connection (spread over both workers), keep names and aliases
unique and lose no acknowledged write, as one Vault does (answers checked against OpenBao:
a second create by name updates, 204; a second alias for a mount on one entity is a 400)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.config_server import VabConfigServer, race, sqlite_workers_server

ROUNDS = 4
FANOUT = 20


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VabConfigServer]:
    with sqlite_workers_server(tmp_path_factory.mktemp("identity-workers")) as started:
        yield started


@pytest.fixture(scope="module")
def accessor(server: VabConfigServer) -> str:
    root = server.root_token
    assert server.request("POST", "sys/auth/up", {"type": "userpass"}, root)[0] == 204
    code, body = server.request("GET", "sys/auth", token=root)
    assert code == 200, body
    return body["data"]["up/"]["accessor"]


def parallel(call: Callable[[int], tuple[int, Any]], n: int = FANOUT) -> list[tuple[int, Any]]:
    """``n`` concurrent calls (``call(i)``), each making its own HTTP connection."""
    return race([lambda i=i: call(i) for i in range(n)])


def codes(results: list[tuple[int, Any]]) -> list[int]:
    return sorted(code for code, _ in results)


def listed(server: VabConfigServer, path: str) -> list[str]:
    code, body = server.request("LIST", path, token=server.root_token)
    if code == 404:
        return []
    assert code == 200, body
    return body["data"]["keys"]


def test_parallel_entity_creates_by_name_make_one_entity(server: VabConfigServer) -> None:
    root = server.root_token
    for rnd in range(ROUNDS):
        name = f"dup{rnd}"
        results = parallel(
            lambda i, name=name: server.request(
                "PUT", "identity/entity", {"name": name, "metadata": {"n": str(i)}}, root
            )
        )
        assert codes(results) == [200] + [204] * (FANOUT - 1), results
        names = listed(server, "identity/entity/name")
        assert names.count(name) == 1, names
        created = next(body for code, body in results if code == 200)
        code, body = server.request("GET", f"identity/entity/name/{name}", token=root)
        assert code == 200 and body["data"]["id"] == created["data"]["id"], body


def test_parallel_group_creates_by_name_make_one_group(server: VabConfigServer) -> None:
    root = server.root_token
    for rnd in range(ROUNDS):
        name = f"grp{rnd}"
        results = parallel(
            lambda i, name=name: server.request("PUT", "identity/group", {"name": name}, root)
        )
        assert codes(results) == [200] + [204] * (FANOUT - 1), results
        names = listed(server, "identity/group/name")
        assert names.count(name) == 1, names


def test_one_alias_per_mount_on_an_entity(server: VabConfigServer, accessor: str) -> None:
    root = server.root_token
    for rnd in range(ROUNDS):
        code, body = server.request("PUT", "identity/entity", {"name": f"owner{rnd}"}, root)
        assert code == 200, body
        entity_id = body["data"]["id"]
        results = parallel(
            lambda i, rnd=rnd, entity_id=entity_id: server.request(
                "PUT",
                "identity/entity-alias",
                {"name": f"al{rnd}-{i}", "mount_accessor": accessor, "canonical_id": entity_id},
                root,
            ),
            n=10,
        )
        assert codes(results) == [200] + [400] * 9, results
        for code, body in results:
            if code == 400:
                assert body["errors"] == [
                    "Alias already exists for requested entity and mount accessor"
                ], body
        won = next(body for code, body in results if code == 200)
        code, body = server.request("GET", f"identity/entity/id/{entity_id}", token=root)
        assert code == 200, body
        assert [a["id"] for a in body["data"]["aliases"]] == [won["data"]["id"]], body


def test_alias_factors_stay_unique(server: VabConfigServer, accessor: str) -> None:
    """The same (mount accessor, name) from parallel creates without an entity: one alias,
    one new entity; the others update it (204)."""
    root = server.root_token
    for rnd in range(ROUNDS):
        before = len(listed(server, "identity/entity/id"))
        name = f"shared{rnd}"
        results = parallel(
            lambda i, name=name: server.request(
                "PUT", "identity/entity-alias", {"name": name, "mount_accessor": accessor}, root
            ),
            n=10,
        )
        assert codes(results) == [200] + [204] * 9, results
        aliases = []
        for alias_id in listed(server, "identity/entity-alias/id"):
            code, body = server.request("GET", f"identity/entity-alias/id/{alias_id}", token=root)
            assert code == 200, body
            if body["data"]["name"] == name:
                aliases.append(body["data"])
        assert len(aliases) == 1, aliases
        assert len(listed(server, "identity/entity/id")) == before + 1


def test_issuer_external_ids_stay_unique(server: VabConfigServer) -> None:
    root = server.root_token
    for rnd in range(ROUNDS):
        entity_ids = []
        for i in range(6):
            code, body = server.request("PUT", "identity/entity", {"name": f"ext{rnd}-{i}"}, root)
            assert code == 200, body
            entity_ids.append(body["data"]["id"])
        results = parallel(
            lambda i, rnd=rnd, ids=entity_ids: server.request(
                "PUT",
                "identity/entity-alias",
                {
                    "issuer": "https://issuer.example",
                    "external_id": f"sub-{rnd}",
                    "canonical_id": ids[i],
                },
                root,
            ),
            n=len(entity_ids),
        )
        owners = []
        for entity_id in entity_ids:
            code, body = server.request("GET", f"identity/entity/id/{entity_id}", token=root)
            owners.extend(a["id"] for a in body["data"]["aliases"] or [])
        assert len(owners) == 1, (owners, results)
        acknowledged = {body["data"]["id"] for code, body in results if code == 200}
        assert acknowledged <= set(owners), (acknowledged, owners)


def test_parallel_group_aliases_on_one_mount_and_name(
    server: VabConfigServer, accessor: str
) -> None:
    root = server.root_token
    for rnd in range(ROUNDS):
        group_ids = []
        for i in range(6):
            code, body = server.request(
                "PUT", "identity/group", {"name": f"gx{rnd}-{i}", "type": "external"}, root
            )
            assert code == 200, body
            group_ids.append(body["data"]["id"])
        results = parallel(
            lambda i, rnd=rnd, ids=group_ids: server.request(
                "PUT",
                "identity/group-alias",
                {"name": f"ga{rnd}", "mount_accessor": accessor, "canonical_id": ids[i]},
                root,
            ),
            n=len(group_ids),
        )
        assert codes(results) == [200] + [400] * 5, results
        holders = []
        for group_id in group_ids:
            code, body = server.request("GET", f"identity/group/id/{group_id}", token=root)
            if body["data"].get("alias"):
                holders.append(body["data"]["alias"]["id"])
        won = next(body for code, body in results if code == 200)
        assert holders == [won["data"]["id"]], (holders, results)


def test_parallel_merges_into_one_entity_keep_every_merge(server: VabConfigServer) -> None:
    root = server.root_token
    for rnd in range(ROUNDS):
        code, body = server.request("PUT", "identity/entity", {"name": f"into{rnd}"}, root)
        assert code == 200, body
        to_id = body["data"]["id"]
        from_ids = []
        for i in range(8):
            code, body = server.request("PUT", "identity/entity", {"name": f"from{rnd}-{i}"}, root)
            assert code == 200, body
            from_ids.append(body["data"]["id"])
        results = parallel(
            lambda i, ids=from_ids, to_id=to_id: server.request(
                "PUT",
                "identity/entity/merge",
                {"to_entity_id": to_id, "from_entity_ids": [ids[i]]},
                root,
            ),
            n=len(from_ids),
        )
        assert codes(results) == [204] * len(from_ids), results
        _, body = server.request("GET", f"identity/entity/id/{to_id}", token=root)
        assert sorted(body["data"]["merged_entity_ids"]) == sorted(from_ids), body
        remaining = set(listed(server, "identity/entity/id"))
        assert not remaining & set(from_ids)
