"""``cubbyhole/``: private storage per token, gone when the token is revoked."""

from __future__ import annotations

import json

from ...core.ids import sha256_hex
from ...framework.backend import Backend, BackendConfig
from ...framework.errors import InvalidRequest
from ...framework.fields import FieldData
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...storage.view import StorageView


class CubbyholeBackend(Backend):
    """Like KV v1, but every token sees only its own space."""

    backend_type = "cubbyhole"

    def __init__(self, config: BackendConfig):
        super().__init__(config)
        self.core = config.core
        self.add_paths(
            [
                Path(
                    f"{match_all('path')}",
                    {
                        Operation.READ: self.read,
                        Operation.UPDATE: self.write,
                        Operation.CREATE: self.write,
                        Operation.DELETE: self.delete,
                        Operation.LIST: self.list,
                    },
                    existence_check=self.exists,
                    take_unknown_fields=True,
                    help_synopsis="Pass-through secret storage to a token-specific cubbyhole.",
                ),
            ]
        )
        if self.core is not None:
            self.core.hooks.setdefault("token_revoked", []).append(self._token_revoked)

    def _view(self, req: Request) -> StorageView:
        token = req.client_token
        if not token or req.caller is None or req.caller.kind != "token":
            raise InvalidRequest("client token empty")
        return StorageView(self.storage, f"{sha256_hex(token)}/")

    def _token_revoked(self, entry) -> None:
        StorageView(self.storage, f"{sha256_hex(entry.id)}/").delete_prefix()

    def exists(self, req: Request, data: FieldData) -> bool:
        return self._view(req).get(req.rel_path) is not None

    def read(self, req: Request, data: FieldData) -> Response | None:
        if not req.rel_path:
            raise InvalidRequest("missing path")
        raw = self._view(req).get(req.rel_path)
        if raw is None:
            return None
        return Response(data=json.loads(raw))

    def write(self, req: Request, data: FieldData) -> None:
        if not req.rel_path:
            raise InvalidRequest("missing path")
        body = {k: v for k, v in req.data.items()}
        if not body:
            raise InvalidRequest("missing data fields")
        self._view(req).put(req.rel_path, json.dumps(body).encode())
        return None

    def delete(self, req: Request, data: FieldData) -> None:
        if not req.rel_path:
            raise InvalidRequest("missing path")
        self._view(req).delete(req.rel_path)
        return None

    def list(self, req: Request, data: FieldData) -> Response:
        return Response(data={"keys": self._view(req).list(req.rel_path)})


def factory(config: BackendConfig) -> CubbyholeBackend:
    """Create the cubbyhole backend."""
    return CubbyholeBackend(config)
