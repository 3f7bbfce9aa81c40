"""``sys/internal/specs/openapi``: the OpenAPI document of the mounts the caller can see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.fields import Field, FieldData, FieldType
from ...framework.openapi import MountSpec, document
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response
from .internal_ui import _authenticated_caller, has_mount_access

if TYPE_CHECKING:
    from . import SystemBackend

_TAGS = {"system": "system", "identity": "identity"}


def mount_specs(core: Any, caller: Any, *, everything: bool = False) -> list[MountSpec]:
    """One :class:`MountSpec` per mount the caller may see (all of them when ``everything``)."""
    specs: list[MountSpec] = []
    for table in ("mounts", "auth"):
        for entry in core.mounts(table):
            visible = (
                everything
                or entry.config.listing_visibility == "unauth"
                or has_mount_access(caller, entry.route_path)
            )
            if not visible:
                continue
            backend = core.backend_for(entry)
            if backend is None:
                continue
            tag = "auth" if table == "auth" else _TAGS.get(entry.type, "secrets")
            specs.append(
                MountSpec(
                    prefix=entry.route_path,
                    paths=list(backend.paths),
                    tag=tag,
                    mount_type=entry.type,
                    root_paths=tuple(backend.special.root),
                    unauthenticated_paths=tuple(backend.special.unauthenticated),
                )
            )
    return specs


def build_document(core: Any, caller: Any, *, everything: bool = False) -> dict[str, Any]:
    """The OpenAPI document for a caller (or of every mounted path)."""
    return document(mount_specs(core, caller, everything=everything), core.options.version)


def paths(backend: SystemBackend) -> list[Path]:
    """The ``sys/internal/specs/openapi`` path."""
    core = backend.core

    def read(req: Request, data: FieldData) -> Response:
        caller = _authenticated_caller(core, req)
        return Response(raw=RawResponse(200, build_document(core, caller)))

    return [
        Path(
            "internal/specs/openapi",
            {Operation.READ: read, Operation.UPDATE: read},
            fields={
                "context": Field(
                    FieldType.STRING,
                    query=True,
                    description="Context string appended to every operationId",
                ),
                "generic_mount_paths": Field(
                    FieldType.BOOL, query=True, description="Use generic mount paths"
                ),
            },
            help_synopsis="Generate an OpenAPI 3 document of all mounted paths.",
        ),
    ]
