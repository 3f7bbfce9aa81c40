"""Shamir initialisation and unsealing, and the seal state shared by worker processes."""

from __future__ import annotations

import multiprocessing
import os

import pytest

from vault_agent_backend.core import Core
from vault_agent_backend.framework.errors import InvalidRequest
from vault_agent_backend.storage import MemoryStorage
from vault_agent_backend.storage.barrier import Barrier
from vault_agent_backend.storage.seal import (
    SealConfig,
    SealManager,
    combine_shares,
    decode_key_share,
    split_root_key,
)
from vault_agent_backend.storage.seal_state import SharedSealState


def new_sealed_core(physical: MemoryStorage | None = None, shared=None) -> Core:
    barrier = Barrier(physical or MemoryStorage())
    core = Core(barrier)
    SealManager(barrier, shared).attach(core)
    return core


@pytest.mark.parametrize(
    ("shares", "threshold", "message"),
    [
        (0, 0, "shares must be at least one"),
        (3, 0, "threshold must be at least one"),
        (3, 1, "threshold must be greater than one for multiple shares"),
        (3, 5, "threshold cannot be larger than shares"),
        (256, 3, "shares must be less than 256"),
    ],
)
def test_invalid_seal_configurations(shares: int, threshold: int, message: str) -> None:
    with pytest.raises(InvalidRequest, match=message):
        SealConfig(shares, threshold).validate()


def test_split_and_combine_any_threshold_subset() -> None:
    secret = os.urandom(32)
    parts = split_root_key(secret, 5, 3)
    assert len(parts) == 5 and all(len(p) == 33 for p in parts)
    assert combine_shares([parts[0], parts[2], parts[4]]) == secret
    assert combine_shares([parts[3], parts[1], parts[0]]) == secret
    assert combine_shares([parts[0], parts[1]]) != secret
    assert split_root_key(secret, 1, 1) == [secret]


def test_decode_key_share() -> None:
    raw = os.urandom(33)
    import base64

    assert decode_key_share(raw.hex()) == raw
    assert decode_key_share(base64.b64encode(raw).decode()) == raw
    with pytest.raises(InvalidRequest, match="valid hex or base64"):
        decode_key_share("not a key!")
    with pytest.raises(InvalidRequest, match="shorter than minimum 16 bytes"):
        decode_key_share("AAAA")
    with pytest.raises(InvalidRequest, match="longer than maximum 33 bytes"):
        decode_key_share(os.urandom(40).hex())


def test_init_unseal_progress_reset_and_seal() -> None:
    core = new_sealed_core()
    seal = core.seal
    assert core.sealed and not core.initialized
    assert seal.status() == (0, 0, 0)
    with pytest.raises(InvalidRequest, match="not initialized"):
        seal.submit(core, os.urandom(33), False)
    result = seal.initialize(SealConfig(5, 3))
    with pytest.raises(InvalidRequest, match="already initialized"):
        seal.initialize(SealConfig(5, 3))
    seal.sync(core)
    assert core.initialized and core.sealed
    keys = result.shares
    seal.submit(core, keys[0], False)
    seal.submit(core, keys[0], False)  # the same share twice counts once
    assert seal.status() == (3, 5, 1) and seal.nonce()
    seal.submit(core, None, True)
    assert seal.status() == (3, 5, 0) and seal.nonce() == ""
    with pytest.raises(InvalidRequest, match="must be specified"):
        seal.submit(core, None, False)
    for key in keys[2:5]:
        seal.submit(core, key, False)
    assert not core.sealed
    assert core.storage.get("core/cluster-id")  # post-unseal setup ran
    seal.seal()
    seal.sync(core)
    assert core.sealed


def test_wrong_shares_reset_progress() -> None:
    core = new_sealed_core()
    seal = core.seal
    keys = seal.initialize(SealConfig(3, 2)).shares
    foreign = split_root_key(os.urandom(32), 3, 2)
    # a share's last byte is its x-coordinate: one equal to keys[0]'s is another error
    other = next(share for share in foreign if share[-1] != keys[0][-1])
    seal.submit(core, keys[0], False)
    with pytest.raises(InvalidRequest, match="message authentication failed"):
        seal.submit(core, other, False)
    assert seal.status()[2] == 0 and core.sealed
    same_x = bytes(other[:-1]) + bytes(keys[0][-1:])
    seal.submit(core, keys[0], False)
    with pytest.raises(InvalidRequest, match="duplicate part detected"):
        seal.submit(core, same_x, False)
    assert seal.status()[2] == 0 and core.sealed
    seal.submit(core, keys[0], False)
    with pytest.raises(InvalidRequest, match="all parts must be the same length"):
        seal.submit(core, keys[1][:20], False)
    assert seal.status()[2] == 0
    seal.submit(core, keys[1], False)
    seal.submit(core, keys[2], False)
    assert not core.sealed


def test_one_share_is_the_root_key() -> None:
    core = new_sealed_core()
    result = core.seal.initialize(SealConfig(1, 1))
    assert result.shares == [result.root_key]
    core.seal.submit(core, result.shares[0], False)
    assert not core.sealed


def _child_submits(shared: SharedSealState, share: bytes, conn) -> None:  # pragma: no cover
    # runs in a forked child: a worker process of the same node
    physical = _CHILD_PHYSICAL
    core = new_sealed_core(physical, shared)
    core.seal.submit(core, share, False)
    conn.send((core.sealed, core.seal.status()[2]))


_CHILD_PHYSICAL: MemoryStorage | None = None


def test_shares_submitted_to_another_worker_count() -> None:
    """Worker processes of one node share progress and the unseal (fork, like gunicorn)."""
    global _CHILD_PHYSICAL
    physical = MemoryStorage()
    shared = SharedSealState.create()
    parent = new_sealed_core(physical, shared)
    keys = parent.seal.initialize(SealConfig(3, 2)).shares
    _CHILD_PHYSICAL = physical  # inherited through fork (memory storage is per process)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child_submits, args=(shared, keys[0], send))
    child.start()
    assert receive.recv() == (True, 1)
    child.join(10)
    parent.seal.sync(parent)
    assert parent.seal.status()[2] == 1
    parent.seal.submit(parent, keys[1], False)
    assert not parent.sealed
    # a worker started later (gunicorn respawn) unseals itself from the shared state
    late = new_sealed_core(physical, shared)
    assert not late.sealed
    parent.seal.seal()
    late.seal.sync(late)
    assert late.sealed
