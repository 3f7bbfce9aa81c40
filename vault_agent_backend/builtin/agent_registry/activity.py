"""Per-agent request activity, counted in memory and flushed to storage periodically.

Never one write per request: each process accumulates deltas and a background thread adds
them to the stored totals every :data:`FLUSH_INTERVAL` seconds (compare-and-swap per
agent, so several workers and nodes add up correctly). Reads show the stored totals plus
this process's pending deltas.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ...storage.view import StorageView

__all__ = ["FLUSH_INTERVAL", "ActivityTracker"]

FLUSH_INTERVAL = 10.0


@dataclass
class _Counts:
    allowed: int = 0
    denied: int = 0
    last_use: float = 0.0
    denied_by: dict[str, int] = field(default_factory=dict)

    def add(self, other: _Counts) -> None:
        self.allowed += other.allowed
        self.denied += other.denied
        self.last_use = max(self.last_use, other.last_use)
        for layer, n in other.denied_by.items():
            self.denied_by[layer] = self.denied_by.get(layer, 0) + n

    def to_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "denied": self.denied,
            "last_use": self.last_use,
            "denied_by": dict(self.denied_by),
        }

    @classmethod
    def from_json(cls, raw: Any) -> _Counts:
        if not isinstance(raw, dict):
            return cls()
        return cls(
            allowed=int(raw.get("allowed", 0)),
            denied=int(raw.get("denied", 0)),
            last_use=float(raw.get("last_use", 0.0)),
            denied_by={str(k): int(v) for k, v in (raw.get("denied_by") or {}).items()},
        )


def _rfc3339(ts: float) -> str | None:
    if not ts:
        return None
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class ActivityTracker:
    """Counters of allowed and denied requests per registration id."""

    def __init__(self, view: StorageView, interval: float = FLUSH_INTERVAL):
        self.view = view
        self.interval = interval
        self._pending: dict[str, _Counts] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def record(self, reg_id: str, allowed: bool, layer: str | None = None) -> None:
        """Count one decision (in memory only)."""
        if not reg_id:
            return
        with self._lock:
            counts = self._pending.get(reg_id)
            if counts is None:
                counts = self._pending[reg_id] = _Counts()
            counts.last_use = time.time()
            if allowed:
                counts.allowed += 1
            else:
                counts.denied += 1
                key = layer or "token"
                counts.denied_by[key] = counts.denied_by.get(key, 0) + 1
        if self._thread is None:
            self._start()

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(
                target=self._run, name="agent-activity-flush", daemon=True
            )
            self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.flush()
            except Exception:
                continue

    def flush(self) -> None:
        """Add the pending deltas to the stored totals."""
        with self._flush_lock:
            with self._lock:
                pending, self._pending = self._pending, {}
            failed: dict[str, _Counts] = {}
            for reg_id, delta in pending.items():
                if not self._add_stored(reg_id, delta):
                    failed[reg_id] = delta
            if failed:
                with self._lock:
                    for reg_id, delta in failed.items():
                        current = self._pending.setdefault(reg_id, _Counts())
                        current.add(delta)

    def _add_stored(self, reg_id: str, delta: _Counts) -> bool:
        key = "activity/" + reg_id
        if self.view.get("registration/" + reg_id) is None:
            return True  # deleted meanwhile: drop the counts
        for _ in range(8):
            raw = self.view.get(key)
            total = _Counts.from_json(json.loads(raw)) if raw else _Counts()
            total.add(delta)
            new = json.dumps(total.to_json(), sort_keys=True).encode()
            if self.view.cas(key, raw, [(key, new)]):
                return True
        return False

    def forget(self, reg_id: str) -> None:
        """Drop pending counts of a deleted registration."""
        with self._lock:
            self._pending.pop(reg_id, None)

    def snapshot(self, reg_id: str) -> dict[str, Any]:
        """Stored totals plus this process's pending counts."""
        raw = self.view.get("activity/" + reg_id)
        total = _Counts.from_json(json.loads(raw)) if raw else _Counts()
        with self._lock:
            pending = self._pending.get(reg_id)
            if pending is not None:
                total.add(pending)
        return {
            "last_use": _rfc3339(total.last_use),
            "allowed_requests": total.allowed,
            "denied_requests": total.denied,
            "denied_by_layer": dict(sorted(total.denied_by.items())),
        }

    def stop(self) -> None:
        """Stop the flush thread after a last flush."""
        self._stop.set()
        self.flush()
