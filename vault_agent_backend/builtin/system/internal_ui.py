"""``sys/internal/ui/mounts[/:path]`` and ``sys/internal/ui/resultant-acl``.

The CLI's ``kv`` commands read ``sys/internal/ui/mounts/<path>`` to find the mount and its
KV version; UIs list the mounts a token can see.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.request_handling import authenticate
from ...framework.errors import InvalidRequest, PermissionDenied, VaultError
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Caller, Operation, Request
from ...framework.response import Response
from .mount_config import mount_api

if TYPE_CHECKING:
    from ...core.mounts import MountEntry
    from . import SystemBackend


def mount_info(entry: MountEntry) -> dict[str, Any]:
    """What ``sys/internal/ui/mounts`` shows of a mount for an authenticated caller."""
    return dict(sorted(mount_api(entry).items()))


def has_mount_access(caller: Caller | None, mount_path: str) -> bool:
    """Whether the caller has any capability at or below a mount (``auth/`` included)."""
    if caller is None or caller.acl is None:
        return False
    if caller.is_root:
        return True
    check = getattr(caller.acl, "has_mount_access", None)
    if check is not None:
        return bool(check(mount_path))
    return caller.acl.capabilities(mount_path) != ["deny"]


def _full_path(entry: MountEntry) -> str:
    return entry.route_path


def _authenticated_caller(core: Any, req: Request) -> Caller | None:
    """The caller of an unauthenticated path that still sent a token (403 if it is bad)."""
    if not req.client_token:
        return None
    if req.caller is not None:
        return req.caller
    return authenticate(core, req)


def visible_mounts(core: Any, caller: Caller | None) -> dict[str, dict[str, Any]]:
    """``{"secret": {...}, "auth": {...}}`` as ``sys/internal/ui/mounts`` lists them."""
    out: dict[str, dict[str, Any]] = {"secret": {}, "auth": {}}
    for table, key in (("mounts", "secret"), ("auth", "auth")):
        for entry in core.mounts(table):
            unauth = entry.config.listing_visibility == "unauth"
            if not unauth and not has_mount_access(caller, _full_path(entry)):
                continue
            if caller is not None:
                out[key][entry.path] = mount_info(entry)
            else:
                out[key][entry.path] = {
                    "description": entry.description,
                    "options": entry.options,
                    "type": entry.type,
                }
    return out


def paths(backend: SystemBackend) -> list[Path]:
    """The ``sys/internal/ui`` paths."""
    core = backend.core

    def list_mounts(req: Request, data: FieldData) -> Response:
        caller = _authenticated_caller(core, req)
        return Response(data=visible_mounts(core, caller))

    def read_mount(req: Request, data: FieldData) -> Response:
        raw_path = data.get("path")
        if not raw_path:
            raise InvalidRequest("path not set")
        path = raw_path.strip("/") + "/"
        caller = _authenticated_caller(core, req)
        if caller is None:
            raise VaultError("permission denied", status=403)
        denied = VaultError(
            "preflight capability check returned 403, please ensure client's policies grant "
            f'access to path "{path}"',
            status=403,
        )
        routed = core.route(path)
        if routed is None:
            raise denied
        entry, _backend = routed
        if not has_mount_access(caller, _full_path(entry)):
            raise denied
        info = mount_info(entry)
        info["path"] = entry.path
        return Response(data=dict(sorted(info.items())))

    def resultant_acl(req: Request, data: FieldData) -> Response | None:
        caller = req.caller
        if caller is None:
            return None
        if caller.is_root:
            return Response(data={"root": True})
        acl = caller.acl
        build = getattr(acl, "resultant_acl", None)
        if build is None:
            raise PermissionDenied()
        return Response(data=build())

    return [
        Path(
            "internal/ui/mounts",
            {Operation.READ: list_mounts},
            help_synopsis="Information about mounts returned according to their tuned visibility.",
        ),
        Path(
            r"internal/ui/mounts/(?P<path>.+)",
            {Operation.READ: read_mount},
            fields={"path": Field(FieldType.STRING, description="The path of the mount.")},
            help_synopsis="Return information about the given mount.",
        ),
        Path(
            "internal/ui/resultant-acl",
            {Operation.READ: resultant_acl},
            help_synopsis="Information about a token's resultant ACL.",
        ),
    ]
