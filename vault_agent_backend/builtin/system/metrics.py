"""``sys/metrics`` (JSON or ``?format=prometheus``), ``sys/host-info`` and
``sys/version-history``."""

from __future__ import annotations

import os
import platform
import socket
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...core.expiration import manager as lease_manager
from ...core.metrics import Labels, Sample, metrics
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response

if TYPE_CHECKING:
    from . import SystemBackend

PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _gauges(core: Any) -> list[tuple[str, Labels, float]]:
    stats = metrics(core)
    cluster = (("cluster", core.options.cluster_name),)
    out: list[tuple[str, Labels, float]] = [
        ("vault.core.active", cluster, 1.0),
        ("vault.core.unsealed", cluster, 0.0 if core.sealed else 1.0),
        ("vault.core.in_flight_requests", cluster, float(stats.in_flight)),
    ]
    for table, kind in (("auth", "auth"), ("mounts", "logical")):
        count = len(core.mounts(table))
        labels = (*cluster, ("local", "false"), ("type", kind))
        out.append(("vault.core.mount_table.num_entries", labels, float(count)))
    out.append(("vault.expire.num_leases", (), float(lease_manager(core).count())))
    out.append(("vault.token.count", (), float(len(core.token_store.accessors()))))
    uptime = time.time() - stats.started
    out.append(("vab.process.uptime_seconds", (), round(uptime, 3)))
    return out


def _json_body(core: Any) -> dict[str, Any]:
    counters, samples = metrics(core).snapshot()
    interval = max(time.time() - metrics(core).started, 1.0)
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S +0000 UTC")
    return {
        "Timestamp": now,
        "Gauges": [
            {"Name": name, "Value": value, "Labels": dict(labels)}
            for name, labels, value in _gauges(core)
        ],
        "Points": [],
        "Counters": [s.to_json(n, lb, interval) for n, lb, s in counters],
        "Samples": [s.to_json(n, lb, interval) for n, lb, s in samples],
    }


def _prom_name(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name)


def _prom_labels(labels: Labels, extra: Labels = ()) -> str:
    items = [*labels, *extra]
    if not items:
        return ""
    escaped = (
        f'{_prom_name(k)}="{v.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
        for k, v in items
    )
    return "{" + ",".join(escaped) + "}"


def _prometheus_text(core: Any) -> str:
    counters, samples = metrics(core).snapshot()
    lines: list[str] = []
    typed: set[str] = set()

    def header(name: str, kind: str) -> None:
        if name not in typed:
            typed.add(name)
            lines.append(f"# HELP {name} {name}")
            lines.append(f"# TYPE {name} {kind}")

    for name, labels, value in _gauges(core):
        prom = _prom_name(name)
        header(prom, "gauge")
        lines.append(f"{prom}{_prom_labels(labels)} {_num(value)}")
    for name, labels, sample in counters:
        prom = _prom_name(name)
        header(prom, "counter")
        lines.append(f"{prom}{_prom_labels(labels)} {_num(sample.total)}")
    for name, labels, sample in samples:
        prom = _prom_name(name)
        header(prom, "summary")
        lines.extend(_summary_lines(prom, labels, sample))
    return "\n".join(lines) + "\n"


def _summary_lines(prom: str, labels: Labels, sample: Sample) -> list[str]:
    return [
        f"{prom}_sum{_prom_labels(labels)} {_num(sample.total)}",
        f"{prom}_count{_prom_labels(labels)} {sample.count}",
    ]


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def paths(backend: SystemBackend) -> list[Path]:
    """Telemetry and host paths of ``sys/``."""
    core = backend.core

    def read_metrics(req: Request, data: FieldData) -> Response:
        fmt = data.get("format")
        if fmt == "prometheus":
            text = _prometheus_text(core)
            return Response(raw=RawResponse(200, text, content_type=PROMETHEUS_TYPE))
        if fmt:
            return Response(
                raw=RawResponse(400, f'metric response format "{fmt}" unknown', "text/plain")
            )
        return Response(raw=RawResponse(200, _json_body(core)))

    def host_info(req: Request, data: FieldData) -> Response:
        uname = platform.uname()
        load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
        return Response(
            data={
                "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                "host": {
                    "hostname": socket.gethostname(),
                    "os": uname.system.lower(),
                    "platform": uname.system.lower(),
                    "kernelVersion": uname.release,
                    "kernelArch": uname.machine,
                    "procs": len(os.listdir("/proc")) if os.path.isdir("/proc") else 0,
                },
                "cpu": [{"cpu": i, "cores": 1} for i in range(os.cpu_count() or 1)],
                "load": {"load1": load[0], "load5": load[1], "load15": load[2]},
            }
        )

    def version_history(req: Request, data: FieldData) -> Response:
        version = core.options.version
        installed = datetime.fromtimestamp(metrics(core).started, UTC)
        return Response(
            data={
                "keys": [version],
                "key_info": {
                    version: {
                        "commit_date": "",
                        "previous_version": None,
                        "timestamp_installed": installed.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                },
            }
        )

    return [
        Path(
            "metrics",
            {Operation.READ: read_metrics},
            fields={
                "format": Field(
                    FieldType.STRING,
                    query=True,
                    description='Format to export metrics into: "prometheus" or JSON (default).',
                )
            },
            help_synopsis="Export the metrics aggregated for telemetry purpose.",
        ),
        Path(
            "host-info",
            {Operation.READ: host_info},
            help_synopsis="Information about the host instance this server is running on.",
        ),
        Path(
            "version-history/?",
            {Operation.LIST: version_history},
            help_synopsis="Returns map of historical version change entries.",
        ),
    ]
