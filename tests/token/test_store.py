"""The token store's storage logic: ids, accessors, trees, use counts, expiry, batch, tidy."""

from __future__ import annotations

import time

import pytest

from vault_agent_backend.builtin.token.entry import TokenEntry, format_time
from vault_agent_backend.core import Core, CoreOptions
from vault_agent_backend.core.ids import sha256_hex
from vault_agent_backend.framework.errors import InvalidRequest, PermissionDenied
from vault_agent_backend.storage import MemoryStorage


@pytest.fixture
def core() -> Core:
    core = Core(MemoryStorage(), CoreOptions(dev=True))
    core.setup()
    return core


def _new(core: Core, *, parent: str = "", ttl: int = 3600, **kw) -> TokenEntry:
    now = time.time()
    entry = TokenEntry(
        id=kw.pop("id", ""),
        accessor="",
        policies=kw.pop("policies", ["default"]),
        parent=parent,
        ttl=ttl,
        expire_at=now + ttl if ttl else 0.0,
        **kw,
    )
    return core.token_store.create(entry)


def _expire(core: Core, entry: TokenEntry) -> None:
    entry.expire_at = time.time() - 1
    core.token_store.save(entry)


def test_service_token_shape_and_storage(core: Core) -> None:
    entry = _new(core)
    assert entry.id.startswith("hvs.") and len(entry.id) == 28
    assert len(entry.accessor) == 24
    raw_keys = core.storage.list("sys/token/id/")
    # Keys are salted HMACs (the salt behind the barrier), not a plain hash of the token.
    assert core.token_store.hash_token(entry.id) in raw_keys
    assert sha256_hex(entry.id) not in raw_keys
    assert all(entry.id not in key for key in core.storage.list("sys/token/accessor/"))
    assert core.token_store.lookup(entry.id) == entry
    assert core.token_store.lookup_accessor(entry.accessor) == entry
    assert entry.accessor in core.token_store.accessors()


def test_custom_ids(core: Core) -> None:
    store = core.token_store
    entry = _new(core, id="my-token")
    assert store.lookup("my-token") is not None
    for bad, message in [
        ("my-token", "duplicate ID"),
        ("hvs.abc", "'hvs.' prefix"),
        ("s.abc", "'s.' prefix"),
        ("a.b", "'.' in the value"),
    ]:
        with pytest.raises(InvalidRequest, match=message):
            _new(core, id=bad)
    assert entry.accessor


def test_dev_root_token(core: Core) -> None:
    root = core.token_store.create_root("root")
    assert root.policies == ["root"] and root.path == "auth/token/create"
    assert core.token_store.create_root("root").accessor == root.accessor
    data = core.token_store.lookup("root").lookup_data()
    assert data["expire_time"] is None and data["ttl"] == 0 and data["renewable"] is False
    generated = core.token_store.create_root()
    assert generated.path == "auth/token/root" and generated.display_name == "root"


def test_revoke_tree_leaves_first(core: Core) -> None:
    store = core.token_store
    revoked: list[str] = []
    core.hooks.setdefault("token_revoked", []).append(lambda e: revoked.append(e.id))
    parent = _new(core)
    child = _new(core, parent=parent.id)
    grandchild = _new(core, parent=child.id)
    sibling = _new(core, parent=parent.id)
    other = _new(core)
    store.revoke(parent)
    assert revoked.index(grandchild.id) < revoked.index(child.id) < revoked.index(parent.id)
    assert set(revoked) == {parent.id, child.id, grandchild.id, sibling.id}
    for gone in (parent, child, grandchild, sibling):
        assert store.lookup(gone.id) is None
        assert not store.accessor_exists(gone.accessor)
    assert store.lookup(other.id) is not None
    assert core.storage.list("sys/token/parent/") == []


def test_revoke_orphan_detaches_children(core: Core) -> None:
    store = core.token_store
    parent = _new(core)
    child = _new(core, parent=parent.id)
    grandchild = _new(core, parent=child.id)
    store.revoke(parent, orphan_children=True)
    assert store.lookup(parent.id) is None
    fresh_child = store.lookup(child.id)
    assert fresh_child is not None and fresh_child.orphan
    assert store.lookup(grandchild.id).parent == child.id
    store.revoke(fresh_child)
    assert store.lookup(grandchild.id) is None


def test_expired_token_is_revoked_on_lookup(core: Core) -> None:
    store = core.token_store
    entry = _new(core)
    child = _new(core, parent=entry.id)
    _expire(core, entry)
    assert store.lookup(entry.id) is None
    assert store.lookup(child.id) is None
    assert not store.accessor_exists(entry.accessor)


def test_expired_ancestor_invalidates_descendants(core: Core) -> None:
    store = core.token_store
    parent = _new(core)
    child = _new(core, parent=parent.id)
    grandchild = _new(core, parent=child.id)
    _expire(core, parent)
    assert store.lookup(grandchild.id) is None
    assert store.lookup(child.id) is None


def test_use_counts_down_then_pending_revocation(core: Core) -> None:
    store = core.token_store
    entry = _new(core, num_uses=2)
    first = store.use(entry)
    assert first is not None and first.num_uses == 1
    last = store.use(first)
    assert last is not None and last.num_uses == -1
    assert store.lookup(entry.id, usable_only=True) is None
    assert store.lookup(entry.id).num_uses == -1
    assert store.use(last) is None
    assert store.revoke_by_id(entry.id)
    assert store.lookup(entry.id) is None
    unlimited = _new(core)
    assert store.use(unlimited) is unlimited


