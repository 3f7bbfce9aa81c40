"""Initialisation, unsealing and sealing with Shamir's secret sharing (``pyshamir``).

The root key (32 random bytes) encrypts the barrier's keyring and is never stored. At
``sys/init`` it is split into ``secret_shares`` key shares of which ``secret_threshold``
rebuild it (one share of one: the share is the root key itself, as in Vault). Shares submitted
through ``sys/unseal`` are kept in the node's shared memory (:mod:`.seal_state`) until the
threshold is reached; the rebuilt root key must open the stored keyring, then it is published
to every worker of the node, and each worker unseals its own barrier at its next request.

Every node (server process tree) is unsealed on its own, as in Vault.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..framework.errors import InvalidRequest
from .barrier import SEAL_CONFIG_KEY, Barrier, BarrierKeyError, new_root_key
from .base import StorageError
from .seal_state import MAX_SHARES, SharedSealState

if TYPE_CHECKING:
    from ..core.core import Core

log = logging.getLogger(__name__)

MIN_KEY_LEN = 16
MAX_KEY_LEN = 33


@dataclass(frozen=True)
class SealConfig:
    """The public parameters of the Shamir seal (stored in clear at ``core/seal-config``)."""

    secret_shares: int
    secret_threshold: int
    type: str = "shamir"

    def validate(self) -> None:
        """Vault's rules for shares and threshold (400 on violation)."""
        prefix = "invalid seal configuration: "
        if self.secret_shares < 1:
            raise InvalidRequest(prefix + "shares must be at least one")
        if self.secret_threshold < 1:
            raise InvalidRequest(prefix + "threshold must be at least one")
        if self.secret_shares > 1 and self.secret_threshold == 1:
            raise InvalidRequest(prefix + "threshold must be greater than one for multiple shares")
        if self.secret_shares > MAX_SHARES:
            raise InvalidRequest(prefix + "shares must be less than 256")
        if self.secret_threshold > self.secret_shares:
            raise InvalidRequest(prefix + "threshold cannot be larger than shares")

    def to_bytes(self) -> bytes:
        return json.dumps(
            {
                "type": self.type,
                "secret_shares": self.secret_shares,
                "secret_threshold": self.secret_threshold,
            },
            sort_keys=True,
        ).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> SealConfig:
        data = json.loads(raw)
        return cls(int(data["secret_shares"]), int(data["secret_threshold"]), data["type"])


@dataclass
class InitResult:
    """What ``sys/init`` hands out once."""

    root_key: bytes
    shares: list[bytes]


def split_root_key(root_key: bytes, shares: int, threshold: int) -> list[bytes]:
    """Split with Shamir's scheme over GF(256) (pyshamir, a port of Vault's own)."""
    if shares == 1:
        return [bytes(root_key)]
    from pyshamir import split

    return [bytes(part) for part in split(bytes(root_key), shares, threshold)]


def combine_shares(shares: list[bytes]) -> bytes:
    """Rebuild the secret from threshold shares (ValueError when they do not fit together)."""
    if len(shares) == 1:
        return bytes(shares[0])
    from pyshamir import combine

    return bytes(combine([bytearray(s) for s in shares]))


