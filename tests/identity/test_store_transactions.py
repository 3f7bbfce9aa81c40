"""The identity store's transactions: every write is a compare-and-swap on the store's
version, so a write another process committed meanwhile makes the attempt run again on the
new state (two stores on one storage stand for two worker processes)."""

from __future__ import annotations

import pytest

from vault_agent_backend.builtin.identity import store as store_module
from vault_agent_backend.builtin.identity.models import new_entity
from vault_agent_backend.builtin.identity.store import ConflictError, IdentityStore
from vault_agent_backend.framework.errors import InvalidRequest
from vault_agent_backend.storage.memory import MemoryStorage
from vault_agent_backend.storage.view import StorageView


def two_processes() -> tuple[IdentityStore, IdentityStore]:
    storage = MemoryStorage()
    return (
        IdentityStore(None, StorageView(storage, "identity/")),
        IdentityStore(None, StorageView(storage, "identity/")),
    )


def create(store: IdentityStore, name: str) -> dict:
    entity = new_entity(name)
    for attempt in store.transaction():
        with attempt:
            store.save_entities([(entity, None)])
    return entity


def test_a_name_claimed_meanwhile_by_another_process_reruns_the_attempt() -> None:
    a, b = two_processes()
    runs = 0
    for attempt in a.transaction():
        with attempt:
            runs += 1
            existing = a.entity_by_name("dup")
            if runs == 1:
                create(b, "dup")  # the other worker wins the race
            if existing is None:
                a.save_entities([(new_entity("dup"), None)])
    assert runs == 2
    assert len(a.entity_ids()) == 1


def test_an_update_is_not_lost_and_reads_in_a_transaction_are_fresh() -> None:
    a, b = two_processes()
    entity = create(a, "e")
    assert not a.entity(entity["id"])["policies"]  # now cached in a
    for attempt in b.transaction():
        with attempt:
            updated = b.entity(entity["id"], clone=True)
            updated["policies"] = ["from-b"]
            b.save_entities([(updated, b.entity(entity["id"]))])
    # a's cache still holds the old record (no generation bump reached it) ...
    assert not a.entity(entity["id"])["policies"]
    for attempt in a.transaction():
        with attempt:
            # ... but a transaction reads storage
            updated = a.entity(entity["id"], clone=True)
            assert updated["policies"] == ["from-b"]
            updated["metadata"] = {"k": "v"}
            a.save_entities([(updated, a.entity(entity["id"]))])
    a.invalidate()
    final = a.entity(entity["id"])
    assert final["policies"] == ["from-b"] and final["metadata"] == {"k": "v"}


def test_an_error_computed_from_a_moved_state_is_recomputed() -> None:
    a, b = two_processes()
    runs = 0
    for attempt in a.transaction():
        with attempt:
            runs += 1
            if runs == 1:
                create(b, "other")
                raise InvalidRequest("stale answer")
    assert runs == 2


def test_an_error_from_the_current_state_is_answered() -> None:
    a, _ = two_processes()
    runs = 0
    with pytest.raises(InvalidRequest):
        for attempt in a.transaction():
            with attempt:
                runs += 1
                raise InvalidRequest("name is already in use")
    assert runs == 1
    assert a.lock.acquire(blocking=False)  # released
    a.lock.release()


def test_a_nested_transaction_joins_the_outer_one() -> None:
    a, _ = two_processes()
    for attempt in a.transaction():
        with attempt:
            for inner in a.transaction():
                with inner:
                    assert a.current() is attempt
                    a.save_entities([(new_entity("n"), None)])
    assert a.current() is None
    assert len(a.entity_ids()) == 1


def test_losing_every_attempt_is_a_409(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store_module, "_RETRIES", 3)
    a, b = two_processes()
    runs = 0
    with pytest.raises(ConflictError) as err:
        for attempt in a.transaction():
            with attempt:
                runs += 1
                create(b, f"b{runs}")
                a.save_entities([(new_entity(f"a{runs}"), None)])
    assert runs == 3 and err.value.status == 409
    assert sorted(e["name"] for e in a.entities()) == ["b1", "b2", "b3"]
