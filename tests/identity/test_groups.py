"""Groups and group aliases: membership, nesting without cycles, types, lookups."""

from __future__ import annotations

from tests.support.inprocess import Vab


def group(vab: Vab, **body) -> dict:
    reply = vab.post("identity/group", body)
    assert reply.status == 200, reply
    return reply.data


def entity(vab: Vab, name: str) -> str:
    return vab.post("identity/entity", {"name": name}).data["id"]


def test_create_read_and_membership(vab: Vab) -> None:
    eid = entity(vab, "bob")
    g1 = group(
        vab,
        name="g1",
        policies=["GP1", "gp1"],
        member_entity_ids=[eid, eid],
        metadata={"team": "x"},
    )
    data = vab.get(f"identity/group/id/{g1['id']}").data
    assert data["policies"] == ["gp1"] and data["member_entity_ids"] == [eid]
    assert data["type"] == "internal" and data["alias"] == {}
    assert data["member_group_ids"] is None and data["parent_group_ids"] is None
    assert data["modify_index"] == 1 and data["metadata"] == {"team": "x"}
    g2 = group(vab, name="g2", policies="gp2", member_group_ids=[g1["id"]])
    assert vab.get(f"identity/group/id/{g2['id']}").data["member_group_ids"] == [g1["id"]]
    child = vab.get("identity/group/name/G1").data
    assert child["parent_group_ids"] == [g2["id"]] and child["modify_index"] == 2
    entity_view = vab.get(f"identity/entity/id/{eid}").data
    assert entity_view["direct_group_ids"] == [g1["id"]]
    assert entity_view["inherited_group_ids"] == [g2["id"]]
    assert entity_view["group_ids"] == [g1["id"], g2["id"]]


def test_register_with_name_updates(vab: Vab) -> None:
    created = group(vab, name="g")
    assert vab.post("identity/group", {"name": "g", "policies": ["p"]}).status == 204
    assert vab.get(f"identity/group/id/{created['id']}").data["policies"] == ["p"]
    assert vab.post("identity/group", {"id": created["id"], "policies": ["q"]}).status == 204
    assert vab.post("identity/group/id/nope", {"name": "zz"}).errors == ["invalid group ID"]
    generated = group(vab, policies=["x"])
    assert generated["name"].startswith("group_")


def test_cycles_and_bad_members(vab: Vab) -> None:
    g1 = group(vab, name="g1")
    g2 = group(vab, name="g2", member_group_ids=[g1["id"]])
    g3 = group(vab, name="g3", member_group_ids=[g2["id"]])
    reply = vab.post("identity/group", {"name": "g1", "member_group_ids": [g3["id"]]})
    assert (reply.status, reply.errors) == (
        400,
        [f'cyclic relationship detected for member group ID "{g3["id"]}"'],
    )
    reply = vab.post("identity/group", {"name": "g1", "member_group_ids": [g1["id"]]})
    assert reply.status == 400
    assert reply.errors == [f'member group ID "{g1["id"]}" is same as the ID of the group']
    reply = vab.post("identity/group", {"name": "g4", "member_group_ids": ["nope"]})
    assert (reply.status, reply.errors) == (400, ['invalid member group ID "nope"'])
    reply = vab.post("identity/group", {"name": "g4", "member_entity_ids": ["nope"]})
    assert (reply.status, reply.errors) == (400, ['invalid entity ID "nope"'])
    assert vab.get("identity/group/name/g4").status == 404


def test_member_group_removal_updates_parents(vab: Vab) -> None:
    child = group(vab, name="child")
    parent = group(vab, name="parent", member_group_ids=[child["id"]])
    assert vab.post(f"identity/group/id/{parent['id']}", {"member_group_ids": []}).status == 204
    data = vab.get(f"identity/group/id/{child['id']}").data
    assert data["parent_group_ids"] == [] and data["modify_index"] == 3
    assert vab.get(f"identity/group/id/{parent['id']}").data["member_group_ids"] is None


