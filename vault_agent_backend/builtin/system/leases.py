"""``sys/leases/*`` and the legacy ``sys/renew``, ``sys/revoke``, ``sys/revoke-prefix``,
``sys/revoke-force`` (kept by Vault, dropped by OpenBao)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...core.expiration import manager
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response

if TYPE_CHECKING:
    from . import SystemBackend

TIDY_WARNING = (
    "Tidy operation successfully started. Any information from the operation will be "
    "printed to Vault's server logs."
)
_LEASE_ID = Field(FieldType.STRING, description="The lease identifier.")
_URL_LEASE_ID = Field(FieldType.STRING, description="The lease identifier (URL parameter).")
_SYNC = Field(
    FieldType.BOOL, default=True, description="Whether to revoke synchronously (default true)."
)
_PREFIX = Field(FieldType.STRING, description="The lease path prefix.")


def _accepted() -> Response:
    """202 with an empty body (an asynchronous revocation was accepted)."""
    return Response(raw=RawResponse(status=202, body=""))


def _check_lease_type(data: FieldData) -> None:
    """Vault refuses a ``lease_id`` that is not a string before routing."""
    raw = data.raw.get("lease_id")
    if raw is not None and not isinstance(raw, str):
        raise InvalidRequest("invalid lease ID")


def _lease_id(data: FieldData) -> str:
    _check_lease_type(data)
    lease_id = data.get("lease_id") or data.get("url_lease_id")
    if not lease_id:
        raise InvalidRequest("lease_id must be specified")
    return lease_id


def paths(backend: SystemBackend) -> list[Path]:
    """The lease paths of ``sys/``."""
    core = backend.core

    def lookup(req: Request, data: FieldData) -> Response:
        _check_lease_type(data)
        lease_id = data.get("lease_id")
        if not lease_id:
            raise InvalidRequest("lease_id must be specified")
        info = manager(core).lookup(lease_id)
        if info is None:
            raise InvalidRequest("invalid lease")
        return Response(data=info)

    def list_prefix(req: Request, data: FieldData) -> Response:
        leases = manager(core)
        leases.maybe_sweep()
        return Response(data={"keys": leases.list(data.get("prefix") or "")})

    def renew(req: Request, data: FieldData) -> Response | None:
        response = manager(core).renew(_lease_id(data), data.get("increment"))
        if response.secret is None and not response.warnings:
            return None
        return response

    def revoke(req: Request, data: FieldData) -> Response | None:
        manager(core).revoke(_lease_id(data))
        return None if data.get("sync") else _accepted()

    def revoke_prefix(force: bool):
        def handler(req: Request, data: FieldData) -> Response | None:
            manager(core).revoke_prefix(data.get("prefix"), force=force)
            return None if force or data.get("sync") else _accepted()

        return handler

    def tidy(req: Request, data: FieldData) -> Response:
        manager(core).tidy()
        return Response(warnings=[TIDY_WARNING], status=202)

    renew_fields = {
        "lease_id": _LEASE_ID,
        "url_lease_id": _URL_LEASE_ID,
        "increment": Field(
            FieldType.DURATION, description="The desired increment in seconds to the lease."
        ),
    }
    revoke_fields = {"lease_id": _LEASE_ID, "url_lease_id": _URL_LEASE_ID, "sync": _SYNC}
    out = [
        Path(
            r"leases/lookup/(?P<prefix>.+?)?",
            {Operation.LIST: list_prefix},
            fields={"prefix": _PREFIX},
            help_synopsis="List leases below a prefix (needs sudo).",
        ),
        Path(
            "leases/lookup",
            {Operation.UPDATE: lookup, Operation.LIST: list_prefix},
            fields={"lease_id": _LEASE_ID, "prefix": _PREFIX},
            help_synopsis="View or list lease metadata.",
        ),
        Path(
            r"leases/renew(/(?P<url_lease_id>.+))?",
            {Operation.UPDATE: renew},
            fields=renew_fields,
            help_synopsis="Renew a lease on a secret.",
        ),
        Path(
            r"leases/revoke(/(?P<url_lease_id>.+))?",
            {Operation.UPDATE: revoke},
            fields=revoke_fields,
            help_synopsis="Revoke a leased secret immediately.",
        ),
        Path(
            r"leases/revoke-force/(?P<prefix>.+)",
            {Operation.UPDATE: revoke_prefix(True)},
            fields={"prefix": _PREFIX},
            help_synopsis="Revoke all secrets below a prefix, ignoring backend errors.",
        ),
        Path(
            r"leases/revoke-prefix/(?P<prefix>.+)",
            {Operation.UPDATE: revoke_prefix(False)},
            fields={"prefix": _PREFIX, "sync": _SYNC},
            help_synopsis="Revoke all secrets generated below a prefix.",
        ),
        Path(
            "leases/tidy",
            {Operation.UPDATE: tidy},
            help_synopsis="Clean up dangling lease index entries.",
        ),
        # Legacy paths (Vault keeps them; OpenBao removed them).
        Path(
            r"renew(/(?P<url_lease_id>.+))?",
            {Operation.UPDATE: renew},
            fields=renew_fields,
            help_synopsis="Renew a lease on a secret (legacy path).",
        ),
        Path(
            r"revoke(/(?P<url_lease_id>.+))?",
            {Operation.UPDATE: revoke},
            fields=revoke_fields,
            help_synopsis="Revoke a leased secret immediately (legacy path).",
        ),
        Path(
            r"revoke-force/(?P<prefix>.+)",
            {Operation.UPDATE: revoke_prefix(True)},
            fields={"prefix": _PREFIX},
            help_synopsis="Revoke all secrets below a prefix, ignoring errors (legacy path).",
        ),
        Path(
            r"revoke-prefix/(?P<prefix>.+)",
            {Operation.UPDATE: revoke_prefix(False)},
            fields={"prefix": _PREFIX, "sync": _SYNC},
            help_synopsis="Revoke all secrets generated below a prefix (legacy path).",
        ),
    ]
    return out