def test_renew_extends_and_caps(core: Core) -> None:
    store = core.token_store
    entry = _new(core, ttl=3600, explicit_max_ttl=7200)
    result = store.renew(entry, 3 * 3600, period=0, explicit_max_ttl=7200)
    assert result.ttl in (7199, 7200) and result.warnings
    fresh = store.lookup(entry.id)
    assert fresh.lease_ttl == result.ttl and fresh.last_renewal_time
    assert fresh.lookup_data()["last_renewal_time"] == int(fresh.last_renewal_time)
    fresh.renewable = False
    with pytest.raises(InvalidRequest, match="lease is not renewable"):
        store.renew(fresh, 0, period=0, explicit_max_ttl=0)


def test_batch_tokens_are_sealed_not_stored(core: Core) -> None:
    store = core.token_store
    parent = _new(core)
    before = sorted(core.storage.list("sys/token/id/"))
    batch = store.create(
        TokenEntry(
            id="",
            accessor="",
            policies=["default"],
            parent=parent.id,
            ttl=600,
            type="batch",
            meta={"k": "v"},
            creation_time=float(int(time.time())),
        )
    )
    assert batch.id.startswith("hvb.") and batch.accessor == ""
    assert sorted(core.storage.list("sys/token/id/")) == before
    found = store.lookup(batch.id)
    assert found is not None
    assert (found.policies, found.parent, found.meta, found.ttl) == (
        ["default"],
        parent.id,
        {"k": "v"},
        600,
    )
    assert found.lookup_data()["renewable"] is False
    tampered = batch.id[:-3] + ("AAA" if not batch.id.endswith("AAA") else "BBB")
    assert store.lookup(tampered) is None
    assert store.lookup("hvb.not-base64!!") is None
    store.revoke(parent)
    assert store.lookup(batch.id) is None


def test_batch_key_shared_through_storage(core: Core) -> None:
    batch = core.token_store.create(
        TokenEntry(id="", accessor="", policies=["default"], ttl=60, type="batch")
    )
    other = Core(core.storage, CoreOptions(dev=True))
    other.setup()
    assert other.token_store.lookup(batch.id) is not None


def test_tidy_repairs_dangling_entries(core: Core) -> None:
    store = core.token_store
    parent = _new(core)
    child = _new(core, parent=parent.id)
    # A parent entry lost without its index (e.g. an interrupted revocation).
    store.view.delete("id/" + store.hash_token(parent.id))
    # An accessor pointing at nothing, and an expired token.
    store.view.put("accessor/dangling", sha256_hex("hvs.nothing").encode())
    expired = _new(core)
    _expire(core, expired)
    stats = store.tidy()
    assert stats["orphaned"] == 1 and stats["expired"] == 1
    assert store.lookup(child.id).orphan
    assert not store.accessor_exists("dangling")
    assert not store.accessor_exists(parent.accessor)
    assert store.lookup(expired.id) is None


def test_lookup_data_shape(core: Core) -> None:
    entry = _new(core, ttl=60, meta={"a": "b"}, role="r", period=60)
    data = entry.lookup_data()
    assert set(data) == {
        "accessor", "creation_time", "creation_ttl", "display_name", "entity_id",
        "expire_time", "explicit_max_ttl", "id", "issue_time", "meta", "num_uses",
        "orphan", "path", "period", "policies", "renewable", "role", "ttl", "type",
    }  # fmt: skip
    assert data["id"] == entry.id and data["ttl"] in (59, 60)
    assert entry.lookup_data(show_id=False)["id"] == ""


def test_format_time() -> None:
    assert format_time(0) == "1970-01-01T00:00:00Z"
    assert format_time(1.5) == "1970-01-01T00:00:01.5Z"
    assert format_time(1.0000004) == "1970-01-01T00:00:01Z"


def test_a_child_created_while_its_parent_is_revoked_does_not_survive(core: Core) -> None:
    """The window between listing a parent's children and deleting the parent: a child
    written then must not outlive its parent (it would be a live, non-orphan token)."""
    store = core.token_store
    parent = _new(core)
    grandparent_child = _new(core, parent=parent.id)
    late: list[Exception] = []
    listed = store.children

    def children_then_a_late_child(token_id: str) -> list[TokenEntry]:
        found = listed(token_id)
        if token_id == parent.id and not late:
            try:  # another request creates a child right after the listing
                _new(core, parent=parent.id)
            except Exception as exc:
                late.append(exc)
        return found

    store.children = children_then_a_late_child  # type: ignore[method-assign]
    try:
        store.revoke(parent)
    finally:
        store.children = listed  # type: ignore[method-assign]
    assert late and isinstance(late[0], PermissionDenied)
    assert store.lookup(parent.id) is None and store.lookup(grandparent_child.id) is None
    assert store.accessors() == [], "a token survived the revocation of its parent"


def test_a_token_marked_revoking_is_dead_with_its_subtree_and_tidy_finishes_it(
    core: Core,
) -> None:
    """A crash between marking and deleting leaves marked tokens: they and their
    descendants are refused, and tidy completes the revocation."""
    store = core.token_store
    parent = _new(core)
    child = _new(core, parent=parent.id)
    parent.revoking = True
    store.save(parent)
    assert store.lookup(parent.id) is None
    assert store.lookup(child.id) is None
    with pytest.raises(PermissionDenied):
        _new(core, parent=parent.id)
    store.tidy()
    assert store.accessors() == []
