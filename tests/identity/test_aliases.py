"""Entity aliases: creation, uniqueness, updates, moves, deletion, issuer-bound aliases."""

from __future__ import annotations

from tests.support.inprocess import Vab


def entity(vab: Vab, name: str) -> str:
    return vab.post("identity/entity", {"name": name}).data["id"]


def alias(vab: Vab, **body) -> dict:
    reply = vab.post("identity/entity-alias", body)
    assert reply.status == 200, reply
    return reply.data


def test_create_read_and_entity_view(vab: Vab, accessor: str) -> None:
    eid = entity(vab, "bob")
    created = alias(
        vab, name="bob", mount_accessor=accessor, canonical_id=eid, custom_metadata={"k": "v"}
    )
    assert created["canonical_id"] == eid
    data = vab.get(f"identity/entity-alias/id/{created['id']}").data
    assert data["name"] == "bob" and data["mount_accessor"] == accessor
    assert data["custom_metadata"] == {"k": "v"} and data["metadata"] is None
    assert data["mount_type"] == "userpass" and data["mount_path"] == "auth/userpass/"
    assert data["namespace_id"] == "root" and data["local"] is False
    assert data["issuer"] == "" and data["external_id"] == ""
    (in_entity,) = vab.get(f"identity/entity/id/{eid}").data["aliases"]
    assert in_entity["id"] == created["id"] and "issuer" not in in_entity


def test_create_without_entity_makes_one(vab: Vab, accessor: str) -> None:
    created = alias(vab, name="newguy", mount_accessor=accessor)
    data = vab.get(f"identity/entity/id/{created['canonical_id']}").data
    assert data["name"].startswith("entity_")
    assert data["aliases"][0]["custom_metadata"] == {}


def test_factors_are_unique_and_case_insensitive(vab: Vab, accessor: str) -> None:
    eid = entity(vab, "e")
    first = alias(vab, name="MixedCase", mount_accessor=accessor, canonical_id=eid)
    # Same factors (any case) update the existing alias instead of creating one.
    again = alias(vab, name="mixedcase", mount_accessor=accessor)
    assert again == {"id": first["id"], "canonical_id": eid}
    assert vab.get(f"identity/entity-alias/id/{first['id']}").data["name"] == "mixedcase"
    reply = vab.post(
        "identity/entity-alias",
        {"name": "mixedcase", "mount_accessor": accessor, "custom_metadata": {}},
    )
    assert reply.status == 204
    found = vab.post(
        "identity/lookup/entity", {"alias_name": "MIXEDCASE", "alias_mount_accessor": accessor}
    )
    assert found.data["id"] == eid


def test_one_alias_per_entity_and_mount(vab: Vab, accessor: str) -> None:
    eid = entity(vab, "e")
    alias(vab, name="a", mount_accessor=accessor, canonical_id=eid)
    reply = vab.post(
        "identity/entity-alias", {"name": "b", "mount_accessor": accessor, "canonical_id": eid}
    )
    assert (reply.status, reply.errors) == (
        400,
        ["Alias already exists for requested entity and mount accessor"],
    )


def test_create_errors(vab: Vab, accessor: str) -> None:
    post = lambda body: vab.post("identity/entity-alias", body)  # noqa: E731
    must = ["'id' or 'mount_accessor' and 'name' must be provided"]
    assert post({"name": "x"}).errors == must
    assert post({"mount_accessor": accessor}).errors == must
    assert post({"name": "x", "mount_accessor": "bogus"}).errors == [
        'invalid mount accessor "bogus"'
    ]
    assert post({"name": "x", "mount_accessor": accessor, "canonical_id": "nope"}).errors == [
        "invalid canonical ID"
    ]
    assert post({"id": "nope"}).errors == ["invalid alias ID provided"]
    reply = post({"name": "x", "mount_accessor": accessor, "custom_metadata": {"k": ""}})
    assert reply.status == 400 and "custom_metadata validation failed" in reply.errors[0]


def test_update_by_id_and_move(vab: Vab, accessor: str) -> None:
    other = vab.enable_userpass("up2")
    bob, guy = entity(vab, "bob"), entity(vab, "guy")
    moving = alias(vab, name="bob", mount_accessor=accessor, canonical_id=bob)
    alias(vab, name="guy", mount_accessor=accessor, canonical_id=guy)
    path = f"identity/entity-alias/id/{moving['id']}"
    reply = vab.post(path, {"canonical_id": guy})
    assert reply.errors == [
        "Alias cannot be updated as the given entity already has an alias for this mount "
    ]
    # Change the mount, then the entity.
    assert vab.post(path, {"mount_accessor": other}).data == {
        "id": moving["id"],
        "canonical_id": bob,
    }
    data = vab.get(path).data
    assert data["mount_accessor"] == other and data["custom_metadata"] is None
    assert vab.post(path, {"canonical_id": guy}).data == {"id": moving["id"], "canonical_id": guy}
    assert vab.get(f"identity/entity/id/{bob}").data["aliases"] == []
    assert len(vab.get(f"identity/entity/id/{guy}").data["aliases"]) == 2
    assert vab.post(path, {"canonical_id": "nope"}).errors == [
        "given 'canonical_id' is not associated with an entity"
    ]
    assert vab.post(path, {"name": "guy", "mount_accessor": accessor}).errors == [
        "Alias cannot be updated as the entity already has an alias for the given 'mount_accessor' "
    ]
    assert vab.post(path, {}).status == 204


