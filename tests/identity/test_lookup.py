"""``identity/lookup/entity`` and ``identity/lookup/group``."""

from __future__ import annotations

import pytest

from tests.support.inprocess import Vab


@pytest.fixture
def setup(vab: Vab, accessor: str) -> dict:
    eid = vab.post("identity/entity", {"name": "bob"}).data["id"]
    alias = vab.post(
        "identity/entity-alias", {"name": "bob", "mount_accessor": accessor, "canonical_id": eid}
    ).data
    gid = vab.post("identity/group", {"name": "g", "member_entity_ids": [eid]}).data["id"]
    return {"entity": eid, "alias": alias["id"], "group": gid, "accessor": accessor}


@pytest.mark.parametrize(
    "query",
    [
        {"id": "{entity}"},
        {"name": "BOB"},
        {"alias_id": "{alias}"},
        {"alias_name": "bob", "alias_mount_accessor": "{accessor}"},
    ],
)
def test_lookup_entity(vab: Vab, setup: dict, query: dict) -> None:
    body = {k: v.format(**setup) for k, v in query.items()}
    reply = vab.post("identity/lookup/entity", body)
    assert reply.status == 200 and reply.data["id"] == setup["entity"]
    assert reply.data["direct_group_ids"] == [setup["group"]]


def test_lookup_errors_and_misses(vab: Vab, setup: dict) -> None:
    post = lambda body: vab.post("identity/lookup/entity", body)  # noqa: E731
    assert post({}).errors == ["query parameter not supplied"]
    assert post({"name": "bob", "id": "x"}).errors == [
        "query parameter conflict; please supply distinct set of query parameters"
    ]
    assert post({"alias_name": "bob"}).errors == [
        "both 'alias_name' and 'alias_mount_accessor' needs to be set"
    ]
    assert post({"name": "nope"}).status == 204
    assert post({"name": ""}).status == 204
    assert vab.get("identity/lookup/entity?name=bob").status == 405


def test_lookup_group(vab: Vab, setup: dict) -> None:
    assert vab.post("identity/lookup/group", {"name": "G"}).data["id"] == setup["group"]
    assert vab.post("identity/lookup/group", {"id": setup["group"]}).data["name"] == "g"
    assert vab.post("identity/lookup/group", {"name": "nope"}).status == 204
    assert vab.post("identity/lookup/group", {}).errors == ["query parameter not supplied"]