def test_types_and_policy_rules(vab: Vab) -> None:
    eid = entity(vab, "e")
    group(vab, name="int")
    assert vab.post("identity/group", {"name": "x", "type": "weird"}).errors == [
        'invalid group type "weird"'
    ]
    assert vab.post("identity/group", {"name": "int", "type": "external"}).errors == [
        "group type cannot be changed"
    ]
    assert vab.post("identity/group", {"name": "int", "policies": ["root"]}).errors == [
        "policies cannot contain root"
    ]
    reply = vab.post(
        "identity/group", {"name": "ext", "type": "external", "member_entity_ids": [eid]}
    )
    assert reply.errors == ["member entities can't be set manually for external groups"]
    group(vab, name="ext", type="external")
    reply = vab.post("identity/group", {"name": "ext", "member_group_ids": []})
    assert reply.errors == ["member groups can't be set for external groups"]


def test_delete_and_lists(vab: Vab) -> None:
    assert vab.list("identity/group/id").status == 404
    a = group(vab, name="a")
    b = group(vab, name="b", member_group_ids=[a["id"]])
    listed = vab.list("identity/group/id").data
    assert listed["keys"] == sorted([a["id"], b["id"]])
    assert listed["key_info"][a["id"]] == {
        "name": "a",
        "num_member_entities": 0,
        "num_parent_groups": 1,
    }
    names = vab.list("identity/group/name").data
    assert sorted(names["keys"]) == ["a", "b"] and "key_info" not in names
    assert vab.delete("identity/group/name/b").status == 204
    assert vab.delete(f"identity/group/id/{a['id']}").status == 204
    assert vab.delete("identity/group/id/nope").status == 204
    assert vab.list("identity/group/id").status == 404


def test_group_aliases(vab: Vab, accessor: str) -> None:
    ext = group(vab, name="ext", type="external")
    internal = group(vab, name="int")
    created = vab.post(
        "identity/group-alias",
        {"name": "devs", "mount_accessor": accessor, "canonical_id": ext["id"]},
    ).data
    assert created["canonical_id"] == ext["id"]
    view = vab.get(f"identity/group/id/{ext['id']}").data["alias"]
    assert view["name"] == "devs" and view["mount_type"] == "userpass"
    read = vab.get(f"identity/group-alias/id/{created['id']}").data
    assert read["canonical_id"] == ext["id"] and read["custom_metadata"] is None
    post = lambda body: vab.post("identity/group-alias", body)  # noqa: E731
    assert post(
        {"name": "x", "mount_accessor": accessor, "canonical_id": internal["id"]}
    ).errors == ["alias can't be set on an internal group"]
    assert post({"name": "devs", "mount_accessor": accessor}).errors == [
        "combination of mount and group alias name is already in use"
    ]
    assert post({"mount_accessor": accessor}).errors == ["missing alias name"]
    assert post({"name": "x"}).errors == ["missing mount_accessor"]
    assert post({"name": "x", "mount_accessor": "bogus"}).errors == [
        'invalid mount accessor "bogus"'
    ]
    assert post({"name": "x", "mount_accessor": accessor, "canonical_id": "nope"}).errors == [
        "invalid group ID given in 'canonical_id'"
    ]
    # Without canonical_id an external group is created for the alias.
    fresh = post({"name": "ops", "mount_accessor": accessor}).data
    made = vab.get(f"identity/group/id/{fresh['canonical_id']}").data
    assert made["type"] == "external" and made["name"].startswith("group_")
    listed = vab.list("identity/group-alias/id").data
    assert listed["keys"] == sorted([created["id"], fresh["id"]])
    found = vab.post(
        "identity/lookup/group", {"alias_name": "DEVS", "alias_mount_accessor": accessor}
    )
    assert found.data["id"] == ext["id"]
    # Rename through the id path, then delete.
    path = f"identity/group-alias/id/{created['id']}"
    assert vab.post(path, {"name": "devs2", "mount_accessor": accessor}).status == 200
    assert vab.post(path, {"name": "devs2", "mount_accessor": accessor}).status == 204
    assert vab.delete(path).status == 204
    assert vab.get(path).status == 404
    assert vab.get(f"identity/group/id/{ext['id']}").data["alias"] == {}
