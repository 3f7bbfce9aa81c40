"""Entities: create/update/read/delete by id and name, lists, merge, batch-delete."""

from __future__ import annotations

import re

from tests.support.inprocess import Vab

RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def create(vab: Vab, **body) -> dict:
    reply = vab.post("identity/entity", body)
    assert reply.status == 200, reply
    return reply.data


def test_create_returns_id_name_and_null_aliases(vab: Vab) -> None:
    data = create(vab, name="alice")
    assert set(data) == {"id", "name", "aliases"}
    assert data["name"] == "alice" and data["aliases"] is None


def test_read_shape_and_normalised_policies(vab: Vab) -> None:
    entity = create(vab, name="Alice", policies=["P1", "p1", " p2 ", ""], metadata={"a": "b"})
    data = vab.get(f"identity/entity/id/{entity['id']}").data
    assert data["policies"] == ["p1", "p2"]
    assert data["metadata"] == {"a": "b"}
    assert data["name"] == "Alice"
    assert data["aliases"] == [] and data["group_ids"] == []
    assert data["direct_group_ids"] == [] and data["inherited_group_ids"] == []
    assert data["merged_entity_ids"] is None and data["disabled"] is False
    assert data["namespace_id"] == "root"
    assert RFC3339NANO.match(data["creation_time"])
    assert data["creation_time"] == data["last_update_time"]


def test_names_are_case_insensitive(vab: Vab) -> None:
    entity = create(vab, name="Alice")
    assert vab.get("identity/entity/name/ALICE").data["id"] == entity["id"]
    # An update by (differently cased) name renames and answers 204.
    assert vab.post("identity/entity", {"name": "alice", "disabled": True}).status == 204
    data = vab.get("identity/entity/name/alice").data
    assert data["name"] == "alice" and data["disabled"] is True
    assert data["last_update_time"] >= data["creation_time"]


def test_generated_name(vab: Vab) -> None:
    data = create(vab)
    assert re.match(r"^entity_[0-9a-f]{8}$", data["name"])


def test_update_by_id_and_name_paths(vab: Vab) -> None:
    entity = create(vab, name="bob", policies="a,b", metadata="k=v")
    assert vab.post(f"identity/entity/id/{entity['id']}", {"policies": ["c"]}).status == 204
    assert vab.get("identity/entity/name/bob").data["policies"] == ["c"]
    # The name in the URL wins over the body's.
    assert vab.post("identity/entity/name/bob", {"name": "other"}).status == 204
    assert vab.get("identity/entity/name/other").status == 404
    # Posting to an unknown name creates the entity.
    created = vab.post("identity/entity/name/carol", {"policies": ["x"]})
    assert created.status == 200 and created.data["name"] == "carol"


def test_update_errors(vab: Vab) -> None:
    create(vab, name="alice")
    bob = create(vab, name="bob")
    assert vab.post("identity/entity", {"id": "nope"}).errors == ["entity not found from id"]
    reply = vab.post(f"identity/entity/id/{bob['id']}", {"name": "alice"})
    assert (reply.status, reply.errors) == (400, ["entity name is already in use"])
    reply = vab.post("identity/entity", {"name": "x", "policies": ["root"]})
    assert (reply.status, reply.errors) == (400, ["policies cannot contain root"])
    assert vab.get("identity/entity/name/x").status == 404
    reply = vab.post("identity/entity", {"name": "x", "disabled": "maybe"})
    assert reply.status == 400 and "disabled" in reply.errors[0]


def test_metadata_rules_are_400_not_500(vab: Vab) -> None:
    reply = vab.post("identity/entity", {"name": "x", "metadata": {"vault-a": "b"}})
    assert reply.status == 400
    assert reply.errors == [
        'invalid entity metadata: failed to load metadata pair ("vault-a", "b"): '
        'key prefix "vault-" is reserved for internal use'
    ]
    reply = vab.post("identity/entity", {"name": "x", "metadata": {"bad key": "v"}})
    assert reply.status == 400 and "key contains invalid characters" in reply.errors[0]
    reply = vab.post("identity/entity", {"name": "x", "metadata": {"k": "v" * 513}})
    assert reply.status == 400 and "value is too long" in reply.errors[0]
    many = {f"k{i}": "v" for i in range(65)}
    reply = vab.post("identity/entity", {"name": "x", "metadata": many})
    assert reply.status == 400 and "more than 64" in reply.errors[0]


def test_read_and_delete_unknown(vab: Vab) -> None:
    assert vab.get("identity/entity/id/nope").status == 404
    assert vab.get("identity/entity/name/nope").status == 404
    assert vab.delete("identity/entity/id/nope").status == 204
    assert vab.delete("identity/entity/name/nope").status == 204


def test_lists(vab: Vab, accessor: str) -> None:
    assert vab.list("identity/entity/id").status == 404
    first = create(vab, name="zed")
    second = create(vab, name="amy")
    vab.post(
        "identity/entity-alias",
        {"name": "amy", "mount_accessor": accessor, "canonical_id": second["id"]},
    )
    ids = vab.list("identity/entity/id").data
    assert ids["keys"] == sorted([first["id"], second["id"]])
    info = ids["key_info"][second["id"]]
    assert info["name"] == "amy"
    (alias,) = info["aliases"]
    assert alias["mount_type"] == "userpass" and alias["mount_path"] == "auth/userpass/"
    assert "aliases" not in ids["key_info"][first["id"]]
    names = vab.list("identity/entity/name").data
    by_id = {first["id"]: "zed", second["id"]: "amy"}
    assert names["keys"] == [by_id[i] for i in sorted(by_id)]
    assert "key_info" not in names  # as Vault: key_info is keyed by id, so it is dropped
    assert vab.get("identity/entity/id?list=true").data["keys"] == ids["keys"]


