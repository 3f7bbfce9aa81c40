"""A small lease manager (Vault's expiration manager) behind ``sys/leases/*``.

Two kinds of leases:

* **secret leases**: a response carrying a :class:`~..framework.response.Secret` from a
  mount that is not KV gets a lease ``<request path>/<random>``, stored under
  ``sys/expire/id/<lease id>`` with an index per client token, so that revoking the token
  revokes its leases. A backend may implement ``renew_lease(lease, increment)`` (returning a
  :class:`Secret` or ``None``) and ``revoke_lease(lease)``; without them a renewal extends
  the lease within its limits and a revocation just forgets it.
* **token leases**, as Vault lists them: every stored service token has the lease
  ``<token path>/h<opaque id>``. Nothing extra is stored: the opaque id is the token's
  storage hash encrypted with a per-cluster key, so it maps back to the token in O(1)
  without revealing anything about the token.

Expired secret leases are revoked lazily (when touched) and by a throttled sweep.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from ..builtin.token.entry import TokenEntry
from ..framework.durations import format_duration
from ..framework.errors import InvalidRequest
from ..framework.request import Request
from ..framework.response import Response, Secret
from ..storage.view import StorageView, encode_json
from .ids import random_string, sha256_hex

if TYPE_CHECKING:
    from .core import Core
    from .mounts import MountEntry

KEY_PATH = "sys/expire-key"
SWEEP_INTERVAL = 30.0
NON_LEASING_TYPES = {"kv", "generic", "cubbyhole", "system", "identity", "token"}
"""Mount types whose secrets carry a TTL but never a lease (as Vault's KV)."""


class LeaseError(InvalidRequest):
    """400 with one of Vault's lease messages."""


@dataclass
class Lease:
    """A stored secret lease."""

    lease_id: str
    path: str
    mount_accessor: str = ""
    issue_time: float = 0.0
    expire_time: float = 0.0
    last_renewal: float = 0.0
    ttl: int = 0
    max_ttl: int = 0
    renewable: bool = False
    internal: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] | None = None
    token_hash: str = ""

    def expired(self, now: float | None = None) -> bool:
        """Whether the lease's time is over."""
        return bool(self.expire_time) and (now or time.time()) >= self.expire_time

    def remaining(self, now: float | None = None) -> int:
        """Seconds left."""
        return max(0, int(self.expire_time - (now or time.time()))) if self.expire_time else 0


def iso(ts: float) -> str:
    """RFC 3339 with sub-second precision."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def human_duration(seconds: int) -> str:
    """Go's duration text without zero units ("1h", "1h30m", "45s")."""
    text = format_duration(seconds)
    if text.endswith("m0s") and seconds >= 60:
        text = text[:-2]
    if text.endswith("h0m"):
        text = text[:-2]
    return text


def calculate_ttl(
    default_ttl: int,
    max_ttl: int,
    increment: int,
    backend_ttl: int,
    backend_max: int,
    start: float,
    now: float | None = None,
) -> tuple[int, list[str]]:
    """Vault's CalculateTTL (no period, no explicit max): the TTL and its warnings."""
    now = float(int(now or time.time()))
    start = float(int(start)) if start else now
    limit = backend_max if 0 < backend_max < max_ttl else max_ttl
    if limit <= 0:
        raise LeaseError("max TTL must be greater than zero")
    ttl = increment if increment > 0 else backend_ttl if backend_ttl > 0 else default_ttl
    max_valid = int(start + limit - now)
    if max_valid <= 0:
        raise LeaseError("past the max TTL, cannot renew")
    warnings: list[str] = []
    if ttl > max_valid:
        warnings.append(
            f'TTL of "{human_duration(ttl)}" exceeded the effective max_ttl of '
            f'"{human_duration(max_valid)}"; TTL value is capped accordingly'
        )
        ttl = max_valid
    return ttl, warnings


