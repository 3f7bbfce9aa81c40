"""The audit broker (``core.hooks["audit"]``): the device table and fan-out of entries.

The table lives at ``core/audit`` (JSON list, like the mount tables); each device's salt and
chain key at ``audit/<uuid>/salt`` and ``audit/<uuid>/chain-key`` (encrypted by the barrier
like everything in storage). Enabling or disabling a device bumps the cache generation, so
every worker process reloads the table on its next request.

Fail closed: when devices are enabled and none of them could write an entry, the request is
refused with Vault's 500 ``internal error`` (the request entry is written before the handler
runs, so nothing is changed).

A device in the table that cannot be loaded (its salt or chain key missing from storage, its
options unreadable, storage failing while it is read) is not dropped: it stays in the table as
a *broken* device -- listed by ``sys/audit``, disabled by ``DELETE sys/audit/:path`` like any
other -- whose every write fails. So, as Vault refuses to run with an audit device it cannot
set up, requests are refused unless another device records them. Loading a broken device is
tried again every :data:`RETRY_BROKEN` seconds (a storage error may pass).
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..framework.errors import InternalError, InvalidRequest
from ..framework.request import Request
from ..framework.response import Response
from ..storage.view import encode_json
from .chain import AUDIT_PREFIX, ChainStore, device_keys
from .entry import EntryFormatter, MountFacts, encode_entry, probe_entry
from .hashing import Hasher
from .options import DeviceOptions, parse_options
from .sink import DeviceClosed, FileSink

if TYPE_CHECKING:
    from ..core.core import Core

__all__ = ["NOT_AUDITED", "AuditBroker", "Device", "DeviceUnavailable", "broker"]

log = logging.getLogger(__name__)

TABLE_KEY = "core/audit"
NOT_AUDITED = frozenset(
    {"sys/health", "sys/seal-status", "sys/init", "sys/seal", "sys/unseal", "sys/leader"}
)
RETRY_BROKEN = 5.0
"""Seconds between two attempts to load a device that could not be loaded."""


class DeviceUnavailable(Exception):
    """The device could not be loaded: it records nothing (every write fails)."""


@dataclass
class Device:
    """One enabled audit device (or, with ``error`` set, one that could not be loaded)."""

    path: str
    type: str
    description: str
    options: dict[str, str]
    local: bool
    uuid: str
    config: DeviceOptions | None
    salt: str
    chain_key: bytes
    sink: FileSink | None
    store: ChainStore | None
    error: str = ""
    """Why the device could not be loaded ("": it works). A broken device fails every write."""

    @classmethod
    def broken(cls, row: Mapping[str, Any], error: str) -> Device:
        """A table row that could not be loaded, kept so that it still counts (and fails)."""
        options = row.get("options")
        return cls(
            path=str(row.get("path") or ""),
            type=str(row.get("type") or ""),
            description=str(row.get("description") or ""),
            options={str(k): str(v) for k, v in options.items()}
            if isinstance(options, Mapping)
            else {},
            local=bool(row.get("local", False)),
            uuid=str(row.get("uuid") or ""),
            config=None,
            salt="",
            chain_key=b"",
            sink=None,
            store=None,
            error=error or "cannot be loaded",
        )

    def _usable(self) -> tuple[DeviceOptions, FileSink, ChainStore]:
        if self.error or self.config is None or self.sink is None or self.store is None:
            raise DeviceUnavailable(f"audit device {self.path} is unavailable: {self.error}")
        return self.config, self.sink, self.store

    def formatter(self, mount: MountFacts) -> EntryFormatter:
        """An entry formatter with this device's settings."""
        config, _, _ = self._usable()
        return EntryFormatter(
            hasher=None if config.log_raw else Hasher(self.salt),
            hmac_accessor=config.hmac_accessor,
            elide_list_responses=config.elide_list_responses,
            mount=mount,
        )

    def write(self, entry: dict[str, Any]) -> None:
        """Append one entry (raises on failure; a broken device raises DeviceUnavailable)."""
        _, sink, store = self._usable()
        sink.append(encode_entry(entry), self.chain_key, store)

    def to_api(self) -> dict[str, Any]:
        """The device as ``sys/audit`` lists it."""
        return {
            "description": self.description,
            "local": self.local,
            "options": dict(self.options),
            "path": self.path,
            "type": self.type,
        }

    def to_storage(self) -> dict[str, Any]:
        """The device's row in the table."""
        return {
            "path": self.path,
            "type": self.type,
            "description": self.description,
            "options": dict(self.options),
            "local": self.local,
            "uuid": self.uuid,
        }


