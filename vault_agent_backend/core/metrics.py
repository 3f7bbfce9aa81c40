"""In-process telemetry: counters and timing samples kept by the core, shown by ``sys/metrics``.

Names follow Vault's telemetry (``vault.core.handle_request``, ``vault.route.<op>.<mount>``);
values are per process (each worker of a multi-process server keeps its own).
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .core import Core

Labels = tuple[tuple[str, str], ...]


@dataclass
class Sample:
    """A running aggregate (Vault's "sample"/"counter" entries: count, sum, min, max...)."""

    count: int = 0
    total: float = 0.0
    minimum: float = math.inf
    maximum: float = -math.inf
    squares: float = 0.0

    def add(self, value: float) -> None:
        """Record one value."""
        self.count += 1
        self.total += value
        self.squares += value * value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)

    def to_json(self, name: str, labels: Labels, interval: float) -> dict[str, Any]:
        """Vault's JSON form of a sample."""
        mean = self.total / self.count if self.count else 0.0
        variance = self.squares / self.count - mean * mean if self.count else 0.0
        return {
            "Name": name,
            "Count": self.count,
            "Rate": self.total / interval if interval else 0.0,
            "Sum": self.total,
            "Min": self.minimum if self.count else 0.0,
            "Max": self.maximum if self.count else 0.0,
            "Mean": mean,
            "Stddev": math.sqrt(max(variance, 0.0)),
            "Labels": dict(labels),
        }


@dataclass
class Metrics:
    """Counters (``incr``) and timing samples in milliseconds (``observe``)."""

    started: float = field(default_factory=time.time)
    counters: dict[tuple[str, Labels], Sample] = field(default_factory=dict)
    samples: dict[tuple[str, Labels], Sample] = field(default_factory=dict)
    in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def incr(self, name: str, value: float = 1.0, **labels: str) -> None:
        """Add to a counter."""
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self.counters.setdefault(key, Sample()).add(value)

    def observe(self, name: str, millis: float, **labels: str) -> None:
        """Record a duration in milliseconds."""
        key = (name, tuple(sorted(labels.items())))
        with self._lock:
            self.samples.setdefault(key, Sample()).add(millis)

    def request_started(self) -> float:
        """Mark a request in flight; returns its start time."""
        with self._lock:
            self.in_flight += 1
        return time.perf_counter()

    def request_finished(self, start: float, operation: str, mount: str, status: int) -> None:
        """Record one handled request."""
        millis = (time.perf_counter() - start) * 1000.0
        with self._lock:
            self.in_flight -= 1
        self.observe("vault.core.handle_request", millis)
        route = mount.replace("/", "-") or "root"
        self.observe(f"vault.route.{operation}.{route}", millis)
        self.incr("vab.core.requests", status=str(status), operation=operation)

    def snapshot(self) -> tuple[list[tuple[str, Labels, Sample]], list[tuple[str, Labels, Sample]]]:
        """Copies of the counters and samples."""
        with self._lock:
            counters = [(n, lb, _copy(s)) for (n, lb), s in sorted(self.counters.items())]
            samples = [(n, lb, _copy(s)) for (n, lb), s in sorted(self.samples.items())]
        return counters, samples


def _copy(sample: Sample) -> Sample:
    return Sample(sample.count, sample.total, sample.minimum, sample.maximum, sample.squares)


_LOCK = threading.Lock()


def metrics(core: Core) -> Metrics:
    """The core's metrics (created on first use, kept in ``core.hooks``)."""
    found = core.hooks.get("metrics")
    if found is None:
        with _LOCK:
            found = core.hooks.get("metrics")
            if found is None:
                found = Metrics()
                core.hooks["metrics"] = found
    return found
