"""``sys/wrapping/wrap|lookup|unwrap|rewrap``: response-wrapping tokens."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from ...core import wrapping as core_wrapping
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response, WrapInfo

if TYPE_CHECKING:
    from . import SystemBackend

_TOKEN = {"token": Field(FieldType.STRING, description="The wrapping token ID.")}


def paths(backend: SystemBackend) -> list[Path]:
    """The wrapping paths of ``sys/``."""
    core = backend.core

    def wrap(req: Request, data: FieldData) -> Response:
        if req.wrap_ttl <= 0:
            raise InvalidRequest("endpoint requires response wrapping to be used")
        return Response(data=dict(req.data))

    def lookup(req: Request, data: FieldData) -> Response:
        token = core_wrapping.validate_request(core, req, in_handler=True)
        info = core_wrapping.read_wrapinfo(core, token.entry.id)
        body = {
            "creation_path": info.get("creation_path", ""),
            "creation_time": info.get("creation_time", ""),
            "creation_ttl": info.get("creation_ttl", 0),
        }
        return Response(data=body)

    def unwrap(req: Request, data: FieldData) -> Response:
        token = core_wrapping.validate_request(core, req, in_handler=True)
        stored = core_wrapping.consume(core, token)
        if req.wrap_ttl > 0:
            # Wrapping the unwrapped response again: wrap its fields, not the raw bytes.
            original = json.loads(stored)
            return Response(data=original.get("data"), warnings=original.get("warnings") or [])
        return Response(raw=RawResponse(status=200, body=stored))

    def rewrap(req: Request, data: FieldData) -> Response:
        token = core_wrapping.validate_request(core, req, in_handler=True)
        info = core_wrapping.read_wrapinfo(core, token.entry.id)
        stored = core_wrapping.consume(core, token)
        ttl = int(info.get("creation_ttl", 0) or 0)
        placeholder = WrapInfo(
            token="",
            accessor="",
            ttl=ttl,
            creation_time="",
            creation_path=str(info.get("creation_path", "")),
        )
        return Response(data={"response": stored}, wrap_info=placeholder, wrap_ttl=ttl)

    return [
        Path(
            "wrapping/wrap",
            {Operation.UPDATE: wrap},
            take_unknown_fields=True,
            help_synopsis="Response-wraps an arbitrary JSON object.",
            help_description="Round trips the given input data into a response-wrapped token.",
        ),
        Path(
            "wrapping/lookup",
            {Operation.READ: lookup, Operation.UPDATE: lookup},
            fields=_TOKEN,
            help_synopsis="Looks up the properties of a response-wrapped token.",
        ),
        Path(
            "wrapping/unwrap",
            {Operation.UPDATE: unwrap},
            fields=_TOKEN,
            help_synopsis="Unwraps a response-wrapped token.",
        ),
        Path(
            "wrapping/rewrap",
            {Operation.UPDATE: rewrap},
            fields=_TOKEN,
            help_synopsis="Rotates a response-wrapped token.",
        ),
    ]
