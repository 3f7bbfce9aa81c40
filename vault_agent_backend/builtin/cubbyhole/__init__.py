"""``cubbyhole/``: private storage per token, gone when the token is revoked.

Keys live below ``<salted hash of the token>/`` in the mount's storage, so a token id never
appears in a storage key. Response-wrapping tokens keep their wrapped response here
(:mod:`vault_agent_backend.core.wrapping`).
"""

from __future__ import annotations

import json
from typing import Any

from ...framework.backend import Backend, BackendConfig
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...storage.view import StorageView

RESPONSE_WARNING = (
    "Reading from 'cubbyhole/response' is deprecated. Please use sys/wrapping/unwrap to "
    "unwrap responses, as it provides additional security checks and other benefits."
)
_HOOK_NAME = "cubbyhole_token_revoked"


def _multi(message: str) -> InvalidRequest:
    """Vault reports these cubbyhole errors as a one-item multierror."""
    return InvalidRequest(message, multierror=True)


class CubbyholeBackend(Backend):
    """Like KV v1, but every token sees only its own space."""

    backend_type = "cubbyhole"

    def __init__(self, config: BackendConfig):
        super().__init__(config)
        self.core = config.core
        self.add_paths(
            [
                Path(
                    match_all("path"),
                    {
                        Operation.READ: self.read,
                        Operation.UPDATE: self.write,
                        Operation.CREATE: self.write,
                        Operation.DELETE: self.delete,
                        Operation.LIST: self.list,
                    },
                    fields={"path": Field(FieldType.STRING, description="Specifies the path.")},
                    existence_check=self.exists,
                    help_synopsis="Pass-through secret storage to a token-specific cubbyhole.",
                    help_description=(
                        "Pass-through secret storage to a token-specific cubbyhole in the "
                        "storage backend, allowing you to read/write arbitrary data into "
                        "secret storage."
                    ),
                ),
            ]
        )
        if self.core is not None:
            _register_revocation_hook(self.core)

    def _view(self, req: Request) -> StorageView:
        token = req.client_token
        if not token or req.caller is None or req.caller.kind != "token":
            raise _multi("client token empty")
        return StorageView(self.storage, f"{self.core.token_store.hash_token(token)}/")

    def exists(self, req: Request, data: FieldData) -> bool:
        """Whether the entry exists (decides create vs update for the ACL)."""
        if not req.rel_path or req.rel_path.endswith("/"):
            return False
        return self._view(req).get(req.rel_path) is not None

    def read(self, req: Request, data: FieldData) -> Response | None:
        """Read one entry of the caller's cubbyhole."""
        if not req.rel_path:
            raise _multi("missing path")
        raw = self._view(req).get(req.rel_path)
        if raw is None:
            return None
        response = Response(data=json.loads(raw))
        if req.rel_path == "response" and _is_wrapping_caller(req):
            response.add_warning(RESPONSE_WARNING)
        return response

    def write(self, req: Request, data: FieldData) -> None:
        """Store the request body at the path."""
        if not req.rel_path:
            raise _multi("missing path")
        if req.rel_path.endswith("/"):
            raise InvalidRequest("cannot write to a path ending in '/'")
        if not req.data:
            raise _multi("missing data fields")
        self._view(req).put(req.rel_path, json.dumps(req.data).encode())
        return None

    def delete(self, req: Request, data: FieldData) -> None:
        """Remove one entry (no error when absent)."""
        if req.rel_path:
            self._view(req).delete(req.rel_path)
        return None

    def list(self, req: Request, data: FieldData) -> Response:
        """Keys below the path (``dir/`` for folders)."""
        prefix = req.rel_path
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return Response(data={"keys": self._view(req).list(prefix)})


def _is_wrapping_caller(req: Request) -> bool:
    token: Any = req.caller.token if req.caller is not None else None
    return list(getattr(token, "policies", []) or []) == ["response-wrapping"]


def _register_revocation_hook(core: Any) -> None:
    """Delete a token's cubbyhole when it is revoked (registered once per core)."""
    hooks = core.hooks.setdefault("token_revoked", [])
    if any(getattr(h, "__name__", "") == _HOOK_NAME for h in hooks):
        return

    def cubbyhole_token_revoked(entry: Any) -> None:
        mount = core.mount_by_path("mounts", "cubbyhole/")
        if mount is None:
            return
        hashed = core.token_store.hash_token(entry.id)
        StorageView(core.storage, f"{mount.storage_prefix}{hashed}/").delete_prefix()

    hooks.append(cubbyhole_token_revoked)


def factory(config: BackendConfig) -> CubbyholeBackend:
    """Create the cubbyhole backend."""
    return CubbyholeBackend(config)
