"""Response wrapping: a response goes into the cubbyhole of a single-use token.

As in Vault, the wrapping token carries only the built-in ``response-wrapping`` policy,
one use and an explicit max TTL equal to the wrap TTL. Its cubbyhole holds two entries:
``response`` (``{"response": "<the HTTP JSON body of the wrapped response>"}``) and
``wrapinfo`` (``creation_ttl``, ``creation_time``, ``creation_path``), which
``sys/wrapping/lookup|unwrap|rewrap`` read. Consuming a wrapping token is single-use across
worker processes and nodes: a claim key is written with the storage's atomic
``apply_if_absent`` before the response is handed out.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..builtin.token.entry import TokenEntry
from ..framework.errors import InvalidRequest, NotFound, VaultError
from ..framework.request import Operation, Request
from ..framework.response import Response, WrapInfo
from ..storage.view import StorageView, encode_json

if TYPE_CHECKING:
    from .core import Core

WRAPPING_POLICY = "response-wrapping"
WRAPPING_PATHS = ("sys/wrapping/lookup", "sys/wrapping/unwrap", "sys/wrapping/rewrap")
"""Paths whose wrapping token is validated before the caller is authenticated (as Vault)."""
INVALID_WRAPPING_TOKEN = "wrapping token is not valid or does not exist"
CLAIM_PREFIX = "sys/wrapping-claims/"
"""Storage keys marking a wrapping token as consumed (removed once the token is revoked)."""


class InvalidWrappingToken(InvalidRequest):
    """400: the token is unknown, expired, used up or not a wrapping token."""

    def __init__(self) -> None:
        super().__init__(INVALID_WRAPPING_TOKEN)


def _timestamp(ts: float) -> str:
    """RFC 3339 with sub-second precision, as Vault prints ``creation_time``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def cubbyhole_view(core: Core, token_id: str) -> StorageView:
    """The cubbyhole storage of one token (the same keys the cubbyhole backend uses)."""
    entry = core.mount_by_path("mounts", "cubbyhole/")
    prefix = entry.storage_prefix if entry is not None else "logical/cubbyhole/"
    return StorageView(core.storage, f"{prefix}{core.token_store.hash_token(token_id)}/")


def is_wrapping_token(entry: TokenEntry | None) -> bool:
    """Whether a token entry is a response-wrapping token."""
    return entry is not None and list(entry.policies) == [WRAPPING_POLICY]


def envelope_body(request: Request, response: Response) -> dict[str, Any]:
    """The JSON a wrapped response unwraps to (Vault's HTTP envelope, original request id)."""
    secret = response.secret
    return {
        "request_id": request.id,
        "lease_id": secret.lease_id if secret else "",
        "renewable": bool(secret and secret.renewable),
        "lease_duration": secret.ttl if secret else 0,
        "data": response.data,
        "wrap_info": None,
        "warnings": response.warnings or None,
        "auth": response.auth.to_json() if response.auth else None,
    }


def _caller_display_name(request: Request) -> str:
    caller = request.caller
    token = caller.token if caller is not None and caller.kind == "token" else None
    return getattr(token, "display_name", "") or ""


def _check_list_response(request: Request, response: Response) -> None:
    """Vault refuses to wrap an empty listing (404 ``unsupported path``)."""
    if request.operation != Operation.LIST:
        return
    data = response.data or {}
    if not data and not response.warnings:
        raise NotFound("unsupported path")
    if "keys" in data and not data.get("keys"):
        raise NotFound("unsupported path")