def normalize_path(path: str) -> str:
    """A device path as Vault keeps it: no leading slash, one trailing slash."""
    return path.strip("/") + "/"


class AuditBroker:
    """Owns the devices of one core and writes every entry to all of them."""

    def __init__(self, core: Core):
        self.core = core
        self._lock = threading.RLock()
        self._devices: list[Device] | None = None
        self._sinks: dict[str, FileSink] = {}
        self._retry_at: float | None = None
        """When to try loading the broken devices again (None: none is broken)."""
        self._reported: dict[str, str] = {}
        """The load error last logged per device uuid (each one is logged once)."""

    # ----- the table ---------------------------------------------------------------------------

    def invalidate(self) -> None:
        """Forget the table (another process changed it, or the core is sealing)."""
        self._devices = None
        self._retry_at = None

    def devices(self) -> list[Device]:
        """The enabled devices (loaded from storage on first use after a change; broken ones
        included, and tried again every :data:`RETRY_BROKEN` seconds)."""
        current = self._devices
        if current is not None and not self._retry_due():
            return current
        with self._lock:
            if self._devices is None or self._retry_due():
                self._devices = self._load()
            return self._devices

    def _retry_due(self) -> bool:
        retry_at = self._retry_at
        return retry_at is not None and time.monotonic() >= retry_at

    def _rows(self) -> tuple[bytes | None, list[dict[str, Any]]]:
        raw = self.core.storage.get(TABLE_KEY)
        return raw, (json.loads(raw) if raw else [])

    def _load(self) -> list[Device]:
        _, rows = self._rows()
        devices: list[Device] = []
        errors: dict[str, str] = {}
        for row in rows:
            try:
                devices.append(self._device(row))
            except Exception as exc:  # kept as a broken device: it fails, it is not skipped
                device = Device.broken(row, _os_reason(exc))
                devices.append(device)
                errors[device.uuid] = device.error
                if self._reported.get(device.uuid) != device.error:
                    log.error(
                        "cannot load audit device %s: %s; it records nothing, so requests are "
                        "refused unless another device records them", device.path, device.error,
                    )  # fmt: skip
        self._reported = errors
        self._retry_at = time.monotonic() + RETRY_BROKEN if errors else None
        live = {d.uuid for d in devices}
        for stale in [u for u in self._sinks if u not in live]:
            self._sinks.pop(stale).close()
        return devices

    def _device(self, row: Mapping[str, Any], salt: str = "", key: bytes = b"") -> Device:
        options = {str(k): str(v) for k, v in (row.get("options") or {}).items()}
        config = parse_options(row["type"], options)
        device_uuid = row["uuid"]
        if not salt or not key:
            salt_key, chain_key = device_keys(device_uuid)
            raw_salt, raw_key = self.core.storage.get(salt_key), self.core.storage.get(chain_key)
            if raw_salt is None or raw_key is None:
                raise ValueError(f"audit device {row['path']} has no salt or chain key")
            salt, key = raw_salt.decode(), bytes.fromhex(raw_key.decode())
        sink = self._sinks.get(device_uuid)
        if sink is None or sink.options != config:
            sink = FileSink(config)
            self._sinks[device_uuid] = sink
        return Device(
            path=row["path"],
            type=row["type"],
            description=row.get("description", ""),
            options=options,
            local=bool(row.get("local", False)),
            uuid=device_uuid,
            config=config,
            salt=salt,
            chain_key=key,
            sink=sink,
            store=ChainStore(self.core.storage, device_uuid, config.file_path),
        )

    def find(self, path: str) -> Device | None:
        """The device enabled at ``path``."""
        wanted = normalize_path(path)
        return next((d for d in self.devices() if d.path == wanted), None)

    def list_api(self) -> dict[str, Any]:
        """``sys/audit``: every device keyed by its path."""
        return {d.path: d.to_api() for d in self.devices()}

    # ----- enable / disable --------------------------------------------------------------------

    def enable(
        self, path: str, device_type: str, description: str, options: dict[str, str], local: bool
    ) -> None:
        """Enable a device: validate, open its file, write the probe entry, persist."""
        path = normalize_path(path)
        config = parse_options(device_type, options)
        with self._lock:
            raw, rows = self._rows()
            for row in rows:
                other = row["path"]
                if other.startswith(path) or path.startswith(other):
                    raise InvalidRequest("path already in use")
                if config.file_path != "discard" and _target(row) == config.file_path:
                    raise InvalidRequest(
                        f'file_path "{config.file_path}" is already used by audit device '
                        f'"{other}": one chain per file'
                    )
            row = {
                "path": path,
                "type": device_type,
                "description": description,
                "options": dict(options),
                "local": local,
                "uuid": str(uuid.uuid4()),
            }
            salt, key = str(uuid.uuid4()), secrets.token_bytes(32)
            device = self._device(row, salt, key)
            try:
                device.sink.check()
            except OSError as exc:
                self._sinks.pop(device.uuid, None)
                raise InvalidRequest(
                    f'sanity check failed; unable to open "{config.file_path}" for writing: '
                    f"{_os_reason(exc)}"
                ) from None
            try:
                device.write(probe_entry())
            except OSError as exc:
                self._sinks.pop(device.uuid, None)
                device.sink.close()
                raise InvalidRequest(
                    f"audit backend failed test message: {_os_reason(exc)}"
                ) from None
            salt_key, chain_key = device_keys(device.uuid)
            table = encode_json([*rows, row])
            ops = [(TABLE_KEY, table), (salt_key, salt.encode()), (chain_key, key.hex().encode())]
            if not self.core.storage.cas(TABLE_KEY, raw, ops):
                self._sinks.pop(device.uuid, None)
                device.sink.close()
                raise InvalidRequest("the audit table changed meanwhile; try again")
            self.core.bump_generation()
            self._devices = None

    def disable(self, path: str) -> bool:
        """Disable a device and forget its secrets and chain heads; False when none."""
        path = normalize_path(path)
        with self._lock:
            raw, rows = self._rows()
            row = next((r for r in rows if r["path"] == path), None)
            if row is None:
                return False
            remaining = [r for r in rows if r["path"] != path]
            prefix = f"{AUDIT_PREFIX}{row['uuid']}/"
            keys = [prefix + k for k in _all_keys(self.core.storage, prefix)]
            ops: list[tuple[str, bytes | None]] = [(TABLE_KEY, encode_json(remaining))]
            ops += [(k, None) for k in keys]
            if not self.core.storage.cas(TABLE_KEY, raw, ops):
                raise InvalidRequest("the audit table changed meanwhile; try again")
            sink = self._sinks.pop(row["uuid"], None)
            if sink is not None:
                sink.close()
            self.core.bump_generation()
            self._devices = None
            return True

    # ----- services ----------------------------------------------------------------------------

    def hash(self, path: str, value: str) -> str:
        """``sys/audit-hash``: the HMAC a device writes for ``value``."""
        device = self._working(path)
        return Hasher(device.salt)(value)

    def chain_info(self, path: str) -> dict[str, Any]:
        """The chain key and this node's chain head of a device (for ``vab audit verify``)."""
        device = self._working(path)
        config, _, store = device._usable()
        state = store.load()
        return {
            "path": device.path,
            "file_path": config.file_path,
            "format": "vab-audit-chain/1",
            "algorithm": "hmac-sha256",
            "key": device.chain_key.hex(),
            "head": {
                "seq": state.seq,
                "hmac": state.hmac,
                "segment_seq": state.segment_seq,
                "segment_prev": state.segment_prev,
            },
        }

    def _working(self, path: str) -> Device:
        device = self.find(path)
        if device is None:
            raise InvalidRequest(f'unknown audit backend "{normalize_path(path)}"')
        if device.error:
            raise InternalError(f'audit device "{device.path}" is unavailable: {device.error}')
        return device

    # ----- the request hooks -------------------------------------------------------------------

    def log_request(self, request: Request, error: BaseException | None = None) -> None:
        """Write the request entry to every device (raises 500 when none could)."""
        self._log(request, "request", lambda f: f.request_entry(request, error))

    def log_response(
        self, request: Request, response: Response | None, error: BaseException | None = None
    ) -> None:
        """Write the response entry to every device (raises 500 when none could)."""
        self._log(request, "response", lambda f: f.response_entry(request, response, error))

    def _log(
        self, request: Request, kind: str, build: Callable[[EntryFormatter], dict[str, Any]]
    ) -> None:
        if request.path.strip("/") in NOT_AUDITED:
            return
        devices = self.devices()
        if not devices:
            return
        mount = self._mount_facts(request)
        written = failed = 0
        for device in devices:
            if device.error:  # could not be loaded: a device that cannot record
                failed += 1
                log.error(
                    "audit device %s could not write the %s entry of request %s: it is "
                    "unavailable (%s)", device.path, kind, request.id, device.error,
                )  # fmt: skip
                continue
            try:
                device.write(build(device.formatter(mount)))
                written += 1
            except DeviceClosed:  # disabled meanwhile: neither a success nor a failure
                continue
            except Exception as exc:  # one device failing is logged; all failing refuses
                failed += 1
                log.error(
                    "audit device %s could not write the %s entry of request %s: %s",
                    device.path, kind, request.id, _os_reason(exc),
                )  # fmt: skip
        if failed and not written:
            log.error("no audit device recorded request %s: refusing it", request.id)
            raise InternalError("internal error")

    def _mount_facts(self, request: Request) -> MountFacts:
        if not request.mount_point:
            return MountFacts()
        routed = self.core.route(request.path)
        if routed is None:
            return MountFacts()
        entry = routed[0]
        config = entry.config
        return MountFacts(
            running_version=entry.running_plugin_version or "",
            non_hmac_request_keys=tuple(config.audit_non_hmac_request_keys or ()),
            non_hmac_response_keys=tuple(config.audit_non_hmac_response_keys or ()),
        )


def _target(row: Mapping[str, Any]) -> str:
    options = row.get("options") or {}
    return str(options.get("file_path") or options.get("path") or "")


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror.lower()}"
    return str(exc) or type(exc).__name__


def _all_keys(storage: Any, prefix: str) -> list[str]:
    out: list[str] = []
    stack = [""]
    while stack:
        folder = stack.pop()
        for child in storage.list(prefix + folder):
            if child.endswith("/"):
                stack.append(folder + child)
            else:
                out.append(folder + child)
    return out


def broker(core: Core) -> AuditBroker:
    """The core's audit broker (registered as ``core.hooks["audit"]`` on first use)."""
    current = core.hooks.get("audit")
    if isinstance(current, AuditBroker):
        return current
    created = AuditBroker(core)
    core.hooks["audit"] = created
    core.hooks.setdefault("invalidate", []).append(created.invalidate)
    return created