def decode_key_share(text: str) -> bytes:
    """A key share as given to ``sys/unseal``: hex first, then base64 (as Vault)."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidRequest("'key' must be a valid hex or base64 string") from None
    if len(raw) < MIN_KEY_LEN:
        raise InvalidRequest(f"invalid key: key is shorter than minimum {MIN_KEY_LEN} bytes")
    if len(raw) > MAX_KEY_LEN:
        raise InvalidRequest(f"invalid key: key is longer than maximum {MAX_KEY_LEN} bytes")
    return raw


class SealManager:
    """Seal state of one worker process: its barrier, and the node's shared seal state."""

    def __init__(
        self,
        barrier: Barrier,
        shared: SharedSealState | None = None,
        *,
        storage_type: str = "inmem",
    ):
        self.barrier = barrier
        self.physical = barrier.physical
        self.shared = shared or SharedSealState.create()
        self.storage_type = storage_type
        self._epoch = -1
        self._config: SealConfig | None = None
        self._lock = threading.RLock()
        self.sealed_backend: Any = None
        self.dev_unseal_key = ""
        """The ``sys/`` backend that answers the few paths served while sealed."""

    # ----- wiring ------------------------------------------------------------------------------

    def attach(self, core: Core) -> None:
        """Make this manager the core's seal; the core starts sealed until synchronised."""
        core.seal = self
        core.hooks["seal"] = self
        core.sealed = True
        core.initialized = False
        self.sync(core)

    # ----- state -------------------------------------------------------------------------------

    def config(self) -> SealConfig | None:
        """The stored seal configuration (None: not initialized)."""
        if self._config is None:
            raw = self.physical.get(SEAL_CONFIG_KEY)
            if raw is not None:
                self._config = SealConfig.from_bytes(raw)
        return self._config

    def status(self) -> tuple[int, int, int]:
        """(threshold, shares, progress) for ``sys/seal-status``."""
        config = self.config()
        if config is None:
            return 0, 0, 0
        snap = self.shared.read()
        return config.secret_threshold, config.secret_shares, len(snap.shares)

    def nonce(self) -> str:
        """The nonce of the unseal attempt in progress ("" when none)."""
        return self.shared.read().nonce

    def sync(self, core: Core) -> None:
        """Align this worker with the node's shared state (called before every request)."""
        if not core.initialized:
            core.initialized = self.config() is not None
        if self.shared.epoch() == self._epoch:
            return
        with self._lock:
            snap = self.shared.read()
            if snap.epoch == self._epoch:
                return
            if snap.sealed and not core.sealed:
                self._seal_local(core)
            elif (
                not snap.sealed
                and core.sealed
                and snap.root_key is not None
                and not self._unseal_local(core, snap.root_key)
            ):
                return  # setup failed: retried at the next request
            self._epoch = snap.epoch

    def _seal_local(self, core: Core) -> None:
        core.before_seal()
        self.barrier.seal()
        log.info("sealed")

    def _unseal_local(self, core: Core, root_key: bytes) -> bool:
        try:
            self.barrier.unseal(root_key)
            core.after_unseal()
        except Exception:
            log.exception("post-unseal setup failed; staying sealed")
            self.barrier.seal()
            core.sealed = True
            return False
        log.info("unsealed")
        return True

    # ----- operations --------------------------------------------------------------------------

    def initialize(self, config: SealConfig) -> InitResult:
        """Create the keyring under a new root key and split it; 400 when initialized."""
        config.validate()
        root_key = new_root_key()
        created = self.barrier.initialize(root_key, [(SEAL_CONFIG_KEY, config.to_bytes())])
        if not created:
            raise InvalidRequest("Vault is already initialized")
        self._config = config
        shares = split_root_key(root_key, config.secret_shares, config.secret_threshold)
        return InitResult(root_key, shares)

    def submit(self, core: Core, share: bytes | None, reset: bool) -> None:
        """One ``sys/unseal`` call: reset, or add a share and unseal at the threshold."""
        config = self.config()
        if config is None:
            raise InvalidRequest("Vault is not initialized")
        with self.shared.locked():
            snap = self.shared.read()
            if not snap.sealed:
                return
            if reset:
                self.shared.clear_progress()
                return
            if share is None:
                raise InvalidRequest(
                    "'key' must be specified in request body as JSON, or 'reset' set to true"
                )
            if share in snap.shares:
                return  # Vault ignores a share submitted twice
            shares = [*snap.shares, share]
            if len(shares) < config.secret_threshold:
                self.shared.set_progress(shares, snap.nonce or str(uuid.uuid4()))
                return
            self.shared.clear_progress()
            try:
                root_key = combine_shares(shares)
            except ValueError as exc:
                message = str(exc)
                if "same length" in message:
                    message = "all parts must be the same length"
                elif "Duplicate sample" in message:  # two shares with one x-coordinate
                    message = "duplicate part detected"
                raise InvalidRequest(
                    f"invalid key: failed to compute combined key: {message}"
                ) from None
            try:
                self.barrier.verify_root_key(root_key)
            except BarrierKeyError as exc:
                raise InvalidRequest(
                    f"unable to retrieve stored keys: invalid key: {exc}"
                ) from None
            self.shared.set_unsealed(root_key)
        self.sync(core)

    def seal(self) -> None:
        """Seal the node: every worker drops its keys at its next request (this one too, so
        that the request that asked for it finishes, audit included)."""
        with self.shared.locked():
            if not self.shared.read().sealed:
                self.shared.set_sealed()

    def unseal_with_root_key(self, core: Core, root_key: bytes) -> None:
        """Unseal directly with the root key (dev mode, auto-unseal)."""
        self.barrier.verify_root_key(root_key)
        with self.shared.locked():
            self.shared.set_unsealed(root_key)
        self.sync(core)

    def dev_initialize(self, core: Core) -> str:
        """Dev mode: initialise with one share and unseal; returns the unseal key (base64)."""
        result = self.initialize(SealConfig(1, 1))
        self.unseal_with_root_key(core, result.root_key)
        if core.sealed:
            raise StorageError("dev server failed to unseal")
        return base64.b64encode(result.shares[0]).decode()
