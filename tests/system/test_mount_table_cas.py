"""Mount-table updates are compare-and-swaps on the stored table: two cores on one storage
(as two worker processes or nodes) never lose each other's enables, disables, remounts or
tunes, conflicts are checked against the stored table, and a lost race is retried."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from vault_agent_backend.core import Core, CoreOptions
from vault_agent_backend.core import core as core_module
from vault_agent_backend.core.mounts import MOUNT_TABLE_KEY, MountConfig, MountEntry
from vault_agent_backend.framework.errors import InvalidRequest
from vault_agent_backend.storage import MemoryStorage
from vault_agent_backend.storage.base import Op
from vault_agent_backend.storage.view import StorageView


class RacingStorage(MemoryStorage):
    """Runs ``before_cas`` (another process's write) just before the next compare-and-swaps."""

    def __init__(self) -> None:
        super().__init__()
        self.before_cas: list[Callable[[], None]] = []
        self.cas_calls = 0

    def cas(self, key: str, expected: bytes | None, ops: Sequence[Op]) -> bool:
        self.cas_calls += 1
        if self.before_cas:
            self.before_cas.pop(0)()
        return super().cas(key, expected, ops)


@pytest.fixture
def cores() -> tuple[Core, Core, RacingStorage]:
    storage = RacingStorage()
    first = Core(storage, CoreOptions(dev=True))
    first.setup()
    second = Core(storage, CoreOptions(dev=True))
    second.setup()
    return first, second, storage


def kv(path: str) -> MountEntry:
    return MountEntry(path=path, type="kv", table="mounts")


def stored_paths(core: Core, table: str = "mounts") -> set[str]:
    return {row["path"] for row in core._read_table(table)}


def test_enables_by_two_cores_are_both_kept(cores: tuple[Core, Core, RacingStorage]) -> None:
    first, second, _ = cores
    first.mount(kv("a/"))
    second.mount(kv("b/"))  # second has not reloaded: its cache lacks a/
    assert {"a/", "b/"} <= stored_paths(first)
    # each core's cache reflects the stored table after its own change
    assert second.mount_by_path("mounts", "a/") is not None


def test_a_lost_race_is_retried_on_the_newer_table(
    cores: tuple[Core, Core, RacingStorage],
) -> None:
    first, second, storage = cores
    storage.before_cas = [lambda: second.mount(kv("other/"))]
    first.mount(kv("mine/"))
    assert {"mine/", "other/"} <= stored_paths(first)
    assert first.mount_by_path("mounts", "other/") is not None


def test_a_conflict_is_checked_against_the_stored_table(
    cores: tuple[Core, Core, RacingStorage],
) -> None:
    first, second, storage = cores
    second.mount(kv("taken/"))
    with pytest.raises(InvalidRequest, match="path is already in use at taken/"):
        first.mount(kv("taken/"))
    # the same when the other core wins the race between the read and the write
    storage.before_cas = [lambda: second.mount(kv("raced/"))]
    with pytest.raises(InvalidRequest, match="path is already in use at raced/"):
        first.mount(kv("raced/"))
    rows = [r for r in first._read_table("mounts") if r["path"] == "raced/"]
    assert len(rows) == 1


def test_the_retries_are_bounded(
    cores: tuple[Core, Core, RacingStorage], monkeypatch: pytest.MonkeyPatch
) -> None:
    first, _, storage = cores
    monkeypatch.setattr(core_module, "TABLE_UPDATE_ATTEMPTS", 3)
    storage.before_cas = [
        lambda i=i: storage.put(MOUNT_TABLE_KEY, storage.get(MOUNT_TABLE_KEY) + b" " * (i + 1))
        for i in range(3)
    ]
    with pytest.raises(InvalidRequest, match="the mount table changed meanwhile; try again"):
        first.mount(kv("never/"))
    assert "never/" not in stored_paths(first)
    assert first.mount_by_path("mounts", "never/") is None


def test_disable_removes_data_only_with_the_entry(
    cores: tuple[Core, Core, RacingStorage],
) -> None:
    first, second, _ = cores
    first.mount(kv("gone/"))
    entry = first.mount_by_path("mounts", "gone/")
    assert entry is not None
    data = StorageView(first.storage, entry.storage_prefix)
    data.put_json("item", {"v": 1})
    second.refresh_if_stale()
    assert second.unmount("mounts", "gone/") is True
    assert data.get_json("item") is None
    assert first.unmount("mounts", "gone/") is False  # first's cache still had it
    assert first.mount_by_path("mounts", "gone/") is None

    # a mount disabled and enabled again at the same path by another core meanwhile: the
    # newer mount (another uuid) and its data stay
    first.mount(kv("again/"))
    second.refresh_if_stale()
    old = first.mount_by_path("mounts", "again/")
    assert old is not None

    def replace() -> None:
        second.unmount("mounts", "again/")
        second.mount(kv("again/"))
        fresh = second.mount_by_path("mounts", "again/")
        StorageView(second.storage, fresh.storage_prefix).put_json("item", {"v": 2})

    first.hooks.setdefault("unmount", []).append(lambda _entry: replace())
    assert first.unmount("mounts", "again/") is False
    first.hooks["unmount"].pop()
    kept = first.mount_by_path("mounts", "again/")
    assert kept is not None and kept.uuid != old.uuid
    assert StorageView(first.storage, kept.storage_prefix).get_json("item") == {"v": 2}


def test_remount_and_tune_keep_concurrent_changes(
    cores: tuple[Core, Core, RacingStorage],
) -> None:
    first, second, storage = cores
    first.mount(kv("src/"))
    storage.before_cas = [lambda: second.mount(kv("beside/"))]
    first.remount("mounts", "src/", "dst/")
    assert {"dst/", "beside/"} <= stored_paths(first) and "src/" not in stored_paths(first)

    storage.before_cas = [lambda: second.mount(kv("dst2/"))]
    first.mount(kv("src2/"))
    storage.before_cas = [lambda: second.mount(kv("late/"))]
    with pytest.raises(InvalidRequest, match="path already in use at late/"):
        first.remount("mounts", "src2/", "late/")

    entry = first.mount_by_path("mounts", "dst/")
    assert entry is not None

    def other_tune() -> None:
        second.refresh_if_stale()
        second.update_mount(entry, lambda fresh: setattr(fresh, "description", "by second"))

    storage.before_cas = [other_tune]
    first.update_mount(entry, lambda fresh: setattr(fresh.config, "max_lease_ttl", 7200))
    row = next(r for r in first._read_table("mounts") if r["path"] == "dst/")
    assert row["description"] == "by second" and row["config"]["max_lease_ttl"] == 7200
    tuned = first.mount_by_path("mounts", "dst/")
    assert tuned is not None and tuned.description == "by second"

    first.tune(tuned, MountConfig(default_lease_ttl=60), "d", None)
    row = next(r for r in second._read_table("mounts") if r["path"] == "dst/")
    assert row["config"]["default_lease_ttl"] == 60 and row["description"] == "d"

    second.unmount("mounts", "dst/")
    with pytest.raises(InvalidRequest, match="no mount entry found"):
        first.update_mount(tuned, lambda fresh: None)


def test_two_cores_set_up_one_storage_once() -> None:
    storage = MemoryStorage()
    first = Core(storage, CoreOptions(dev=True))
    second = Core(storage, CoreOptions(dev=True))
    first.setup()
    second.setup()
    assert first.mount_by_path("mounts", "sys/").uuid == second.mount_by_path("mounts", "sys/").uuid
    assert len(first._read_table("mounts")) == len({r["path"] for r in first._read_table("mounts")})