def wrap_response(core: Core, request: Request, response: Response, ttl: int) -> Response:
    """Store ``response`` in a new wrapping token's cubbyhole; answer with ``wrap_info`` only.

    Error answers (a status of 400 or more) are never wrapped.
    """
    if response.status is not None and response.status >= 400:
        return response
    _check_list_response(request, response)
    rewrap = request.path == "sys/wrapping/rewrap"
    now = time.time()
    creation_path = (response.wrap_info.creation_path if rewrap and response.wrap_info else "") or (
        request.path
    )
    token = TokenEntry(
        id="",
        accessor="",
        policies=[WRAPPING_POLICY],
        path=request.path,
        display_name=_caller_display_name(request),
        num_uses=1,
        creation_time=now,
        ttl=ttl,
        explicit_max_ttl=ttl,
        renewable=False,
        expire_at=now + ttl,
        internal={"wrapping": True},
    )
    token = core.token_store.create(token)
    if rewrap:
        stored = (response.data or {}).get("response", "")
    else:
        stored = json.dumps(envelope_body(request, response), separators=(",", ":"))
    view = cubbyhole_view(core, token.id)
    wrapinfo = {
        "creation_ttl": ttl,
        "creation_time": _timestamp(now),
        "creation_path": creation_path,
    }
    view.apply(
        [("response", encode_json({"response": stored})), ("wrapinfo", encode_json(wrapinfo))]
    )
    info = WrapInfo(
        token=token.id,
        accessor=token.accessor,
        ttl=ttl,
        creation_time=_timestamp(now),
        creation_path=creation_path,
        wrapped_accessor=response.auth.accessor if response.auth else "",
    )
    if not info.wrapped_accessor and request.mount_type == "approle" and response.auth is None:
        info.wrapped_accessor = str((response.data or {}).get("secret_id_accessor", "") or "")
    return Response(wrap_info=info)


def effective_wrap_ttl(request: Request, response: Response | None) -> int:
    """The wrap TTL in force: the shorter of the request's and the handler's (0 = no wrapping)."""
    wanted = response.wrap_ttl if response is not None else 0
    if request.wrap_ttl > 0 and (wanted == 0 or request.wrap_ttl < wanted):
        wanted = request.wrap_ttl
    return wanted


# ----- validation and consumption ------------------------------------------------------------


@dataclass
class WrappingToken:
    """A validated wrapping token and how it was given."""

    entry: TokenEntry
    third_party: bool
    """True when the token came in the request body rather than as the client token."""


def _token_from_request(request: Request) -> tuple[str, bool]:
    raw = request.data.get("token")
    if raw is not None:
        if not isinstance(raw, str):
            raise VaultError(
                "error validating wrapping token: could not decode token in request body",
                status=403,
            )
        if raw == "":
            raise VaultError(
                "error validating wrapping token: empty token in request body", status=403
            )
        return raw, True
    return request.client_token, False


def validate_request(core: Core, request: Request, *, in_handler: bool = False) -> WrappingToken:
    """Vault's check of the wrapping token of lookup/unwrap/rewrap, before authentication.

    403 ``error validating wrapping token: ...`` when no token is given, 400
    ``wrapping token is not valid or does not exist`` when it is not a live wrapping token.
    ``in_handler``: called again by the handler, after the pipeline counted the use of a
    wrapping token sent as the client token (its use count is then already spent).
    """
    token, third_party = _token_from_request(request)
    if not token:
        raise VaultError("error validating wrapping token: token is empty", status=403)
    entry = core.token_store.lookup(token)
    spent = entry is not None and entry.num_uses < 0 and (third_party or not in_handler)
    if entry is None or spent or not is_wrapping_token(entry):
        raise InvalidWrappingToken()
    if core.storage.get(CLAIM_PREFIX + core.token_store.hash_token(token)) is not None:
        raise InvalidWrappingToken()
    return WrappingToken(entry, third_party)


def read_wrapinfo(core: Core, token_id: str) -> dict[str, Any]:
    """The ``creation_*`` fields stored with a wrapping token."""
    raw = cubbyhole_view(core, token_id).get_json("wrapinfo")
    if not isinstance(raw, dict):
        raise InvalidWrappingToken()
    return raw


def consume(core: Core, token: WrappingToken) -> str:
    """Claim a wrapping token once (across processes), read its response and revoke it.

    When the token was the client token, the request pipeline's last-use revocation also
    applies; revoking here as well makes the token unusable at once.
    """
    token_id = token.entry.id
    claim = CLAIM_PREFIX + core.token_store.hash_token(token_id)
    if not core.storage.apply_if_absent(claim, [(claim, b"1")]):
        raise InvalidWrappingToken()
    try:
        raw = cubbyhole_view(core, token_id).get_json("response")
        current = core.token_store.lookup(token_id)
        if current is not None:
            core.token_store.revoke(current)
    finally:
        core.storage.delete(claim)
    if not isinstance(raw, dict) or not isinstance(raw.get("response"), str):
        raise InvalidWrappingToken()
    return raw["response"]
