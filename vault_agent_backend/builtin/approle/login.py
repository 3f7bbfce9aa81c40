"""``login``: role_id (+ secret_id) to a token whose identity alias is the role_id."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Alias, Auth, Response
from ...framework.tokenutil import parse_cidrs
from .model import RoleEntry
from .store import CAS_ATTEMPTS, StoredSecret
from .util import GO_NIL_WRAP, address_in_blocks, check_subset, go_quote

if TYPE_CHECKING:
    from . import AppRoleBackend

INVALID = "invalid role or secret ID"


def _check_role_cidrs(role: RoleEntry, remote: str) -> None:
    blocks = role.secret_id_bound_cidrs or []
    if blocks and not address_in_blocks(remote, blocks):
        raise InvalidRequest(
            f"source address {go_quote(remote)} unauthorized by CIDR restrictions on the role: "
            f"{GO_NIL_WRAP}"
        )


def _check_secret_cidrs(role: RoleEntry, stored: StoredSecret, remote: str) -> None:
    entry = stored.entry
    check_subset(entry.cidr_list, role.secret_id_bound_cidrs or [])
    if entry.cidr_list and not address_in_blocks(remote, entry.cidr_list):
        if entry.num_uses == 0:
            raise InvalidRequest(
                f"source address {go_quote(remote)} unauthorized through CIDR restrictions on "
                "the secret ID"
            )
        raise InvalidRequest(
            f"source address {go_quote(remote)} unauthorized by CIDR restrictions on the "
            f"secret ID: {GO_NIL_WRAP}"
        )


def paths(backend: AppRoleBackend) -> list[Path]:
    """The (unauthenticated) login path of an AppRole mount."""
    store = backend.store

    def spend(role: RoleEntry, secret_id: str, remote: str) -> StoredSecret:
        """Check a secret ID and consume one of its uses; nothing is spent on a refusal."""
        for _ in range(CAS_ATTEMPTS):
            stored = store.secret(role, secret_id)
            if stored is None:
                raise InvalidRequest(INVALID)
            _check_secret_cidrs(role, stored, remote)
            _check_role_cidrs(role, remote)
            if store.consume(role, stored):
                return stored
        raise InvalidRequest(INVALID)

    def login(req: Request, data: FieldData) -> Response:
        role_id = data.get("role_id").strip()
        if not role_id:
            raise InvalidRequest("missing role_id")
        role = store.role_by_role_id(role_id)
        if role is None:
            raise InvalidRequest(INVALID)
        remote = req.remote_addr
        metadata: dict[str, str] = {}
        token_cidrs: list[str] = []
        if role.bind_secret_id:
            secret_id = data.get("secret_id").strip()
            if not secret_id:
                raise InvalidRequest("missing secret_id")
            stored = spend(role, secret_id, remote)
            metadata = dict(stored.entry.metadata)
            token_cidrs = list(stored.entry.token_bound_cidrs)
        else:
            _check_role_cidrs(role, remote)
        metadata["role_name"] = role.name
        metadata = dict(sorted(metadata.items()))
        auth = Auth(
            metadata=metadata,
            alias=Alias(name=role.role_id, metadata=dict(metadata)),
            internal={"role_name": role.name},
        )
        role.populate_auth(auth, req)
        if token_cidrs:
            auth.bound_cidrs = parse_cidrs(token_cidrs)
        return Response(auth=auth)

    return [
        Path(
            "login",
            {Operation.UPDATE: login},
            fields={
                "role_id": Field(FieldType.STRING, "The role_id of the role (always required)."),
                "secret_id": Field(
                    FieldType.STRING,
                    "A secret ID of the role; required unless the role has bind_secret_id=false.",
                    default="",
                ),
            },
            help_synopsis="Log in with a role_id and a secret ID.",
            help_description=(
                "Answers with a token carrying the role's token settings and the secret ID's "
                "metadata. The identity alias of the login is the role_id. A secret ID with "
                "a use limit loses one use per successful login; failed logins cost nothing."
            ),
        ),
    ]
