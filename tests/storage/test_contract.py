"""The storage contract, for memory, SQLite and PostgreSQL, bare and behind the barrier."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from tests.storage.conftest import StorageFactory, unsealed_barrier
from vault_agent_backend.storage.barrier import Barrier
from vault_agent_backend.storage.base import Storage


def test_get_put_delete(store: Storage) -> None:
    assert store.get("a/b") is None
    store.put("a/b", b"one")
    assert store.get("a/b") == b"one"
    store.put("a/b", b"two")
    assert store.get("a/b") == b"two"
    store.delete("a/b")
    assert store.get("a/b") is None
    store.delete("a/b")  # deleting a missing key is not an error
    store.delete("never/there")


def test_values_are_bytes_exactly(store: Storage) -> None:
    every_byte = bytes(range(256)) * 3
    store.put("bin", every_byte)
    store.put("empty", b"")
    store.put("big", b"x" * (1 << 20))
    assert store.get("bin") == every_byte
    assert store.get("empty") == b""
    assert store.get("big") == b"x" * (1 << 20)


def test_unicode_and_odd_keys(store: Storage) -> None:
    keys = ["ünï/cödé", "with space/x", "a%2Fb", "quote'\"/x", "emoji/\U0001f510", "tab\tkey"]
    for index, key in enumerate(keys):
        store.put(key, str(index).encode())
    for index, key in enumerate(keys):
        assert store.get(key) == str(index).encode()
    assert store.list("emoji/") == ["\U0001f510"]


def test_list_immediate_children(store: Storage) -> None:
    for key in ["a/b", "a/c/d", "a/c/e", "a/f/g/h", "ab", "a0", "b/x", "a/"]:
        store.put(key, b"1")
    assert store.list("a/") == ["", "b", "c/", "f/"]
    assert store.list("a/c/") == ["d", "e"]
    assert store.list("a/f/") == ["g/"]
    assert store.list("nothing/") == []
    root = store.list("")
    assert {"a/", "ab", "a0", "b/"} <= set(root)
    assert store.list("a") == ["/", "0", "b"]


def test_list_prefix_boundaries(store: Storage) -> None:
    """Range scans must not leak neighbours that sort right after the prefix."""
    store.put("p/x", b"1")
    store.put("p0", b"1")
    store.put("p/\U0010ffff", b"1")
    store.put("q", b"1")
    store.put("p.", b"1")
    assert store.list("p/") == ["x", "\U0010ffff"]
    store.put("z\U0010ffff/a", b"1")
    store.put("z\U0010ffff\U0010ffff", b"1")
    assert store.list("z\U0010ffff/") == ["a"]
    assert store.list("z\U0010ffff") == ["/", "\U0010ffff"]


def test_list_is_sorted(store: Storage) -> None:
    names = ["m", "b", "z/", "a", "k/"]
    for name in names:
        store.put("s/" + name + ("x" if name.endswith("/") else ""), b"1")
    assert store.list("s/") == sorted(names)


def test_apply_is_atomic_and_ordered(store: Storage) -> None:
    store.put("keep", b"old")
    store.apply([("n/1", b"a"), ("n/2", b"b"), ("keep", None), ("n/1", b"c")])
    assert store.get("n/1") == b"c"
    assert store.get("n/2") == b"b"
    assert store.get("keep") is None
    store.put("untouched", b"v")
    with pytest.raises(Exception):  # noqa: B017 - any error, as long as nothing is applied
        store.apply([("x/1", b"a"), ("untouched", None), ("x/2", object())])  # type: ignore[list-item]
    assert store.get("x/1") is None
    assert store.get("untouched") == b"v"
    store.apply([])
    store.apply_built(lambda: [("built/1", b"a"), ("n/2", None)])
    assert store.get("built/1") == b"a" and store.get("n/2") is None


def test_cas(store: Storage) -> None:
    assert store.cas("c", None, [("c", b"1"), ("c-side", b"s")])
    assert store.get("c-side") == b"s"
    assert not store.cas("c", None, [("c", b"2")])
    assert not store.cas("c", b"0", [("c", b"2")])
    assert store.cas("c", b"1", [("c", b"2")])
    assert store.get("c") == b"2"
    assert store.apply_if_absent("fresh", [("fresh", b"x")])
    assert not store.apply_if_absent("fresh", [("fresh", b"y")])
    assert store.get("fresh") == b"x"


def test_cas_counter_under_threads(store: Storage) -> None:
    """Concurrent read-modify-write through cas loses no increment."""
    store.put("counter", b"0")

    def bump(times: int) -> None:
        done = 0
        while done < times:
            current = store.get("counter")
            assert current is not None
            if store.cas("counter", current, [("counter", str(int(current) + 1).encode())]):
                done += 1

    threads = [threading.Thread(target=bump, args=(15,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.get("counter") == b"60"


def test_concurrent_writers_distinct_keys(store: Storage) -> None:
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for i in range(25):
                store.apply([(f"w/{worker}/{i}", f"{worker}:{i}".encode()), ("w/last", b"x")])
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for worker in range(4):
        assert len(store.list(f"w/{worker}/")) == 25
        assert store.get(f"w/{worker}/24") == f"{worker}:24".encode()


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
@pytest.mark.parametrize("encrypted", [False, True])
def test_second_handle_sees_writes(
    kind: str, encrypted: bool, physical_factory: Callable[[str], StorageFactory]
) -> None:
    """Two handles on one store (two processes or nodes) see each other's writes at once."""
    opener = physical_factory(kind)
    first, second = opener(), opener()
    if encrypted:
        from vault_agent_backend.storage.barrier import new_root_key

        root = new_root_key()
        first = unsealed_barrier(first, root)
        second_barrier = Barrier(second)
        second_barrier.unseal(root)
        second = second_barrier
    first.put("shared/k", b"v1")
    assert second.get("shared/k") == b"v1"
    second.apply([("shared/k", b"v2"), ("shared/j", b"x")])
    assert first.get("shared/k") == b"v2"
    assert first.list("shared/") == ["j", "k"]
    second.delete("shared/k")
    assert first.get("shared/k") is None