def test_delete_removes_aliases_and_group_membership(vab: Vab, accessor: str) -> None:
    entity = create(vab, name="gone")
    alias = vab.post(
        "identity/entity-alias",
        {"name": "gone", "mount_accessor": accessor, "canonical_id": entity["id"]},
    ).data
    group = vab.post("identity/group", {"name": "g", "member_entity_ids": [entity["id"]]}).data
    assert vab.delete(f"identity/entity/id/{entity['id']}").status == 204
    assert vab.get(f"identity/entity-alias/id/{alias['id']}").status == 404
    data = vab.get(f"identity/group/id/{group['id']}").data
    assert data["member_entity_ids"] == []
    assert data["modify_index"] == 2
    # The alias factors are free again.
    again = vab.post("identity/entity-alias", {"name": "gone", "mount_accessor": accessor})
    assert again.status == 200


def test_batch_delete(vab: Vab) -> None:
    one, two, three = (create(vab, name=n) for n in ("one", "two", "three"))
    assert vab.post("identity/entity/batch-delete", {}).errors == ["missing entity ids to delete"]
    reply = vab.post("identity/entity/batch-delete", {"entity_ids": [one["id"], two["id"], "x"]})
    assert reply.status == 204
    assert vab.list("identity/entity/id").data["keys"] == [three["id"]]


def test_merge(vab: Vab, accessor: str) -> None:
    other = vab.enable_userpass("other")
    to = create(vab, name="to", policies=["a"])
    src = create(vab, name="src", policies=["b"])
    alias = vab.post(
        "identity/entity-alias",
        {"name": "s", "mount_accessor": accessor, "canonical_id": src["id"]},
    ).data
    group = vab.post("identity/group", {"name": "g", "member_entity_ids": [src["id"]]}).data
    vab.post(
        "identity/entity-alias", {"name": "t", "mount_accessor": other, "canonical_id": to["id"]}
    )
    reply = vab.post(
        "identity/entity/merge", {"to_entity_id": to["id"], "from_entity_ids": [src["id"]]}
    )
    assert reply.status == 204, reply
    assert vab.get(f"identity/entity/id/{src['id']}").status == 404
    data = vab.get(f"identity/entity/id/{to['id']}").data
    assert data["merged_entity_ids"] == [src["id"]]
    assert data["policies"] == ["a"]  # policies are not merged
    moved = next(a for a in data["aliases"] if a["id"] == alias["id"])
    assert moved["canonical_id"] == to["id"]
    assert moved["merged_from_canonical_ids"] == [src["id"]]
    assert data["direct_group_ids"] == [group["id"]]
    assert vab.get(f"identity/group/id/{group['id']}").data["member_entity_ids"] == [to["id"]]


def test_merge_errors_and_conflicts(vab: Vab, accessor: str) -> None:
    one = create(vab, name="m1")
    two = create(vab, name="m2")
    a1 = vab.post(
        "identity/entity-alias",
        {"name": "a1", "mount_accessor": accessor, "canonical_id": one["id"]},
    ).data
    a2 = vab.post(
        "identity/entity-alias",
        {"name": "a2", "mount_accessor": accessor, "canonical_id": two["id"]},
    ).data
    post = lambda body: vab.post("identity/entity/merge", body)  # noqa: E731
    assert post({}).errors == ["missing entity id to merge to"]
    assert post({"to_entity_id": "x"}).errors == ["missing entity ids to merge from"]
    assert post({"to_entity_id": "x", "from_entity_ids": ["y"]}).errors == [
        "entity id to merge to is invalid"
    ]
    assert post({"to_entity_id": one["id"], "from_entity_ids": ["y"]}).errors == [
        "entity id to merge from is invalid"
    ]
    assert post({"to_entity_id": one["id"], "from_entity_ids": [one["id"]]}).errors == [
        "to_entity_id should not be present in from_entity_ids"
    ]
    clash = post({"to_entity_id": one["id"], "from_entity_ids": [two["id"]]})
    assert clash.status == 400
    assert clash.errors[0].startswith("2 errors occurred:\n\t* toEntity and at least one")
    assert [d["alias"] for d in clash.body["data"]] == ["a1", "a2"]
    bad_keep = post(
        {
            "to_entity_id": one["id"],
            "from_entity_ids": [two["id"]],
            "conflicting_alias_ids_to_keep": ["nope"],
        }
    )
    assert bad_keep.errors == [
        "conflicting mount accessors in following alias IDs and neither were present in "
        f"conflicting_alias_ids_to_keep: {a2['id']}, {a1['id']}"
    ]
    keep = post(
        {
            "to_entity_id": one["id"],
            "from_entity_ids": [two["id"]],
            "conflicting_alias_ids_to_keep": [a2["id"]],
        }
    )
    assert keep.status == 204
    aliases = vab.get(f"identity/entity/id/{one['id']}").data["aliases"]
    assert [a["id"] for a in aliases] == [a2["id"]]
    assert vab.get(f"identity/entity-alias/id/{a1['id']}").status == 404


def test_merge_needs_sudo_path_is_root_protected(vab: Vab) -> None:
    backend = vab.core.route("identity/entity/merge")[1]
    assert backend.special.is_root("entity/merge")
