"""``auth/token/renew*``, ``revoke*`` and ``tidy``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest, PermissionDenied
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response
from .paths_lookup import ACCESSOR_FIELD
from .ttl import TTLError

if TYPE_CHECKING:
    from .backend import TokenBackend
    from .entry import TokenEntry

_INCREMENT = Field(
    FieldType.DURATION, "The desired increment in seconds to the token expiration", default=0
)
TIDY_STARTED = (
    "Tidy operation successfully started. Any information from the operation will be printed "
    "to the server logs."
)


class RenewRevokePaths:
    """Renewal, revocation and tidy handlers."""

    def __init__(self, backend: TokenBackend):
        self.backend = backend
        self.store = backend.store

    def paths(self) -> list[Path]:
        """The declared renew/revoke/tidy paths."""
        token_field = Field(FieldType.STRING, "Token (request body)")
        return [
            Path(
                "renew-accessor",
                {Operation.UPDATE: self.renew_accessor},
                fields={**ACCESSOR_FIELD, "increment": _INCREMENT},
                help_synopsis="Renew a token by its accessor.",
            ),
            Path(
                "renew-self",
                {Operation.UPDATE: self.renew_self},
                fields={"token": token_field, "increment": _INCREMENT},
                help_synopsis="Renew the calling token.",
            ),
            Path(
                "renew",
                {Operation.UPDATE: self.renew},
                fields={"token": token_field, "increment": _INCREMENT},
                help_synopsis="Renew a token.",
            ),
            Path(
                "revoke-accessor",
                {Operation.UPDATE: self.revoke_accessor},
                fields=ACCESSOR_FIELD,
                help_synopsis="Revoke a token and its children by its accessor.",
            ),
            Path(
                "revoke-self",
                {Operation.UPDATE: self.revoke_self},
                help_synopsis="Revoke the calling token and its children.",
            ),
            Path(
                "revoke-orphan",
                {Operation.UPDATE: self.revoke_orphan},
                fields={"token": token_field},
                help_synopsis="Revoke a token, leaving its children as orphans (sudo).",
            ),
            Path(
                "revoke",
                {Operation.UPDATE: self.revoke},
                fields={"token": token_field},
                help_synopsis="Revoke a token and its children.",
            ),
            Path(
                "tidy",
                {Operation.UPDATE: self.tidy},
                help_synopsis="Clean up dangling token storage entries.",
            ),
        ]

    # ----- renew -------------------------------------------------------------------------------

    def renew_entry(self, entry: TokenEntry, increment: int) -> Response:
        """Renew a token (Vault's RenewToken) and answer with the new ``auth`` block."""
        if entry.is_batch:
            raise InvalidRequest("batch tokens cannot be renewed")
        renewable, reason = entry.lease_renewable()
        if not renewable:
            raise InvalidRequest(reason)
        inputs = self._renewal_inputs(entry)
        if inputs is None:
            # the auth method declined (e.g. its user is gone): Vault answers 204 and the
            # token keeps its current expiry
            return Response()
        backend_ttl, backend_max, period, explicit = inputs
        try:
            result = self.store.renew(
                entry,
                increment,
                period=period,
                explicit_max_ttl=explicit,
                backend_ttl=backend_ttl,
                backend_max_ttl=backend_max,
            )
        except TTLError as exc:
            raise InvalidRequest(str(exc)) from None
        auth = self.backend.auth_for(entry, renewable=entry.renewable)
        auth.lease_duration = result.ttl
        return Response(auth=auth, warnings=list(result.warnings))

    def _renewal_inputs(self, entry: TokenEntry) -> tuple[int, int, int, int] | None:
        """(backend TTL, backend max TTL, period, explicit max TTL) for a renewal; None
        when the auth method that issued the token declines to renew it."""
        if entry.path.startswith("auth/token/"):
            if entry.role:
                role = self.backend.roles.get(entry.role)
                if role is None:
                    raise InvalidRequest(
                        f'original token role "{entry.role}" could not be found, not renewing'
                    )
                return entry.lease_ttl, 0, role.token_period, role.token_explicit_max_ttl
            return entry.lease_ttl, 0, entry.period, entry.explicit_max_ttl
        routed = self.backend.core.route(entry.path)
        if routed is None:
            raise InvalidRequest("no handler for the auth method that issued this token")
        hook = getattr(routed[1], "renew_auth", None)
        if hook is not None:
            auth = hook(entry)
            if auth is None:
                return None
            return auth.ttl, auth.max_ttl, auth.period, auth.explicit_max_ttl
        explicit = entry.lease_explicit_max_ttl
        return entry.lease_ttl, entry.lease_max_ttl, entry.lease_period, explicit

    def _require_token_caller(self, req: Request) -> None:
        caller = req.caller
        if caller is not None and caller.kind != "token":
            raise PermissionDenied()

    def renew(self, req: Request, data: FieldData) -> Response:
        self._require_token_caller(req)
        token: str = data.get("token")
        if not token:
            raise InvalidRequest("missing token ID")
        entry = self.store.lookup(token, usable_only=True)
        if entry is None:
            raise InvalidRequest("token not found")
        return self.renew_entry(entry, data.get("increment"))

    def renew_self(self, req: Request, data: FieldData) -> Response:
        self._require_token_caller(req)
        if not req.client_token:
            raise InvalidRequest("missing token ID")
        entry = self.store.lookup(req.client_token, usable_only=True)
        if entry is None:
            raise InvalidRequest("token not found")
        return self.renew_entry(entry, data.get("increment"))

    def renew_accessor(self, req: Request, data: FieldData) -> Response:
        self._require_token_caller(req)
        accessor: str = data.get("accessor")
        if not accessor:
            raise InvalidRequest("missing accessor", multierror=True)
        if not self.store.accessor_exists(accessor):
            raise InvalidRequest("invalid accessor", multierror=True)
        entry = self.store.lookup_accessor(accessor, usable_only=True)
        if entry is None:
            raise InvalidRequest("token not found")
        response = self.renew_entry(entry, data.get("increment"))
        if response.auth is not None:
            response.auth.client_token = ""
        return response

    # ----- revoke ------------------------------------------------------------------------------

    def _revoke_common(self, token: str) -> None:
        entry = self.store.lookup(token, usable_only=True)
        if entry is None:
            return
        if entry.is_batch:
            raise InvalidRequest("batch tokens cannot be revoked")
        self.store.revoke(entry)

    def revoke(self, req: Request, data: FieldData) -> None:
        token: str = data.get("token")
        if not token:
            raise InvalidRequest("missing token ID")
        self._revoke_common(token)

    def revoke_self(self, req: Request, data: FieldData) -> None:
        self._require_token_caller(req)
        if req.client_token:
            self._revoke_common(req.client_token)

    def revoke_accessor(self, req: Request, data: FieldData) -> Response | None:
        accessor: str = data.get("accessor")
        if not accessor:
            raise InvalidRequest("missing accessor", multierror=True)
        if not self.store.accessor_exists(accessor):
            return Response(warnings=["No token found with this accessor"])
        entry = self.store.lookup_accessor(accessor, usable_only=True)
        if entry is None:
            raise InvalidRequest("token not found")
        self.store.revoke(entry)
        return None

    def revoke_orphan(self, req: Request, data: FieldData) -> None:
        token: str = data.get("token")
        if not token:
            raise InvalidRequest("missing token ID")
        if not self.backend.has_sudo(req):
            raise InvalidRequest("root or sudo privileges required to revoke and orphan")
        entry = self.store.lookup(token, usable_only=True)
        if entry is None:
            raise InvalidRequest("token to revoke not found")
        if entry.is_batch:
            raise InvalidRequest("batch tokens cannot be revoked")
        self.store.revoke(entry, orphan_children=True)

    # ----- tidy --------------------------------------------------------------------------------

    def tidy(self, req: Request, data: FieldData) -> Response:
        if not self.store.try_tidy():
            return Response(warnings=["Tidy operation already in progress."])
        return Response(warnings=[TIDY_STARTED], status=202)
