"""Secret IDs: generate, assign, list, look up and destroy (by value or accessor), tidy."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest, NotFound, VaultError
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response
from .model import RoleEntry, SecretIDEntry
from .paths_role import ROLE, role_name_field
from .util import check_subset, go_quote, go_uuid, now, parse_metadata, validate_cidrs

if TYPE_CHECKING:
    from . import AppRoleBackend

TIDY_STARTED = (
    "Tidy operation successfully started. Any information from the operation will be printed "
    "to the server logs."
)


def _role_or_400(backend: AppRoleBackend, name: str) -> RoleEntry:
    role = backend.store.role(name)
    if role is None:
        raise InvalidRequest(f"role {go_quote(name)} does not exist")
    return role


def _secret_id_fields(custom: bool) -> dict[str, Field]:
    fields = {
        "role_name": role_name_field(),
        "metadata": Field(
            FieldType.STRING,
            "Metadata of the secret ID: a JSON object of strings (as a string) or "
            "comma-separated key=value pairs. Copied to the tokens of its logins.",
        ),
        "cidr_list": Field(
            FieldType.COMMA_STRING_SLICE,
            "CIDR blocks from which the secret ID may be used; within the role's "
            "secret_id_bound_cidrs if those are set.",
        ),
        "token_bound_cidrs": Field(
            FieldType.COMMA_STRING_SLICE,
            "CIDR blocks from which the tokens of its logins may be used; within the role's "
            "token_bound_cidrs if those are set.",
        ),
        "num_uses": Field(
            FieldType.INT,
            "Number of logins the secret ID allows; overrides (may not exceed) the role's "
            "secret_id_num_uses.",
        ),
        "ttl": Field(
            FieldType.DURATION,
            "Lifetime of the secret ID; overrides (may not exceed) the role's secret_id_ttl.",
        ),
    }
    if custom:
        fields["secret_id"] = Field(FieldType.STRING, "The secret ID to assign to the role.")
    else:
        fields["after"] = Field(
            FieldType.STRING, "List: the entry to begin listing after.", query=True
        )
        fields["limit"] = Field(FieldType.INT, "List: the number of entries to return.", query=True)
    return fields


def paths(backend: AppRoleBackend) -> list[Path]:
    """The secret ID paths of an AppRole mount."""
    store = backend.store
    tidy_lock = threading.Lock()

    def issue(req: Request, data: FieldData, secret_id: str) -> Response:
        name: str = data.get("role_name")
        if not secret_id:
            raise InvalidRequest("missing secret_id")
        role = store.role(name)
        if role is None:
            raise NotFound(f"role {go_quote(name)} does not exist")
        if not role.bind_secret_id:
            raise InvalidRequest("bind_secret_id is not set on the role")
        cidrs = validate_cidrs(data.get("cidr_list"))
        check_subset(cidrs, role.secret_id_bound_cidrs or [])
        token_cidrs = validate_cidrs(data.get("token_bound_cidrs"), "token CIDR blocks")
        check_subset(token_cidrs, role.token_bound_cidrs)
        num_uses, given = data.get_ok("num_uses")
        if given:
            if num_uses < 0:
                raise InvalidRequest("num_uses cannot be negative")
            limit = role.secret_id_num_uses
            if limit > 0 and (num_uses == 0 or num_uses > limit):
                raise InvalidRequest("num_uses cannot be higher than the role's secret_id_num_uses")
        else:
            num_uses = role.secret_id_num_uses
        ttl, given = data.get_ok("ttl")
        if given:
            limit = role.secret_id_ttl
            if limit > 0 and (ttl == 0 or ttl > limit):
                raise InvalidRequest("ttl cannot be longer than the role's secret_id_ttl")
        else:
            ttl = role.secret_id_ttl
        metadata = parse_metadata(data.get("metadata"))
        maximum = backend.max_lease_ttl()
        effective = maximum if ttl < 0 or ttl > maximum else ttl
        created = now()
        entry = SecretIDEntry(
            accessor=go_uuid(),
            num_uses=num_uses,
            ttl=ttl,
            created=created,
            updated=created,
            expires=created + effective if effective else 0.0,
            metadata=metadata,
            cidr_list=cidrs,
            token_bound_cidrs=token_cidrs,
        )
        with store.lock:
            store.register_secret(role, secret_id, entry)
        return Response(
            data={
                "secret_id": secret_id,
                "secret_id_accessor": entry.accessor,
                "secret_id_num_uses": num_uses,
                "secret_id_ttl": effective,
            }
        )

    def generate(req: Request, data: FieldData) -> Response:
        return issue(req, data, go_uuid())

    def custom(req: Request, data: FieldData) -> Response:
        return issue(req, data, data.get("secret_id"))

    def list_accessors(req: Request, data: FieldData) -> Response:
        role = _role_or_400(backend, data.get("role_name"))
        keys = store.accessors(role)
        after = data.get("after")
        if after:
            keys = [k for k in keys if k > after]
        limit = data.get("limit")
        if limit > 0:
            keys = keys[:limit]
        return Response(data={"keys": keys})

    def lookup(req: Request, data: FieldData) -> Response | None:
        secret_id = data.get("secret_id")
        if not secret_id:
            raise InvalidRequest("missing secret_id")
        role = _role_or_400(backend, data.get("role_name"))
        stored = store.secret(role, secret_id)
        return None if stored is None else Response(data=stored.entry.response_data())

    def destroy(req: Request, data: FieldData) -> None:
        secret_id = data.get("secret_id")
        if not secret_id:
            raise InvalidRequest("missing secret_id")
        with store.lock:
            role = _role_or_400(backend, data.get("role_name"))
            stored = store.secret(role, secret_id)
            if stored is not None:
                store.delete_secret(role, stored)
        return None

    def accessor_lookup(req: Request, data: FieldData) -> Response | None:
        accessor = data.get("secret_id_accessor")
        if not accessor:
            raise InvalidRequest("missing secret_id_accessor")
        role = _role_or_400(backend, data.get("role_name"))
        if not store.accessor_known(role, accessor):
            message = f"failed to find accessor entry for secret_id_accessor: {go_quote(accessor)}"
            return Response(status=404, data={"error": message})
        stored = store.secret_by_accessor(role, accessor)
        return None if stored is None else Response(data=stored.entry.response_data())

    def accessor_destroy(req: Request, data: FieldData) -> None:
        accessor = data.get("secret_id_accessor")
        if not accessor:
            raise InvalidRequest("missing secret_id_accessor")
        with store.lock:
            role = _role_or_400(backend, data.get("role_name"))
            if not store.accessor_known(role, accessor):
                raise InvalidRequest(
                    f"failed to find accessor entry for secret_id_accessor: {go_quote(accessor)}"
                )
            stored = store.secret_by_accessor(role, accessor)
            if stored is None:
                raise VaultError("invalid secret id accessor", status=403)
            store.delete_secret(role, stored)
        return None

    def tidy(req: Request, data: FieldData) -> Response:
        if not tidy_lock.acquire(blocking=False):
            return Response(warnings=["Tidy operation already in progress."])
        try:
            store.tidy()
        finally:
            tidy_lock.release()
        return Response(warnings=[TIDY_STARTED], status=202)

    secret_field = {"secret_id": Field(FieldType.STRING, "A secret ID of the role.")}
    accessor_field = {
        "secret_id_accessor": Field(FieldType.STRING, "The accessor of a secret ID of the role.")
    }
    by_value: dict[str, Any] = {"role_name": role_name_field(), **secret_field}
    by_accessor: dict[str, Any] = {"role_name": role_name_field(), **accessor_field}
    return [
        Path(
            f"{ROLE}/secret-id/?",
            {Operation.UPDATE: generate, Operation.LIST: list_accessors},
            fields=_secret_id_fields(custom=False),
            help_synopsis="Generate a secret ID for the role, or list its secret IDs' accessors.",
            help_description=(
                "A generated secret ID is a random UUID returned once; only its HMAC is "
                "stored. Its lifetime and use count follow the role unless ttl/num_uses "
                "narrow them."
            ),
        ),
        Path(
            f"{ROLE}/secret-id/lookup/?",
            {Operation.UPDATE: lookup},
            fields=by_value,
            help_synopsis="Read the properties of a secret ID of the role.",
        ),
        Path(
            f"{ROLE}/secret-id/destroy/?",
            {Operation.UPDATE: destroy, Operation.DELETE: destroy},
            fields=by_value,
            help_synopsis="Destroy a secret ID of the role.",
        ),
        Path(
            f"{ROLE}/secret-id-accessor/lookup/?",
            {Operation.UPDATE: accessor_lookup},
            fields=by_accessor,
            help_synopsis="Read the properties of a secret ID of the role by its accessor.",
        ),
        Path(
            f"{ROLE}/secret-id-accessor/destroy/?",
            {Operation.UPDATE: accessor_destroy, Operation.DELETE: accessor_destroy},
            fields=by_accessor,
            help_synopsis="Destroy a secret ID of the role by its accessor.",
        ),
        Path(
            f"{ROLE}/custom-secret-id",
            {Operation.UPDATE: custom},
            fields=_secret_id_fields(custom=True),
            help_synopsis="Assign a secret ID of the caller's choice to the role.",
            help_description=(
                "Prefer generated secret IDs. An assigned one behaves like a generated one "
                "and is stored only as an HMAC."
            ),
        ),
        Path(
            "tidy/secret-id",
            {Operation.UPDATE: tidy},
            help_synopsis="Remove expired secret IDs and dangling index entries now.",
            help_description=(
                "Expired secret IDs already stop working at their expiry; this removes their "
                "storage entries, and index entries left without a secret ID."
            ),
        ),
    ]
