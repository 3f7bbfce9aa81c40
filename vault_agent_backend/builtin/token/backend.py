"""The token backend: paths of ``auth/token/`` (create, lookup, renew, revoke, roles...)."""

from __future__ import annotations

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from ...framework.errors import InvalidRequest
from ...framework.fields import FieldData
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response


class TokenBackend(Backend):
    """Token store endpoints; the storage logic lives in ``store.TokenStore``."""

    backend_type = "token"
    kind = "auth"

    def __init__(self, config: BackendConfig):
        super().__init__(
            config, special=PathsSpecial(root=("revoke-orphan/*", "accessors*"), unauthenticated=())
        )
        self.core = config.core
        self.store = self.core.token_store
        self.add_paths(
            [
                Path(
                    "lookup-self",
                    {Operation.READ: self.lookup_self},
                    help_synopsis="Look up the calling token.",
                ),
            ]
        )

    def lookup_self(self, req: Request, data: FieldData) -> Response:
        entry = req.caller.token if req.caller else None
        if entry is None:
            raise InvalidRequest("bad token")
        return Response(data=entry.lookup_data())
