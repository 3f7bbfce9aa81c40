"""``sys/health``, ``sys/seal-status``, ``sys/leader`` (``sys/init`` is in ``seal.py``)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response

if TYPE_CHECKING:
    from . import SystemBackend

_HEALTH_FIELDS = {
    name: Field(FieldType.STRING, query=True, description=desc)
    for name, desc in {
        "standbyok": "Return 200 for a standby node.",
        "perfstandbyok": "Return 200 for a performance standby node.",
        "activecode": "Status code for an active node (default 200).",
        "standbycode": "Status code for a standby node (default 429).",
        "drsecondarycode": "Status code for a DR secondary (default 472).",
        "performancestandbycode": "Status code for a performance standby (default 473).",
        "sealedcode": "Status code for a sealed node (default 503).",
        "uninitcode": "Status code for an uninitialized node (default 501).",
        "removedcode": "Status code for a removed node (default 530).",
        "haunhealthycode": "Status code for an unhealthy HA node (default 474).",
    }.items()
}


_GO_BOOLS = {"1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"}


def _first(data: FieldData, name: str) -> str | None:
    """The first value of a query parameter (as Go's ``url.Values``), None when absent."""
    raw = data.raw.get(name)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    return None if raw is None else str(raw)


def _check_query(data: FieldData) -> None:
    """As OpenBao: a code that is not an integer, or a ``standbyok`` that is not a bool: 400."""
    for name in _HEALTH_FIELDS:
        value = _first(data, name)
        if value is None:
            continue
        if name == "perfstandbyok":  # OpenBao does not check it (no performance standbys)
            continue
        if name == "standbyok":
            valid = value in _GO_BOOLS or value == ""  # OpenBao: an empty flag is false
        else:
            valid = value.lstrip("+-").isdigit() and value.isascii()
        if not valid:
            raise InvalidRequest()


def _code(data: FieldData, name: str, default: int) -> int:
    raw = _first(data, name)
    if raw in (None, ""):
        return default
    code = int(raw)
    # Vault writes any integer as the status (Go's net/http panics on one outside 100-999 and
    # drops the connection); we keep the default instead of answering nothing.
    return code if 100 <= code <= 999 else default


def paths(backend: SystemBackend) -> list[Path]:
    """The health-type paths of ``sys/``."""
    core = backend.core

    def health(req: Request, data: FieldData) -> Response:
        _check_query(data)
        if not core.initialized:
            status = _code(data, "uninitcode", 501)
        elif core.sealed:
            status = _code(data, "sealedcode", 503)
        else:
            status = _code(data, "activecode", 200)
        body: dict[str, Any] = {
            "initialized": core.initialized,
            "sealed": core.sealed,
            "standby": False,
            "performance_standby": False,
            "replication_performance_mode": "disabled",
            "replication_dr_mode": "disabled",
            "server_time_utc": int(time.time()),
            "version": core.options.version,
            "enterprise": False,
            "cluster_name": core.options.cluster_name,
            "cluster_id": core.cluster_id,
            "echo_duration_ms": 0,
            "clock_skew_ms": 0,
            "replication_primary_canary_age_ms": 0,
            "removed_from_cluster": False,
            "ha_connection_healthy": True,
            "last_request_forwarding_heartbeat_ms": 0,
        }
        if core.sealed or not core.initialized:
            body = {
                k: body[k]
                for k in (
                    "initialized",
                    "sealed",
                    "standby",
                    "performance_standby",
                    "replication_performance_mode",
                    "replication_dr_mode",
                    "server_time_utc",
                    "version",
                    "enterprise",
                    "echo_duration_ms",
                    "clock_skew_ms",
                )
            }
        return Response(raw=RawResponse(status=status, body=body))

    def seal_status(req: Request, data: FieldData) -> Response:
        return Response(raw=RawResponse(body=seal_status_body(core)))

    def leader(req: Request, data: FieldData) -> Response:
        return Response(
            raw=RawResponse(
                body={
                    "ha_enabled": False,
                    "is_self": False,
                    "active_time": "0001-01-01T00:00:00Z",
                    "leader_address": "",
                    "leader_cluster_address": "",
                    "performance_standby": False,
                    "performance_standby_last_remote_wal": 0,
                }
            )
        )

    return [
        Path(
            "health",
            {Operation.READ: health},
            fields=_HEALTH_FIELDS,
            help_synopsis="Checks the health of the server.",
        ),
        Path(
            "seal-status",
            {Operation.READ: seal_status},
            help_synopsis="Returns the seal status of the server.",
        ),
        Path(
            "leader",
            {Operation.READ: leader},
            help_synopsis="Returns the high availability status and current leader.",
        ),
    ]


def seal_status_body(core: Any) -> dict[str, Any]:
    """The body of ``sys/seal-status`` (also answered by ``sys/unseal``)."""
    seal = core.hooks.get("seal")
    threshold, shares, progress = (1, 1, 0) if seal is None else seal.status()
    body: dict[str, Any] = {
        "type": "shamir",
        "initialized": core.initialized,
        "sealed": core.sealed,
        "t": threshold,
        "n": shares,
        "progress": progress,
        "nonce": seal.nonce() if seal is not None else "",
        "version": core.options.version,
        "build_date": "2026-12-01T00:00:00Z",
        "migration": False,
        "recovery_seal": False,
        "storage_type": getattr(seal, "storage_type", "inmem"),
    }
    if not core.sealed:
        body["cluster_name"] = core.options.cluster_name
        body["cluster_id"] = core.cluster_id
    return body
