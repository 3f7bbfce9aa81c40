"""A tiny secrets engine that hands out leased credentials, for the lease manager tests.

Mounted as type ``leasetest`` (the tests register it in ``builtin.SECRET_ENGINES``).
``creds/<name>`` answers a leased secret whose TTLs come from the query (``ttl``,
``max_ttl``, ``renewable``); ``revoked`` lists the credentials revoked through the lease
manager, and renewals are recorded in ``renewed``.
"""

from __future__ import annotations

from typing import Any

from vault_agent_backend.framework.backend import Backend, BackendConfig
from vault_agent_backend.framework.fields import Field, FieldData, FieldType
from vault_agent_backend.framework.path import Path, name_regex
from vault_agent_backend.framework.request import Operation, Request
from vault_agent_backend.framework.response import Response, Secret

REVOKED: list[str] = []
RENEWED: list[tuple[str, int]] = []


class LeaseTestBackend(Backend):
    """Issues ``creds/<name>`` secrets with a lease."""

    backend_type = "leasetest"

    def __init__(self, config: BackendConfig):
        super().__init__(config)
        self.add_paths(
            [
                Path(
                    f"creds/{name_regex('name')}",
                    {Operation.READ: self.creds},
                    fields={
                        "name": Field(FieldType.STRING, description="Role name."),
                        "ttl": Field(FieldType.DURATION, description="Lease TTL."),
                        "max_ttl": Field(FieldType.DURATION, description="Lease max TTL."),
                        "renewable": Field(FieldType.BOOL, default=True, description="Renewable."),
                    },
                    help_synopsis="Leased test credentials.",
                )
            ]
        )

    def creds(self, req: Request, data: FieldData) -> Response:
        """A new credential with a lease."""
        user = f"{data.get('name')}-{len(REVOKED) + len(RENEWED)}"
        secret = Secret(
            ttl=data.get("ttl"),
            max_ttl=data.get("max_ttl"),
            renewable=data.get("renewable"),
            internal={"username": user},
        )
        return Response(data={"username": user, "password": "pw"}, secret=secret)

    def renew_lease(self, lease: Any, increment: int) -> Secret:
        """Accept every renewal (the lease manager caps it)."""
        RENEWED.append((lease.internal["username"], increment))
        return Secret(ttl=lease.ttl, max_ttl=lease.max_ttl, renewable=True)

    def revoke_lease(self, lease: Any) -> None:
        """Record the revocation."""
        REVOKED.append(lease.internal["username"])


def factory(config: BackendConfig) -> LeaseTestBackend:
    """Create the backend."""
    return LeaseTestBackend(config)