class LeaseManager:
    """Registers, looks up, renews and revokes leases; one per core (see :func:`manager`)."""

    def __init__(self, core: Core):
        self.core = core
        self.view = StorageView(core.storage, "sys/expire/")
        self._lock = threading.Lock()
        self._key: bytes | None = None
        self._last_sweep = 0.0
        hooks = core.hooks.setdefault("token_revoked", [])
        hooks.append(self._token_revoked)
        core.hooks.setdefault("unmount", []).append(self._unmounted)
        core.hooks.setdefault("tidy", []).append(self.tidy)

    # ----- token leases ------------------------------------------------------------------

    def _cipher_key(self) -> bytes:
        if self._key is None:
            stored = self.core.storage.get(KEY_PATH)
            if stored is None:
                fresh = secrets.token_bytes(32)
                self.core.storage.apply_if_absent(KEY_PATH, [(KEY_PATH, fresh)])
                stored = self.core.storage.get(KEY_PATH) or fresh
            self._key = stored
        return self._key

    def _opaque(self, token_hash: str) -> str:
        enc = Cipher(algorithms.AES(self._cipher_key()), modes.ECB()).encryptor()
        return "h" + (enc.update(bytes.fromhex(token_hash)) + enc.finalize()).hex()

    def _token_hash(self, opaque: str) -> str | None:
        if len(opaque) != 65 or not opaque.startswith("h"):
            return None
        try:
            raw = bytes.fromhex(opaque[1:])
        except ValueError:
            return None
        dec = Cipher(algorithms.AES(self._cipher_key()), modes.ECB()).decryptor()
        return (dec.update(raw) + dec.finalize()).hex()

    def token_lease_id(self, entry: TokenEntry) -> str:
        """The lease id Vault shows for a service token."""
        return f"{entry.path.strip('/')}/{self._opaque(self.core.token_store.hash_token(entry.id))}"

    def _token_for_lease(self, lease_id: str) -> TokenEntry | None:
        path, _, last = lease_id.rpartition("/")
        token_hash = self._token_hash(last)
        if token_hash is None:
            return None
        raw = self.core.token_store.view.get_json("id/" + token_hash)
        if raw is None:
            return None
        entry = TokenEntry.from_storage(raw)
        if entry.path.strip("/") != path or entry.type == "batch":
            return None
        if entry.expired():
            self.core.token_store.revoke(entry)
            return None
        return entry

    def _token_leases(self) -> list[tuple[str, TokenEntry]]:
        out = []
        store = self.core.token_store
        for token_hash in store.view.list("id/"):
            raw = store.view.get_json("id/" + token_hash)
            if raw is None:
                continue
            entry = TokenEntry.from_storage(raw)
            if entry.type == "batch" or entry.expired():
                continue
            out.append((f"{entry.path.strip('/')}/{self._opaque(token_hash)}", entry))
        return out

    # ----- secret leases ------------------------------------------------------------------

    def _load(self, lease_id: str) -> Lease | None:
        if not lease_id or lease_id.endswith("/"):
            return None
        raw = self.view.get_json("id/" + lease_id)
        return None if raw is None else Lease(**raw)

    def _save(self, lease: Lease) -> None:
        ops = [("id/" + lease.lease_id, encode_json(asdict(lease)))]
        if lease.token_hash:
            index = f"token/{lease.token_hash}/{sha256_hex(lease.lease_id)}"
            ops.append((index, lease.lease_id.encode()))
        self.view.apply(ops)

    def _forget(self, lease: Lease) -> None:
        ops: list[tuple[str, bytes | None]] = [("id/" + lease.lease_id, None)]
        if lease.token_hash:
            ops.append((f"token/{lease.token_hash}/{sha256_hex(lease.lease_id)}", None))
        self.view.apply(ops)

    def _backend_for(self, lease: Lease) -> Any:
        for table in ("mounts", "auth"):
            for entry in self.core.mounts(table):
                if entry.accessor == lease.mount_accessor:
                    return self.core.backend_for(entry)
        return None

    def register(self, request: Request, mount: MountEntry, response: Response) -> None:
        """Give ``response.secret`` its TTL and, unless the mount is KV-like, a lease."""
        secret = response.secret
        if secret is None or request.path.startswith(("sys/renew", "sys/leases/renew")):
            return
        if mount.type in NON_LEASING_TYPES:
            secret.renewable = False
            return
        default_ttl, max_ttl = self.core.mount_ttls(mount)
        ttl, warnings = calculate_ttl(default_ttl, max_ttl, 0, secret.ttl, secret.max_ttl, 0)
        response.warnings.extend(warnings)
        now = time.time()
        secret.ttl = ttl
        secret.lease_id = f"{request.path.rstrip('/')}/{random_string(24)}"
        lease = Lease(
            lease_id=secret.lease_id,
            path=request.path,
            mount_accessor=mount.accessor,
            issue_time=now,
            expire_time=now + ttl,
            ttl=ttl,
            max_ttl=secret.max_ttl,
            renewable=secret.renewable,
            internal=dict(secret.internal),
            data=response.data,
            token_hash=(
                self.core.token_store.hash_token(request.client_token)
                if request.client_token
                else ""
            ),
        )
        self._save(lease)
        self.maybe_sweep()

    # ----- operations ---------------------------------------------------------------------

    def lookup(self, lease_id: str) -> dict[str, Any] | None:
        """The ``data`` of ``sys/leases/lookup`` for a lease, or None when unknown."""
        lease = self._live(lease_id)
        if lease is not None:
            return {
                "id": lease_id,
                "issue_time": iso(lease.issue_time),
                "expire_time": iso(lease.expire_time) if lease.expire_time else None,
                "last_renewal": iso(lease.last_renewal) if lease.last_renewal else None,
                "ttl": lease.remaining(),
                "path": lease.path,
                "renewable": lease.renewable,
            }
        token = self._token_for_lease(lease_id)
        if token is None:
            return None
        return {
            "id": lease_id,
            "issue_time": iso(token.creation_time),
            "expire_time": iso(token.expire_at) if token.expire_at else None,
            "last_renewal": iso(token.last_renewal_time) if token.last_renewal_time else None,
            "ttl": token.remaining_ttl(),
            "path": token.path,
            "renewable": _token_renewable(token),
        }

    def _live(self, lease_id: str) -> Lease | None:
        lease = self._load(lease_id)
        if lease is not None and lease.expired():
            self._revoke_lease(lease)
            return None
        return lease

    def renew(self, lease_id: str, increment: int) -> Response:
        """Renew a secret lease (Vault's messages for tokens and unknown leases)."""
        lease = self._live(lease_id)
        if lease is None:
            token = self._token_for_lease(lease_id)
            if token is None:
                raise LeaseError("lease not found")
            if not _token_renewable(token):
                raise LeaseError("lease is not renewable")
            raise LeaseError("tokens cannot be renewed through this endpoint")
        if not lease.renewable:
            raise LeaseError("lease is not renewable")
        backend = self._backend_for(lease)
        backend_ttl, backend_max = lease.ttl, lease.max_ttl
        renew_hook = getattr(backend, "renew_lease", None)
        if renew_hook is not None:
            renewed = renew_hook(lease, increment)
            if renewed is None:
                return Response()
            backend_ttl, backend_max = renewed.ttl, renewed.max_ttl
        mount = self._mount_entry(lease)
        default_ttl, max_ttl = self.core.mount_ttls(mount)
        ttl, warnings = calculate_ttl(
            default_ttl, max_ttl, increment, backend_ttl, backend_max, lease.issue_time
        )
        now = time.time()
        lease.expire_time = now + ttl
        lease.last_renewal = now
        self._save(lease)
        secret = Secret(ttl=ttl, max_ttl=lease.max_ttl, renewable=True, lease_id=lease.lease_id)
        return Response(secret=secret, warnings=warnings)

    def _mount_entry(self, lease: Lease) -> MountEntry | None:
        for table in ("mounts", "auth"):
            for entry in self.core.mounts(table):
                if entry.accessor == lease.mount_accessor:
                    return entry
        return None

    def revoke(self, lease_id: str) -> None:
        """Revoke one lease (a secret's, or a token's whole tree); unknown ids are ignored."""
        lease = self._load(lease_id)
        if lease is not None:
            self._revoke_lease(lease)
            return
        token = self._token_for_lease(lease_id)
        if token is not None:
            self.core.token_store.revoke(token)

    def _revoke_lease(self, lease: Lease, force: bool = False) -> None:
        backend = self._backend_for(lease)
        hook = getattr(backend, "revoke_lease", None)
        if hook is not None:
            try:
                hook(lease)
            except Exception:
                if not force:
                    raise
        self._forget(lease)

    def revoke_prefix(self, prefix: str, *, force: bool = False) -> None:
        """Revoke every lease below ``prefix`` (or the one lease named exactly so)."""
        if not prefix.endswith("/"):
            if self._load(prefix) is not None or self._token_for_lease(prefix) is not None:
                self.revoke(prefix)
                return
            prefix += "/"
        for key in self.view.list_all("id/" + prefix):
            lease = self._load(prefix + key)
            if lease is not None:
                self._revoke_lease(lease, force=force)
        for lease_id, entry in self._token_leases():
            if lease_id.startswith(prefix) and self.core.token_store.lookup(entry.id):
                self.core.token_store.revoke(entry)

    def list(self, prefix: str) -> list[str]:
        """Immediate children of ``prefix`` among all lease ids (secret and token leases)."""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        keys = set(self.view.list("id/" + prefix))
        for lease_id, _entry in self._token_leases():
            if lease_id.startswith(prefix):
                head, sep, _ = lease_id[len(prefix) :].partition("/")
                keys.add(head + sep)
        return sorted(keys)

    def count(self) -> int:
        """How many secret and token leases exist."""
        return len(self.view.list_all("id/")) + len(self._token_leases())

    # ----- housekeeping -------------------------------------------------------------------

    def maybe_sweep(self) -> None:
        """Revoke expired secret leases at most every ``SWEEP_INTERVAL`` seconds."""
        now = time.time()
        with self._lock:
            if now - self._last_sweep < SWEEP_INTERVAL:
                return
            self._last_sweep = now
        self.tidy()

    def tidy(self) -> int:
        """Revoke expired leases and drop index entries whose lease is gone."""
        removed = 0
        now = time.time()
        for key in self.view.list_all("id/"):
            lease = self._load(key)
            if lease is not None and lease.expired(now):
                self._revoke_lease(lease, force=True)
                removed += 1
        for key in self.view.list_all("token/"):
            lease_id = (self.view.get("token/" + key) or b"").decode()
            if self._load(lease_id) is None:
                self.view.delete("token/" + key)
        return removed

    def _token_revoked(self, entry: TokenEntry) -> None:
        index = self.view.sub(f"token/{self.core.token_store.hash_token(entry.id)}/")
        for key in index.list(""):
            lease = self._load((index.get(key) or b"").decode())
            if lease is not None:
                self._revoke_lease(lease, force=True)
            index.delete(key)

    def _unmounted(self, entry: MountEntry) -> None:
        prefix = entry.route_path
        for key in self.view.list_all("id/" + prefix):
            lease = self._load(prefix + key)
            if lease is not None:
                self._revoke_lease(lease, force=True)


def _token_renewable(token: TokenEntry) -> bool:
    return token.renewable and token.type == "service" and bool(token.ttl or token.period)


_MANAGERS_LOCK = threading.Lock()


def manager(core: Core) -> LeaseManager:
    """The core's lease manager (created on first use, kept in ``core.hooks``)."""
    found = core.hooks.get("expiration")
    if found is None:
        with _MANAGERS_LOCK:
            found = core.hooks.get("expiration")
            if found is None:
                found = LeaseManager(core)
                core.hooks["expiration"] = found
    return found
