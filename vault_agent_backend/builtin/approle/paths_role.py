"""``role/`` (LIST), ``role/:role_name`` (CRUD) and ``role/:role_name/role-id``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.durations import format_duration
from ...framework.errors import InvalidRequest, NotFound
from ...framework.fields import Field, FieldData, FieldType, pagination_fields
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...framework.tokenutil import deprecation_text, token_fields, upgrade_value
from .model import SECRET_ID_LOCAL_PREFIX, RoleEntry
from .util import MAX_HMAC_INPUT, go_quote, go_uuid, validate_cidrs

if TYPE_CHECKING:
    from . import AppRoleBackend

ROLE = f"role/{name_regex('role_name')}"
NO_CONSTRAINT_WARNING = (
    "Role does not have any constraints set on it. Updates to this role will require a "
    "constraint to be set"
)
LEGACY_TOKEN_TYPES = {"default-service": "service", "default-batch": "batch"}


def role_name_field() -> Field:
    """The ``role_name`` URL field every role path shares."""
    return Field(FieldType.STRING, f"Name of the role. Must be less than {MAX_HMAC_INPUT} bytes.")


def unsupported_path() -> NotFound:
    """Vault's answer to a write below a role that does not exist."""
    return NotFound("unsupported path", multierror=True)


def period_too_long(period: int, maximum: int) -> InvalidRequest:
    """The error for a (token) period above the mount's maximum lease TTL."""
    return InvalidRequest(
        f"period of {go_quote(format_duration(period))} is greater than the backend's "
        f"maximum lease TTL of {go_quote(format_duration(maximum))}"
    )


def role_fields() -> dict[str, Field]:
    """The fields of ``role/:role_name``."""
    return {
        "role_name": role_name_field(),
        "bind_secret_id": Field(
            FieldType.BOOL,
            "Require a secret ID to be presented when logging in with this role.",
            default=True,
        ),
        "bound_cidr_list": Field(
            FieldType.COMMA_STRING_SLICE,
            'Use "secret_id_bound_cidrs" instead.',
            deprecated=True,
        ),
        "secret_id_bound_cidrs": Field(
            FieldType.COMMA_STRING_SLICE,
            "CIDR blocks (comma-separated or a list) from which logins with this role are allowed.",
        ),
        "policies": Field(
            FieldType.COMMA_STRING_SLICE, deprecation_text("token_policies"), deprecated=True
        ),
        "secret_id_num_uses": Field(
            FieldType.INT,
            "How many logins a secret ID of this role allows; 0 (default): unlimited.",
        ),
        "secret_id_ttl": Field(
            FieldType.DURATION,
            "Lifetime of the secret IDs of this role; 0 (default): they do not expire.",
        ),
        "period": Field(FieldType.DURATION, deprecation_text("token_period"), deprecated=True),
        "role_id": Field(FieldType.STRING, "Identifier of the role; a random UUID by default."),
        "local_secret_ids": Field(
            FieldType.BOOL,
            "Keep the secret IDs of this role local to this node; only settable at creation.",
        ),
        **token_fields(),
    }


