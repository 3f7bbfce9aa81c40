"""``sys/audit``, ``sys/audit/:path``, ``sys/audit-hash/:path`` and (extension)
``sys/audit/:path/chain-key``.

Everything below ``sys/audit`` is root-protected (needs ``sudo``), as in Vault. The
``chain-key`` read returns a device's chain key and this node's chain head, for
``vab audit verify``; a device path cannot end in ``/chain-key``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...audit import broker
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from . import SystemBackend

_DEVICE_PATH = Field(FieldType.STRING, description="The path of the audit device.")
_ENABLE_FIELDS = {
    "path": _DEVICE_PATH,
    "type": Field(FieldType.STRING, description="The type of the audit device (file)."),
    "description": Field(FieldType.STRING, description="User-friendly description."),
    "options": Field(
        FieldType.KV_PAIRS,
        description=(
            "Device options: file_path (or path): a file, stdout or discard; hmac_accessor, "
            "log_raw, elide_list_responses, prefix, format (json), mode."
        ),
    ),
    "local": Field(FieldType.BOOL, description="Mark the device local-only (no effect here)."),
}
_HASH_FIELDS = {
    "path": _DEVICE_PATH,
    "input": Field(FieldType.STRING, description="The value to hash."),
}


def paths(backend: SystemBackend) -> list[Path]:
    """The audit paths of ``sys/``."""
    audit = broker(backend.core)

    def list_devices(req: Request, data: FieldData) -> Response:
        return Response(data=audit.list_api(), top_level=True)

    def enable(req: Request, data: FieldData) -> None:
        audit.enable(
            data.get("path"),
            data.get("type"),
            data.get("description"),
            dict(data.get("options") or {}),
            bool(data.get("local")),
        )
        return None

    def disable(req: Request, data: FieldData) -> None:
        audit.disable(data.get("path"))
        return None

    def chain_key(req: Request, data: FieldData) -> Response:
        return Response(data=audit.chain_info(data.get("path")))

    def audit_hash(req: Request, data: FieldData) -> Response:
        value = data.get("input")
        if not value:
            raise InvalidRequest('the "input" parameter is empty')
        return Response(data={"hash": audit.hash(data.get("path"), value)}, top_level=True)

    return [
        Path(
            "audit",
            {Operation.READ: list_devices},
            help_synopsis="List the enabled audit devices.",
        ),
        Path(
            "audit/(?P<path>.+)/chain-key",
            {Operation.READ: chain_key},
            fields={"path": _DEVICE_PATH},
            help_synopsis="Read an audit device's chain key and chain head (vab extension).",
            help_description=(
                "Returns the HMAC key of the device's tamper-evidence chain and the head "
                "(seq and HMAC of the last line) of this node's chain, for `vab audit verify`."
            ),
        ),
        Path(
            "audit/(?P<path>.+)",
            {Operation.UPDATE: enable, Operation.DELETE: disable},
            fields=_ENABLE_FIELDS,
            help_synopsis="Enable or disable an audit device.",
        ),
        Path(
            "audit-hash/(?P<path>.+)",
            {Operation.UPDATE: audit_hash},
            fields=_HASH_FIELDS,
            help_synopsis="Hash a value the way an audit device does.",
        ),
    ]
