"""Chain heads kept in storage: one chain per device and audit file of a node.

The line format and the HMAC live in :mod:`vab_client.audit_chain` (shared with
``vab audit verify``). Here: the chain key and salt of a device, and the head of each chain
(``audit/<device uuid>/chain/<chain id>``), where the chain id names the node's host and the
file's absolute path -- several nodes on one storage each keep their own chain, while the
worker processes of a node (which lock the file) share one.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
from dataclasses import asdict, dataclass

from vab_client.audit_chain import GENESIS, ChainHead

from ..storage.base import Storage
from ..storage.view import encode_json

__all__ = ["ChainState", "ChainStore", "chain_id", "device_keys"]

AUDIT_PREFIX = "audit/"
"""Storage folder of the devices' secrets and chain heads (``audit/<uuid>/...``)."""


def device_keys(uuid: str) -> tuple[str, str]:
    """Storage keys of a device's salt and chain key."""
    return f"{AUDIT_PREFIX}{uuid}/salt", f"{AUDIT_PREFIX}{uuid}/chain-key"


def chain_id(target: str) -> str:
    """The id of this node's chain for a device target (a file path or ``stdout``)."""
    where = target if target == "stdout" else os.path.abspath(target)
    return hashlib.sha256(f"{socket.gethostname()}\0{where}".encode()).hexdigest()[:32]


@dataclass
class ChainState:
    """The head of one chain: its last line, the file offset after it and the file it went
    to (``dev``/``ino``, regular files), and the first line of the current file
    (``segment_seq``/``segment_prev``)."""

    seq: int = 0
    hmac: str = GENESIS
    offset: int = 0
    segment_seq: int = 0
    segment_prev: str = ""
    dev: int = 0
    ino: int = 0
    """The device and inode of the file the last line went to (0: not a regular file, or a
    head recorded before files were identified): an empty file that is this same file was
    emptied in place, which does not start a new segment."""

    def head(self) -> ChainHead:
        """The public view for verifiers."""
        return ChainHead(self.seq, self.hmac, self.segment_seq, self.segment_prev)


class ChainStore:
    """Reads and writes the head of one chain (called under the file lock)."""

    def __init__(self, storage: Storage, device_uuid: str, target: str):
        self.storage = storage
        self.key = f"{AUDIT_PREFIX}{device_uuid}/chain/{chain_id(target)}"

    def load(self) -> ChainState:
        """The current head (an empty chain when none was written yet)."""
        raw = self.storage.get(self.key)
        if raw is None:
            return ChainState()
        data = json.loads(raw)
        known = ChainState.__dataclass_fields__
        return ChainState(**{k: v for k, v in data.items() if k in known})

    def save(self, state: ChainState) -> None:
        """Record a new head (durably, before the write is acknowledged)."""
        self.storage.put(self.key, encode_json(asdict(state)))
