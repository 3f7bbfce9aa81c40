"""``sys/capabilities``, ``sys/capabilities-self`` and ``sys/capabilities-accessor``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.request_handling import authenticate
from ...framework.errors import InvalidRequest, VaultError
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Caller, Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from . import SystemBackend

_PATHS = Field(FieldType.COMMA_STRING_SLICE, description="Paths on which capabilities are checked.")
_PATH = Field(
    FieldType.COMMA_STRING_SLICE,
    description="Use 'paths' instead.",
    deprecated=True,
)


def _bad(message: str) -> InvalidRequest:
    return InvalidRequest(message, multierror=True)


def _caller_for_token(core: Any, token: str) -> Caller:
    """Resolve another token as the pipeline would (400 ``invalid token`` when it cannot)."""
    probe = Request(operation=Operation.UPDATE, path="sys/capabilities", client_token=token)
    try:
        return authenticate(core, probe)
    except VaultError as exc:
        detail = getattr(exc, "acl_error", None)
        if detail:  # a templated policy broke the token's ACL: 403 with the reason (OpenBao)
            raise VaultError(detail, status=403, multierror=True) from None
        raise _bad("invalid token") from None


def caller_capabilities(caller: Caller, path: str) -> list[str]:
    """Sorted capabilities of a caller on a path (``["root"]`` for root)."""
    if caller.is_root:
        return ["root"]
    if not caller.policies and caller.kind == "token":
        return ["deny"]
    special = getattr(caller.agent, "capabilities_self", None) if caller.agent else None
    caps = special(path) if special is not None else caller.acl.capabilities(path)
    return sorted(caps)


def paths(backend: SystemBackend) -> list[Path]:
    """The capabilities paths of ``sys/``."""
    core = backend.core

    def answer(caller: Caller, data: FieldData) -> Response:
        wanted = data.get("paths") or data.get("path")
        if not wanted:
            raise InvalidRequest("paths must be supplied")
        body: dict[str, Any] = {}
        for path in wanted:
            if not path:
                raise _bad("missing path")
            body[path] = caller_capabilities(caller, path)
        if len(wanted) == 1:
            body["capabilities"] = body[wanted[0]]
        return Response(data=body, top_level=True)

    def self_caps(req: Request, data: FieldData) -> Response:
        if req.caller is None:
            raise InvalidRequest("no token found")
        return answer(req.caller, data)

    def token_caps(req: Request, data: FieldData) -> Response:
        token = data.raw.get("token")
        if not isinstance(token, str) or not token:
            raise InvalidRequest("no token found")
        if not (data.get("paths") or data.get("path")):
            raise InvalidRequest("paths must be supplied")
        return answer(_caller_for_token(core, token), data)

    def accessor_caps(req: Request, data: FieldData) -> Response:
        accessor = data.get("accessor")
        if not accessor:
            raise InvalidRequest("missing accessor")
        entry = core.token_store.lookup_accessor(accessor)
        if entry is None:
            raise _bad("invalid accessor")
        if not (data.get("paths") or data.get("path")):
            raise InvalidRequest("paths must be supplied")
        return answer(_caller_for_token(core, entry.id), data)

    token_field = Field(FieldType.STRING, description="Token for which capabilities are checked.")
    return [
        Path(
            "capabilities-accessor",
            {Operation.UPDATE: accessor_caps},
            fields={
                "accessor": Field(FieldType.STRING, description="Accessor of the token to check."),
                "paths": _PATHS,
                "path": _PATH,
            },
            help_synopsis="Fetches the capabilities of the token associated with the accessor.",
        ),
        Path(
            "capabilities",
            {Operation.UPDATE: token_caps},
            fields={"token": token_field, "paths": _PATHS, "path": _PATH},
            help_synopsis="Fetches the capabilities of the given token on the given path.",
        ),
        Path(
            "capabilities-self",
            {Operation.UPDATE: self_caps},
            fields={"token": token_field, "paths": _PATHS, "path": _PATH},
            help_synopsis="Fetches the capabilities of the given token on the given path.",
        ),
    ]
