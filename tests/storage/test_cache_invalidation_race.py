"""A cache fill that read storage *before* an invalidation must not survive it.

Node B's worker serves request R1 (reads policy or registration X, old value) while node A
changes X and bumps the shared generation; request R2 on B sees the new generation and
invalidates B's caches; then R1 stores what it read. Without a guard, the old value sits in
B's cache under the new generation, so B keeps enforcing it on every later request until the
next change anywhere. Here node A is the storage written directly, and the window between
R1's read and its cache fill is held open with an event.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from vault_agent_backend.builtin.agent_registry.service import agent_registry
from vault_agent_backend.builtin.agent_registry.store import PREFIX as REGISTRY_PREFIX
from vault_agent_backend.core.core import GENERATION_KEY
from vault_agent_backend.server.dev import build_dev_core


@pytest.fixture
def core() -> Iterator[Any]:
    core, _root = build_dev_core("root")
    try:
        yield core
    finally:
        core.storage.close()


def other_node_writes(core: Any, key: str, value: bytes) -> None:
    """What node A does: change a record, then bump the shared generation."""
    core.storage.put(key, value)
    core.storage.put(GENERATION_KEY, uuid.uuid4().hex.encode())


def race(core: Any, key: str, new_value: bytes, read: Callable[[], Any]) -> None:
    """Run ``read`` in a thread that pauses right after reading ``key`` from storage; meanwhile
    node A writes ``new_value`` and this node notices the new generation."""
    storage = core.storage
    original_get = storage.get
    read_done, resume = threading.Event(), threading.Event()
    reader = threading.current_thread()

    def get(k: str) -> bytes | None:
        value = original_get(k)
        if k == key and threading.current_thread() is not reader:
            read_done.set()
            assert resume.wait(10)
        return value

    storage.get = get
    try:
        thread = threading.Thread(target=read)
        thread.start()
        assert read_done.wait(10)
        other_node_writes(core, key, new_value)
        core.refresh_if_stale()  # request R2: new generation, caches invalidated
        resume.set()
        thread.join(10)
        assert not thread.is_alive()
    finally:
        storage.get = original_get
    core.refresh_if_stale()  # request R3: generation unchanged since R2


def policy_record(text: str) -> bytes:
    record = {"name": "racy", "policy": text, "version": 1, "modified": "", "hash": "x"}
    return json.dumps(record).encode()


def test_policy_read_before_an_invalidation_is_not_cached(core: Any) -> None:
    store = core.policy_store
    store.write("racy", 'path "old/*" { capabilities = ["read"] }')
    core.refresh_if_stale()
    race(
        core,
        "sys/policy/racy",
        policy_record('path "new/*" { capabilities = ["read"] }'),
        lambda: store.acl(["racy"]),
    )
    acl = store.acl(["racy"])
    assert acl.capabilities("new/x") == ["read"] and acl.capabilities("old/x") == ["deny"]


def test_registration_read_before_an_invalidation_is_not_cached(core: Any) -> None:
    store = agent_registry(core).store
    key = REGISTRY_PREFIX + "registration/reg-racy"
    core.storage.put(key, json.dumps({"id": "reg-racy", "status": "active"}).encode())
    core.refresh_if_stale()
    race(
        core,
        key,
        json.dumps({"id": "reg-racy", "status": "suspended"}).encode(),
        lambda: store.get("reg-racy"),
    )
    assert store.get("reg-racy")["status"] == "suspended"
