"""The encrypting barrier: confidentiality, binding to the key, rollback detection, keyring."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.storage.conftest import PHYSICAL, StorageFactory, kind_params, unsealed_barrier
from vault_agent_backend.framework.errors import Sealed
from vault_agent_backend.storage import MemoryStorage
from vault_agent_backend.storage.barrier import (
    KEYRING_KEY,
    Barrier,
    BarrierKeyError,
    BarrierSealedError,
    IntegrityError,
    RollbackError,
    new_root_key,
)
from vault_agent_backend.storage.base import StorageError

SECRET = b"correct horse battery staple"


@pytest.fixture(params=kind_params(PHYSICAL))
def physical_opener(
    request: pytest.FixtureRequest, physical_factory: Callable[[str], StorageFactory]
) -> StorageFactory:
    return physical_factory(request.param)


def test_values_are_encrypted_at_rest(physical_opener: StorageFactory) -> None:
    physical = physical_opener()
    barrier = unsealed_barrier(physical)
    barrier.put("secret/data/x", SECRET)
    raw = physical.get("secret/data/x")
    assert raw is not None and SECRET not in raw
    assert barrier.get("secret/data/x") == SECRET
    # the same value twice gives different ciphertexts (random nonce)
    barrier.put("secret/data/y", SECRET)
    assert physical.get("secret/data/y")[-len(SECRET) :] != raw[-len(SECRET) :]


def test_record_moved_to_another_key_is_refused(physical_opener: StorageFactory) -> None:
    physical = physical_opener()
    barrier = unsealed_barrier(physical)
    barrier.put("sys/policy/admin", b"admin text")
    barrier.put("sys/policy/reader", b"reader text")
    physical.put("sys/policy/reader", physical.get("sys/policy/admin"))
    with pytest.raises(IntegrityError, match="failed authentication"):
        barrier.get("sys/policy/reader")


def test_tampered_record_is_refused(physical_opener: StorageFactory) -> None:
    physical = physical_opener()
    barrier = unsealed_barrier(physical)
    barrier.put("k", SECRET)
    raw = bytearray(physical.get("k"))
    for position in (3, len(raw) - 1, 20):  # term, tag, nonce
        tampered = bytearray(raw)
        tampered[position] ^= 0x01
        physical.put("k", bytes(tampered))
        with pytest.raises(IntegrityError):
            barrier.get("k")
    physical.put("k", b"\x01short")
    with pytest.raises(IntegrityError, match="malformed"):
        barrier.get("k")


def test_rollback_of_a_record_is_detected(physical_opener: StorageFactory) -> None:
    physical = physical_opener()
    barrier = unsealed_barrier(physical)
    barrier.rollback_window_ns = 0  # one process: no clock skew to allow for
    barrier.put("auth/token/x", b"v1")
    old = physical.get("auth/token/x")
    barrier.put("auth/token/x", b"v2")
    physical.put("auth/token/x", old)
    with pytest.raises(RollbackError):
        barrier.get("auth/token/x")


def test_resurrection_of_a_deleted_record_is_detected(physical_opener: StorageFactory) -> None:
    physical = physical_opener()
    barrier = unsealed_barrier(physical)
    barrier.rollback_window_ns = 0
    barrier.put("sys/token/id/abc", b"revoked soon")
    old = physical.get("sys/token/id/abc")
    barrier.delete("sys/token/id/abc")
    physical.put("sys/token/id/abc", old)
    with pytest.raises(RollbackError):
        barrier.get("sys/token/id/abc")


def test_other_process_sees_newer_writes_without_false_alarm(
    physical_opener: StorageFactory,
) -> None:
    root = new_root_key()
    first = unsealed_barrier(physical_opener(), root)
    second = Barrier(physical_opener())
    second.unseal(root)
    for round_ in range(5):
        first.put("shared", f"a{round_}".encode())
        assert second.get("shared") == f"a{round_}".encode()
        second.put("shared", f"b{round_}".encode())
        assert first.get("shared") == f"b{round_}".encode()


def test_wrong_root_key_cannot_unseal() -> None:
    physical = MemoryStorage()
    unsealed_barrier(physical)
    other = Barrier(physical)
    with pytest.raises(BarrierKeyError, match="message authentication failed"):
        other.unseal(new_root_key())
    assert other.sealed


def test_sealed_barrier_refuses_everything_with_503() -> None:
    physical = MemoryStorage()
    barrier = unsealed_barrier(physical)
    barrier.put("k", b"v")
    barrier.seal()
    for call in (
        lambda: barrier.get("k"),
        lambda: barrier.put("k", b"x"),
        lambda: barrier.list(""),
        lambda: barrier.apply([("k", None)]),
    ):
        with pytest.raises(BarrierSealedError) as info:
            call()
        assert isinstance(info.value, StorageError)
        assert isinstance(info.value, Sealed) and info.value.status == 503


def test_reserved_keys_are_not_reachable_through_the_barrier() -> None:
    physical = MemoryStorage()
    barrier = unsealed_barrier(physical)
    with pytest.raises(StorageError, match="reserved"):
        barrier.put(KEYRING_KEY, b"x")
    with pytest.raises(StorageError, match="reserved"):
        barrier.get("core/seal-config")
    assert barrier.list("core/") == []


def test_initialize_only_once() -> None:
    physical = MemoryStorage()
    barrier = Barrier(physical)
    assert barrier.initialize(new_root_key())
    assert not barrier.initialize(new_root_key())


def test_keyring_is_encrypted_under_the_root_key() -> None:
    physical = MemoryStorage()
    root = new_root_key()
    unsealed_barrier(physical, root)
    blob = physical.get(KEYRING_KEY)
    assert blob is not None and b"term" not in blob and b"key" not in blob


def test_rotation_keeps_old_records_readable(physical_opener: StorageFactory) -> None:
    root = new_root_key()
    physical = physical_opener()
    barrier = unsealed_barrier(physical, root)
    barrier.put("old", b"written under term 1")
    assert barrier.key_status().term == 1
    term = barrier.rotate()
    assert term.term == 2 and barrier.key_status().term == 2
    barrier.put("new", b"written under term 2")
    assert physical.get("new")[1:5] == (2).to_bytes(4, "big")
    assert physical.get("old")[1:5] == (1).to_bytes(4, "big")
    assert barrier.get("old") == b"written under term 1"
    # another process that loaded the keyring before the rotation learns the new term
    # from the first record it cannot place, without being told
    other = Barrier(physical_opener())
    other.unseal(root)
    barrier.rotate()
    barrier.put("newer", b"term 3")
    assert other.get("newer") == b"term 3"
    assert other.key_status().term == 3


def test_concurrent_rotations_never_lose_a_term() -> None:
    physical = MemoryStorage()
    root = new_root_key()
    first = unsealed_barrier(physical, root)
    second = Barrier(physical)
    second.unseal(root)
    first.rotate()
    second.rotate()  # based on a stale keyring: must re-read, not overwrite term 2
    first.put("a", b"1")
    assert second.get("a") == b"1"
    assert second.key_status().term == 3
