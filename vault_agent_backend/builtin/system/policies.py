"""ACL policy CRUD: ``sys/policies/acl/:name`` and the legacy ``sys/policy/:name``."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from . import SystemBackend

_NAME = Field(FieldType.STRING, description="The name of the policy.")
_POLICY = Field(FieldType.STRING, description="The rules of the policy (HCL or base64 of it).")


def _decode_policy(text: str) -> str:
    """Vault accepts the policy text itself or its base64 encoding."""
    stripped = text.strip()
    if stripped and all((c.isascii() and c.isalnum()) or c in "+/=\n" for c in stripped):
        try:
            decoded = base64.b64decode(stripped, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return text
        return decoded
    return text


def paths(backend: SystemBackend) -> list[Path]:
    """The policy paths of ``sys/``."""
    store = backend.core.policy_store

    def list_names(req: Request, data: FieldData) -> Response:
        return Response(data={"keys": [*store.names(), "root"]})

    def list_legacy(req: Request, data: FieldData) -> Response:
        names = [*store.names(), "root"]
        return Response(data={"keys": names, "policies": names}, top_level=True)

    def record_for(name: str) -> dict | None:
        if name == "root":
            return {"policy": "", "version": 0}
        return store.read_record(name)

    def read(req: Request, data: FieldData) -> Response | None:
        name = data.get("name").strip().lower()
        record = record_for(name)
        if record is None:
            return None
        return Response(data={"name": name, "policy": record["policy"]})

    def read_legacy(req: Request, data: FieldData) -> Response | None:
        name = data.get("name").strip().lower()
        record = record_for(name)
        if record is None:
            return None
        body = {"name": name, "rules": record["policy"]}
        return Response(data=body, top_level=True)

    def write(req: Request, data: FieldData) -> Response | None:
        text = data.get("policy")
        warnings = []
        if not text and "rules" in data.schema and data.get("rules"):
            text = data.get("rules")
            warnings.append("'rules' is deprecated, please use 'policy' instead")
        if not text:
            raise InvalidRequest("'policy' parameter not supplied or empty")
        cas = data.get("cas") if data.has("cas") else None
        store.write(data.get("name"), _decode_policy(text), cas=cas)
        return Response(warnings=warnings) if warnings else None

    def delete(req: Request, data: FieldData) -> None:
        store.delete(data.get("name"))
        return None

    acl_fields = {
        "name": _NAME,
        "policy": _POLICY,
        "cas": Field(FieldType.INT, description="Check-and-set version."),
    }
    legacy_fields = {
        **acl_fields,
        "rules": Field(FieldType.STRING, description="Deprecated alias of policy."),
    }
    return [
        Path(
            "policies/acl/?",
            {Operation.LIST: list_names},
            help_synopsis="List the configured ACL policies.",
        ),
        Path(
            r"policies/acl/(?P<name>.+)",
            {Operation.READ: read, Operation.UPDATE: write, Operation.DELETE: delete},
            fields=acl_fields,
            help_synopsis="Read, write or delete an ACL policy.",
        ),
        Path(
            "policy/?",
            {Operation.READ: list_legacy, Operation.LIST: list_names},
            help_synopsis="List the configured policies (legacy).",
        ),
        Path(
            r"policy/(?P<name>.+)",
            {Operation.READ: read_legacy, Operation.UPDATE: write, Operation.DELETE: delete},
            fields=legacy_fields,
            help_synopsis="Read, write or delete a policy (legacy).",
        ),
    ]
