"""``auth/token/lookup``, ``lookup-self``, ``lookup-accessor`` and ``accessors`` (LIST)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest, PermissionDenied, VaultError
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from .backend import TokenBackend
    from .entry import TokenEntry

TOKEN_FIELD = {"token": Field(FieldType.STRING, "Token to look up (POST request body)")}
SELF_TOKEN_FIELD = {"token": Field(FieldType.STRING, "Unused, does not need to be set")}
ACCESSOR_FIELD = {"accessor": Field(FieldType.STRING, "Accessor of the token (request body)")}


def bad_token() -> VaultError:
    """Vault's answer to a lookup of an unknown token: 403 ``bad token``."""
    return VaultError("bad token", status=403)


class LookupPaths:
    """Token lookups and the accessor list."""

    def __init__(self, backend: TokenBackend):
        self.backend = backend
        self.store = backend.store

    def paths(self) -> list[Path]:
        """The declared lookup paths."""
        return [
            Path(
                "accessors/?",
                {Operation.LIST: self.list_accessors},
                help_synopsis="List token accessors (requires sudo).",
            ),
            Path(
                "lookup-accessor",
                {Operation.UPDATE: self.lookup_accessor},
                fields=ACCESSOR_FIELD,
                help_synopsis="Look up a token by its accessor.",
            ),
            Path(
                "lookup-self",
                {Operation.READ: self.lookup_self, Operation.UPDATE: self.lookup_self},
                fields=SELF_TOKEN_FIELD,
                help_synopsis="Look up the calling token.",
            ),
            Path(
                "lookup",
                {Operation.READ: self.lookup, Operation.UPDATE: self.lookup},
                fields=TOKEN_FIELD,
                help_synopsis="Look up a token.",
            ),
        ]

    def describe(self, entry: TokenEntry, *, show_id: bool = True) -> dict[str, Any]:
        """Lookup data of a token, with its entity's identity policies."""
        data = entry.lookup_data(show_id=show_id)
        if entry.entity_id and not entry.no_identity_policies:
            identity_policies = self.backend.lookup_identity_policies(entry.entity_id)
            if identity_policies:
                data["identity_policies"] = identity_policies
                data["external_namespace_policies"] = {}
        return data

    def lookup(self, req: Request, data: FieldData) -> Response:
        token: str = data.get("token") or req.client_token
        if not token:
            raise InvalidRequest("missing token ID")
        entry = self.store.lookup(token)
        if entry is None:
            raise bad_token()
        return Response(data=self.describe(entry))

    def lookup_self(self, req: Request, data: FieldData) -> Response:
        caller = req.caller
        if caller is not None and caller.kind != "token":
            describe = getattr(caller.agent, "lookup_data", None)
            if describe is None:
                raise PermissionDenied()
            return Response(data=describe())
        if not req.client_token:
            raise InvalidRequest("missing token ID")
        # The pipeline already loaded (and counted a use of) the caller's token.
        entry = caller.token if caller is not None and caller.token is not None else None
        if entry is None or entry.id != req.client_token:
            entry = self.store.lookup(req.client_token)
        if entry is None:
            raise bad_token()
        return Response(data=self.describe(entry))

    def lookup_accessor(self, req: Request, data: FieldData) -> Response:
        accessor: str = data.get("accessor")
        if not accessor:
            raise InvalidRequest("missing accessor", multierror=True)
        if not self.store.accessor_exists(accessor):
            raise InvalidRequest("invalid accessor", multierror=True)
        entry = self.store.lookup_accessor(accessor)
        if entry is None:
            raise bad_token()
        return Response(data=self.describe(entry, show_id=False))

    def list_accessors(self, req: Request, data: FieldData) -> Response:
        return Response(data={"keys": self.store.accessors()})
