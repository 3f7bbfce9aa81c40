"""One path per role setting (``role/:role_name/token-ttl`` ...), as Vault's AppRole has.

Each reads (404 for an unknown role), updates (404 ``unsupported path`` for an unknown role,
400 ``missing <field>`` without a value) and deletes (back to the default; 204 for an unknown
role) one setting of a role.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...framework.tokenutil import deprecation_text, parse_cidrs, parse_policies, token_fields
from .model import RoleEntry
from .paths_role import ROLE, period_too_long, role_fields, role_name_field, unsupported_path
from .util import validate_cidrs

if TYPE_CHECKING:
    from . import AppRoleBackend

Reader = Callable[[RoleEntry], Response]
Updater = Callable[[RoleEntry, FieldData], None]
Deleter = Callable[[RoleEntry], None]

BOUND_CIDR_LIST_WARNING = (
    'The "bound_cidr_list" field is deprecated and will be removed. Please use '
    '"secret_id_bound_cidrs" instead.'
)


@dataclass
class Setting:
    """One per-setting path: its URL suffix, fields and the three operations."""

    suffix: str
    fields: tuple[str, ...]
    read: Reader
    update: Updater | None
    delete: Deleter | None
    synopsis: str


def _simple(attr: str) -> Reader:
    return lambda role: Response(data={attr: getattr(role, attr)})


def _set_required(attr: str, check: Callable[[RoleEntry], None] | None = None) -> Updater:
    def update(role: RoleEntry, data: FieldData) -> None:
        value, given = data.get_ok(attr)
        if not given:
            raise InvalidRequest(f"missing {attr}")
        setattr(role, attr, value)
        if check is not None:
            check(role)

    return update


def _reset(attr: str, value: Any) -> Deleter:
    return lambda role: setattr(role, attr, value)


def _non_negative(attr: str, message: str) -> Callable[[RoleEntry], None]:
    def check(role: RoleEntry) -> None:
        if getattr(role, attr) < 0:
            raise InvalidRequest(message)

    return check


def _token_ttl_check(role: RoleEntry) -> None:
    if role.token_max_ttl > 0 and role.token_ttl > role.token_max_ttl:
        raise InvalidRequest("token_ttl should not be greater than token_max_ttl")


def _token_max_ttl_check(role: RoleEntry) -> None:
    if role.token_max_ttl > 0 and role.token_ttl > role.token_max_ttl:
        raise InvalidRequest("token_max_ttl should be greater than or equal to token_ttl")


def _read_policies(role: RoleEntry) -> Response:
    out: dict[str, Any] = {}
    if role.policies:
        out["policies"] = list(role.policies)
    out["token_policies"] = list(role.token_policies)
    return Response(data=out)


def _update_policies(role: RoleEntry, data: FieldData) -> None:
    token_policies, has_new = data.get_ok("token_policies")
    policies, has_old = data.get_ok("policies")
    if has_new:
        role.token_policies = parse_policies(token_policies)
        role.policies = list(role.token_policies) if has_old else []
    elif has_old:
        role.policies = parse_policies(policies)
        role.token_policies = list(role.policies)
    else:
        raise InvalidRequest("missing token_policies")


def _clear_policies(role: RoleEntry) -> None:
    role.token_policies = []
    role.policies = []


def _read_period(role: RoleEntry) -> Response:
    out: dict[str, Any] = {}
    if role.period > 0:
        out["period"] = role.period
    out["token_period"] = role.token_period
    return Response(data=out)


def _clear_period(role: RoleEntry) -> None:
    role.token_period = 0
    role.period = 0


def _update_secret_id_cidrs(field: str) -> Updater:
    def update(role: RoleEntry, data: FieldData) -> None:
        blocks, given = data.get_ok(field)
        if not given:
            return
        if not blocks:
            raise InvalidRequest("missing bound_cidr_list")
        role.secret_id_bound_cidrs = validate_cidrs(blocks)

    return update


def _update_token_cidrs(role: RoleEntry, data: FieldData) -> None:
    blocks, given = data.get_ok("token_bound_cidrs")
    if not given:
        return
    try:
        role.token_bound_cidrs = parse_cidrs(blocks)
    except InvalidRequest as exc:
        raise InvalidRequest(f"failed to parse token_bound_cidrs: {exc}") from None


def _settings() -> list[Setting]:
    return [
        Setting(
            "local-secret-ids",
            (),
            lambda role: Response(data={"local_secret_ids": role.local_secret_ids}),
            None,
            None,
            "Whether the secret IDs of the role are local to this node.",
        ),
        Setting(
            "policies",
            ("policies", "token_policies"),
            _read_policies,
            _update_policies,
            _clear_policies,
            "The policies of the tokens of the role's logins.",
        ),
        Setting(
            "bound-cidr-list",
            ("bound_cidr_list",),
            lambda role: Response(
                data={"bound_cidr_list": None}, warnings=[BOUND_CIDR_LIST_WARNING]
            ),
            _update_secret_id_cidrs("bound_cidr_list"),
            lambda role: None,
            'Deprecated: use "secret-id-bound-cidrs".',
        ),
        Setting(
            "secret-id-bound-cidrs",
            ("secret_id_bound_cidrs",),
            _simple("secret_id_bound_cidrs"),
            _update_secret_id_cidrs("secret_id_bound_cidrs"),
            _reset("secret_id_bound_cidrs", None),
            "CIDR blocks from which the role's logins are allowed.",
        ),
        Setting(
            "token-bound-cidrs",
            ("token_bound_cidrs",),
            _simple("token_bound_cidrs"),
            _update_token_cidrs,
            _reset("token_bound_cidrs", []),
            "CIDR blocks from which the role's tokens may be used.",
        ),
        Setting(
            "bind-secret-id",
            ("bind_secret_id",),
            _simple("bind_secret_id"),
            _set_required("bind_secret_id"),
            _reset("bind_secret_id", True),
            "Whether logins with the role need a secret ID.",
        ),
        Setting(
            "secret-id-num-uses",
            ("secret_id_num_uses",),
            _simple("secret_id_num_uses"),
            _set_required(
                "secret_id_num_uses",
                _non_negative("secret_id_num_uses", "secret_id_num_uses cannot be negative"),
            ),
            _reset("secret_id_num_uses", 0),
            "How many logins a secret ID of the role allows.",
        ),
        Setting(
            "secret-id-ttl",
            ("secret_id_ttl",),
            _simple("secret_id_ttl"),
            _set_required("secret_id_ttl"),
            _reset("secret_id_ttl", 0),
            "Lifetime of the role's secret IDs.",
        ),
        Setting(
            "period",
            ("period", "token_period"),
            _read_period,
            None,  # needs the mount's maximum TTL: built in paths()
            _clear_period,
            "Renewal period of the role's tokens.",
        ),
        Setting(
            "token-num-uses",
            ("token_num_uses",),
            _simple("token_num_uses"),
            _set_required(
                "token_num_uses",
                _non_negative("token_num_uses", "'token_num_uses' cannot be negative"),
            ),
            _reset("token_num_uses", 0),
            "How many requests the role's tokens allow.",
        ),
        Setting(
            "token-ttl",
            ("token_ttl",),
            _simple("token_ttl"),
            _set_required("token_ttl", _token_ttl_check),
            _reset("token_ttl", 0),
            "Initial TTL of the role's tokens.",
        ),
        Setting(
            "token-max-ttl",
            ("token_max_ttl",),
            _simple("token_max_ttl"),
            _set_required("token_max_ttl", _token_max_ttl_check),
            _reset("token_max_ttl", 0),
            "Maximum lifetime of the role's tokens.",
        ),
    ]


def paths(backend: AppRoleBackend) -> list[Path]:
    """The per-setting paths of an AppRole mount."""
    store = backend.store

    def update_period(role: RoleEntry, data: FieldData) -> None:
        token_period, has_new = data.get_ok("token_period")
        period, has_old = data.get_ok("period")
        if has_new:
            role.token_period = token_period
            role.period = token_period if has_old else 0
        elif has_old:
            role.period = role.token_period = period
        else:
            raise InvalidRequest("missing period")
        if role.token_period > backend.max_lease_ttl():
            raise period_too_long(role.token_period, backend.max_lease_ttl())

    def build(setting: Setting) -> Path:
        update = update_period if setting.suffix == "period" else setting.update

        def read(req: Request, data: FieldData) -> Response | None:
            role = store.role(data.get("role_name"))
            return None if role is None else setting.read(role)

        def write(req: Request, data: FieldData) -> None:
            assert update is not None
            with store.lock:
                role = store.role(data.get("role_name"))
                if role is None:
                    raise unsupported_path()
                update(role, data)
                store.save_role(role)
            return None

        def delete(req: Request, data: FieldData) -> None:
            assert setting.delete is not None
            with store.lock:
                role = store.role(data.get("role_name"))
                if role is not None:
                    setting.delete(role)
                    store.save_role(role)
            return None

        operations: dict[Operation, Any] = {Operation.READ: read}
        if update is not None:
            operations[Operation.UPDATE] = write
        if setting.delete is not None:
            operations[Operation.DELETE] = delete
        return Path(
            f"{ROLE}/{setting.suffix}",
            operations,
            fields={"role_name": role_name_field(), **{n: _FIELDS[n] for n in setting.fields}},
            help_synopsis=setting.synopsis,
            help_description=(
                "Read, update or reset (delete) one setting of a role; "
                "see role/<role_name> for its meaning."
            ),
        )

    return [build(setting) for setting in _settings()]


_FIELDS: dict[str, Field] = {
    **role_fields(),
    **token_fields(),
    "bind_secret_id": Field(
        FieldType.BOOL, "Require a secret ID at login with this role.", default=True
    ),
    "bound_cidr_list": Field(
        FieldType.COMMA_STRING_SLICE,
        'Deprecated: use "secret_id_bound_cidrs". CIDR blocks allowed to log in.',
        deprecated=True,
    ),
    "period": Field(FieldType.DURATION, deprecation_text("token_period"), deprecated=True),
}