def paths(backend: AppRoleBackend) -> list[Path]:
    """Role management paths of an AppRole mount."""
    store = backend.store

    def exists(req: Request, data: FieldData) -> bool:
        return store.role(data.get("role_name")) is not None

    def list_roles(req: Request, data: FieldData) -> Response:
        keys = store.role_names()
        after = data.get("after")
        if after:
            keys = [k for k in keys if k > after]
        limit = data.get("limit")
        if limit > 0:
            keys = keys[:limit]
        return Response(data={"keys": keys})

    def read(req: Request, data: FieldData) -> Response | None:
        role = store.role(data.get("role_name"))
        if role is None:
            return None
        response = Response(data=role.read_data())
        if not role.has_constraint():
            response.add_warning(NO_CONSTRAINT_WARNING)
        return response

    def write(req: Request, data: FieldData) -> Response | None:
        name: str = data.get("role_name")
        if len(name.encode()) > MAX_HMAC_INPUT:
            raise InvalidRequest(f"role_name is longer than maximum of {MAX_HMAC_INPUT} bytes")
        warnings: list[str] = []
        with store.lock:
            role = store.role(name)
            creating = role is None
            if role is None:
                if req.operation != Operation.CREATE:
                    raise NotFound(f"role name {go_quote(name)} doesn't exist")
                role = RoleEntry(name=name.lower(), hmac_key=go_uuid())
            raw_type = data.raw.get("token_type")
            if isinstance(raw_type, str) and raw_type in LEGACY_TOKEN_TYPES:
                raw = {**data.raw, "token_type": LEGACY_TOKEN_TYPES[raw_type]}
                data = FieldData(raw, data.schema)
                warnings.append(
                    f"{raw_type} has no useful meaning; adjusting to {LEGACY_TOKEN_TYPES[raw_type]}"
                )
            role.parse(data)
            previous_role_id = apply_role_fields(role, data, creating)
            upgrade_value(data, "policies", "token_policies", role, "policies")
            upgrade_value(data, "period", "token_period", role, "period")
            maximum = backend.max_lease_ttl()
            if max(role.period, role.token_period) > maximum:
                raise period_too_long(max(role.period, role.token_period), maximum)
            if role.token_max_ttl > maximum:
                warnings.append(
                    "token_max_ttl is greater than the backend mount's maximum TTL value; "
                    "issued tokens' max TTL value will be truncated"
                )
            store.save_role(role, previous_role_id)
        return Response(warnings=warnings) if warnings else None

    def delete(req: Request, data: FieldData) -> None:
        with store.lock:
            role = store.role(data.get("role_name"))
            if role is not None:
                store.delete_role(role)
        return None

    def read_role_id(req: Request, data: FieldData) -> Response | None:
        role = store.role(data.get("role_name"))
        if role is None:
            return None
        return Response(data={"role_id": role.role_id})

    def write_role_id(req: Request, data: FieldData) -> None:
        with store.lock:
            role = store.role(data.get("role_name"))
            if role is None:
                raise unsupported_path()
            previous = role.role_id
            role.role_id = data.get("role_id")
            if not role.role_id:
                raise InvalidRequest("missing role_id")
            store.save_role(role, previous)
        return None

    fields = role_fields()
    return [
        Path(
            "role/?",
            {Operation.LIST: list_roles},
            fields=pagination_fields(),
            help_synopsis="List the roles of this mount.",
            help_description="The names of the registered roles, sorted.",
        ),
        Path(
            f"{ROLE}/role-id",
            {Operation.READ: read_role_id, Operation.UPDATE: write_role_id},
            fields={
                "role_name": role_name_field(),
                "role_id": Field(FieldType.STRING, "Identifier of the role."),
            },
            help_synopsis="Read or set the role_id of a role.",
            help_description=(
                "The role_id is the public half of an AppRole login; it identifies the role. "
                "Setting it replaces the previous one, which stops working for logins."
            ),
        ),
        Path(
            ROLE,
            {
                Operation.READ: read,
                Operation.CREATE: write,
                Operation.UPDATE: write,
                Operation.DELETE: delete,
            },
            fields=fields,
            existence_check=exists,
            help_synopsis="Create, read, update or delete a role.",
            help_description=(
                "A role stands for an application or machine that logs in with a role_id "
                "and, unless bind_secret_id is false, a secret ID. Its fields restrict where "
                "and how often its secret IDs work and shape the tokens its logins receive. "
                "Deleting a role destroys its secret IDs."
            ),
        ),
    ]


def apply_role_fields(role: RoleEntry, data: FieldData, creating: bool) -> str:
    """Apply the AppRole-specific fields of a role write (not the ``token_*`` ones); the
    role_id the role had before."""
    local, given = data.get_ok("local_secret_ids")
    if given:
        if not creating:
            raise InvalidRequest("local_secret_ids can only be modified during role creation")
        if local:
            role.secret_id_prefix = SECRET_ID_LOCAL_PREFIX
    previous_role_id = role.role_id
    role_id, given = data.get_ok("role_id")
    if given:
        role.role_id = role_id
    elif creating:
        role.role_id = go_uuid()
    if not role.role_id:
        raise InvalidRequest("invalid role_id supplied, or failed to generate a role_id")
    bind, given = data.get_ok("bind_secret_id")
    if given or creating:
        role.bind_secret_id = bind
    for name in ("secret_id_bound_cidrs", "bound_cidr_list"):
        blocks, given = data.get_ok(name)
        if given:
            role.secret_id_bound_cidrs = validate_cidrs(blocks)
            break
    uses, given = data.get_ok("secret_id_num_uses")
    if given:
        role.secret_id_num_uses = uses
    if role.secret_id_num_uses < 0:
        raise InvalidRequest("secret_id_num_uses cannot be negative")
    ttl, given = data.get_ok("secret_id_ttl")
    if given:
        role.secret_id_ttl = ttl
    return previous_role_id