def test_update_to_taken_factors(vab: Vab, accessor: str) -> None:
    other = vab.enable_userpass("up2")
    first = alias(vab, name="one", mount_accessor=accessor)
    alias(vab, name="two", mount_accessor=other)
    reply = vab.post(
        f"identity/entity-alias/id/{first['id']}", {"name": "two", "mount_accessor": other}
    )
    assert reply.errors == ["alias with combination of mount accessor and name already exists"]


def test_delete_and_list(vab: Vab, accessor: str) -> None:
    assert vab.list("identity/entity-alias/id").status == 404
    one = alias(vab, name="one", mount_accessor=accessor)
    two = alias(vab, name="two", mount_accessor=accessor)
    listed = vab.list("identity/entity-alias/id").data
    assert listed["keys"] == sorted([one["id"], two["id"]])
    info = listed["key_info"][one["id"]]
    assert info == {
        "name": "one",
        "canonical_id": one["canonical_id"],
        "mount_accessor": accessor,
        "custom_metadata": {},
        "metadata": None,
        "local": False,
        "mount_type": "userpass",
        "mount_path": "auth/userpass/",
    }
    assert vab.delete(f"identity/entity-alias/id/{one['id']}").status == 204
    assert vab.delete(f"identity/entity-alias/id/{one['id']}").status == 204
    assert vab.get(f"identity/entity-alias/id/{one['id']}").status == 404
    assert vab.get(f"identity/entity/id/{one['canonical_id']}").data["aliases"] == []
    assert vab.list("identity/entity-alias/id").data["keys"] == [two["id"]]


# ----- issuer + external_id (Vault 2.x, extension over OpenBao) ---------------------------------


def test_issuer_alias_needs_no_mount_accessor(vab: Vab) -> None:
    eid = entity(vab, "human")
    created = alias(
        vab, name="h", canonical_id=eid, issuer="https://idp.example", external_id="sub-1"
    )
    data = vab.get(f"identity/entity-alias/id/{created['id']}").data
    assert data["issuer"] == "https://idp.example" and data["external_id"] == "sub-1"
    assert data["mount_accessor"] == "" and "mount_type" not in data
    found = vab.post(
        "identity/lookup/entity",
        {"alias_issuer": "https://idp.example", "alias_external_id": "sub-1"},
    )
    assert found.data["id"] == eid
    service = vab.core.hooks["identity"]
    assert service.entity_for_external("https://idp.example", "sub-1") == eid
    assert service.entity_for_external("https://idp.example", "sub-2") is None


def test_issuer_and_external_id_unique_together(vab: Vab, accessor: str) -> None:
    one, two = entity(vab, "one"), entity(vab, "two")
    first = alias(vab, canonical_id=one, issuer="iss", external_id="x")
    # Same pair again: the existing alias (no new one; moving it needs the id path).
    again = vab.post(
        "identity/entity-alias", {"canonical_id": one, "issuer": "iss", "external_id": "x"}
    )
    assert again.status == 204
    moved = vab.post(
        "identity/entity-alias", {"canonical_id": two, "issuer": "iss", "external_id": "x"}
    )
    assert moved.data == {"id": first["id"], "canonical_id": two}
    # Another issuer or another subject is another alias.
    alias(vab, canonical_id=one, issuer="iss", external_id="y")
    alias(vab, canonical_id=one, issuer="iss2", external_id="x")
    # With a mount accessor too, the pair is still unique.
    reply = vab.post(
        "identity/entity-alias",
        {"name": "n", "mount_accessor": accessor, "issuer": "iss", "external_id": "x"},
    )
    assert reply.errors == ["alias with combination of issuer and external_id already exists"]


def test_issuer_alias_rules(vab: Vab) -> None:
    eid = entity(vab, "e")
    reply = vab.post("identity/entity-alias", {"canonical_id": eid, "issuer": "iss"})
    assert reply.errors == ["'external_id' must be provided with 'issuer'"]
    created = alias(vab, canonical_id=eid, issuer="iss", external_id="x")
    assert vab.get(f"identity/entity-alias/id/{created['id']}").data["name"] == "x"
    reply = vab.post(
        "identity/entity-alias", {"canonical_id": eid, "issuer": "iss", "external_id": "other"}
    )
    assert reply.errors == ["Alias already exists for requested entity and issuer"]
    path = f"identity/entity-alias/id/{created['id']}"
    assert vab.post(path, {"issuer": "changed"}).errors == ["'issuer' cannot be changed"]
    assert vab.post(path, {"external_id": "changed"}).errors == ["'external_id' cannot be changed"]
    assert vab.post(path, {"custom_metadata": {"team": "a"}}).status == 200
    assert vab.get(path).data["custom_metadata"] == {"team": "a"}


def test_ensure_external_alias_hook(vab: Vab) -> None:
    service = vab.core.hooks["identity"]
    one, two = entity(vab, "one"), entity(vab, "two")
    alias_id = service.ensure_external_alias(one, "https://vab/v1/auth/agent", one)
    assert service.ensure_external_alias(one, "https://vab/v1/auth/agent", one) == alias_id
    assert service.entity_for_external("https://vab/v1/auth/agent", one) == one
    try:
        service.ensure_external_alias(two, "https://vab/v1/auth/agent", one)
    except Exception as exc:
        assert getattr(exc, "status", None) == 400
    else:
        raise AssertionError("binding a taken pair must fail")
