"""Response wrapping: the response goes into the cubbyhole of a single-use token."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..builtin.token.entry import TokenEntry
from ..framework.request import Request
from ..framework.response import Response, WrapInfo
from ..storage.view import StorageView

if TYPE_CHECKING:
    from .core import Core

WRAPPING_POLICY = "response-wrapping"


def cubbyhole_view(core: Core, token_id: str) -> StorageView:
    """The cubbyhole storage of one token (shared by the cubbyhole backend)."""
    from .ids import sha256_hex

    entry = core.mount_by_path("mounts", "cubbyhole/")
    prefix = entry.storage_prefix if entry is not None else "logical/cubbyhole/"
    return StorageView(core.storage, f"{prefix}{sha256_hex(token_id)}/")


def envelope_body(request: Request, response: Response) -> dict[str, Any]:
    """The JSON a wrapped response unwraps to (Vault's envelope without wrap_info)."""
    return {
        "request_id": request.id,
        "lease_id": response.secret.lease_id if response.secret else "",
        "renewable": bool(response.secret and response.secret.renewable),
        "lease_duration": response.secret.ttl if response.secret else 0,
        "data": response.data,
        "wrap_info": None,
        "warnings": response.warnings or None,
        "auth": response.auth.to_json() if response.auth else None,
    }


def wrap_response(core: Core, request: Request, response: Response, ttl: int) -> Response:
    """Store the response in a new wrapping token's cubbyhole and answer with wrap_info."""
    now = time.time()
    wrapping = TokenEntry(
        id="",
        accessor="",
        policies=[WRAPPING_POLICY],
        path=request.path,
        display_name="",
        num_uses=1,
        creation_time=now,
        ttl=ttl,
        expire_at=now + ttl,
        renewable=False,
        internal={"wrapped_path": request.path},
    )
    wrapping = core.token_store.create(wrapping)
    body = envelope_body(request, response)
    cubbyhole_view(core, wrapping.id).put("response", json.dumps(body).encode())
    info = WrapInfo(
        token=wrapping.id,
        accessor=wrapping.accessor,
        ttl=ttl,
        creation_time=datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        creation_path=request.path,
        wrapped_accessor=response.auth.accessor if response.auth else "",
    )
    return Response(wrap_info=info, warnings=[])
