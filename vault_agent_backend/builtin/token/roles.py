"""Token roles: ``auth/token/roles/:role_name`` (CRUD + LIST) and their storage."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...storage.view import StorageView
from .policies import remove_duplicates, sanitize_policies

if TYPE_CHECKING:
    from .store import TokenStore

_PATH_SUFFIX = re.compile(r"\w[\w\-.]+\w")
ROLE_TOKEN_TYPES = ("service", "batch", "default-service", "default-batch")


@dataclass
class TokenRole:
    """A token role (Vault's tsRoleEntry with the token fields the token store allows)."""

    name: str
    allowed_policies: list[str] = field(default_factory=list)
    disallowed_policies: list[str] = field(default_factory=list)
    allowed_policies_glob: list[str] = field(default_factory=list)
    disallowed_policies_glob: list[str] = field(default_factory=list)
    orphan: bool = False
    renewable: bool = True
    path_suffix: str = ""
    allowed_entity_aliases: list[str] | None = None
    period: int = 0
    """Deprecated ``period`` as written (read back as such)."""
    explicit_max_ttl: int = 0
    """Deprecated ``explicit_max_ttl`` as written."""
    bound_cidrs: list[str] = field(default_factory=list)
    """Deprecated ``bound_cidrs`` as written."""
    token_period: int = 0
    token_explicit_max_ttl: int = 0
    token_bound_cidrs: list[str] = field(default_factory=list)
    token_no_default_policy: bool = False
    token_num_uses: int = 0
    token_type: str = "default-service"

    def to_api(self) -> dict[str, Any]:
        """The ``data`` of a role read."""
        data: dict[str, Any] = {
            "allowed_entity_aliases": self.allowed_entity_aliases,
            "allowed_policies": self.allowed_policies,
            "allowed_policies_glob": self.allowed_policies_glob,
            "disallowed_policies": self.disallowed_policies,
            "disallowed_policies_glob": self.disallowed_policies_glob,
            "explicit_max_ttl": self.explicit_max_ttl,
            "name": self.name,
            "orphan": self.orphan,
            "path_suffix": self.path_suffix,
            "period": self.period,
            "renewable": self.renewable,
            "token_explicit_max_ttl": self.token_explicit_max_ttl,
            "token_no_default_policy": self.token_no_default_policy,
            "token_period": self.token_period,
            "token_type": self.token_type,
        }
        if self.token_bound_cidrs:
            data["token_bound_cidrs"] = self.token_bound_cidrs
        if self.bound_cidrs:
            data["bound_cidrs"] = self.bound_cidrs
        if self.token_num_uses > 0:
            data["token_num_uses"] = self.token_num_uses
        return data

    @classmethod
    def from_storage(cls, raw: dict[str, Any]) -> TokenRole:
        """A stored role, with Vault's upgrades of the deprecated fields."""
        known = set(cls.__dataclass_fields__)
        role = cls(**{k: v for k, v in raw.items() if k in known})
        if role.token_type == "default":
            role.token_type = "default-service"
        if role.period and not role.token_period:
            role.token_period = role.period
        if role.explicit_max_ttl and not role.token_explicit_max_ttl:
            role.token_explicit_max_ttl = role.explicit_max_ttl
        if role.bound_cidrs and not role.token_bound_cidrs:
            role.token_bound_cidrs = list(role.bound_cidrs)
        return role


def parse_cidrs(values: list[str]) -> list[str]:
    """CIDRs (or single addresses) as Vault prints them; ValueError with Vault's text."""
    out = []
    for value in values:
        text = value.strip()
        try:
            iface = ipaddress.ip_interface(text)
        except ValueError:
            raise ValueError(
                f'error parsing address "{text}": Unable to convert "{text}" to an IPv4 or '
                "IPv6 address, or a UNIX Socket"
            ) from None
        full = iface.network.max_prefixlen
        out.append(str(iface.ip) if iface.network.prefixlen == full else str(iface))
    return out


def addr_in_cidrs(addr: str, cidrs: list[str]) -> bool:
    """Whether a remote address lies in any of the CIDRs (no address: not bound)."""
    try:
        ip = ipaddress.ip_address(addr.strip().split("%")[0])
    except ValueError:
        return False
    for cidr in cidrs:
        try:
            if ip in ipaddress.ip_network(cidr, strict=False):
                return True
        except ValueError:
            continue
    return False


class RoleStore:
    """Roles in storage under ``sys/token/roles/``."""

    def __init__(self, view: StorageView):
        self.view = view

    def get(self, name: str) -> TokenRole | None:
        """A role by name, or None."""
        if not name:
            return None
        raw = self.view.get_json(name)
        return None if raw is None else TokenRole.from_storage(raw)

    def put(self, role: TokenRole) -> None:
        """Store a role."""
        self.view.put_json(role.name, asdict(role))

    def delete(self, name: str) -> None:
        """Remove a role (no error when absent)."""
        self.view.delete(name)

    def names(self) -> list[str]:
        """Every role name."""
        return [n for n in self.view.list("") if not n.endswith("/")]


_CSV = FieldType.COMMA_STRING_SLICE
ROLE_FIELDS: dict[str, Field] = {
    "role_name": Field(FieldType.STRING, "Name of the role"),
    "allowed_policies": Field(_CSV, "Policies a token of this role may have."),
    "disallowed_policies": Field(_CSV, "Policies a token of this role may not have."),
    "allowed_policies_glob": Field(_CSV, "Glob patterns of allowed policies."),
    "disallowed_policies_glob": Field(_CSV, "Glob patterns of disallowed policies."),
    "orphan": Field(FieldType.BOOL, "Tokens of this role have no parent."),
    "period": Field(FieldType.DURATION, "Use 'token_period' instead.", deprecated=True),
    "path_suffix": Field(FieldType.STRING, "Suffix of the tokens' creation path."),
    "explicit_max_ttl": Field(
        FieldType.DURATION, "Use 'token_explicit_max_ttl' instead.", deprecated=True
    ),
    "renewable": Field(FieldType.BOOL, "Tokens of this role may be renewed.", default=True),
    "bound_cidrs": Field(_CSV, "Use 'token_bound_cidrs' instead.", deprecated=True),
    "allowed_entity_aliases": Field(_CSV, "Entity aliases tokens may be created for (globs)."),
    "token_bound_cidrs": Field(_CSV, "CIDR blocks allowed to use the generated tokens."),
    "token_explicit_max_ttl": Field(FieldType.DURATION, "Hard cap of the tokens' lifetime."),
    "token_period": Field(FieldType.DURATION, "Renewal period of periodic tokens."),
    "token_type": Field(
        FieldType.STRING, "service, batch, default-service or default-batch.", "default-service"
    ),
    "token_no_default_policy": Field(FieldType.BOOL, "Do not add the default policy."),
    "token_num_uses": Field(FieldType.INT, "Uses of each token (0 = unlimited)."),
}


class RolePaths:
    """Handlers of ``roles/`` and ``roles/:role_name``."""

    def __init__(self, store: TokenStore, roles: RoleStore):
        self.store = store
        self.roles = roles

    def paths(self) -> list[Path]:
        """The declared role paths."""
        return [
            Path(
                "roles/?",
                {Operation.LIST: self.list_roles},
                help_synopsis="List token roles.",
            ),
            Path(
                f"roles/{name_regex('role_name')}",
                {
                    Operation.READ: self.read,
                    Operation.CREATE: self.write,
                    Operation.UPDATE: self.write,
                    Operation.DELETE: self.delete,
                },
                fields=ROLE_FIELDS,
                existence_check=self.exists,
                help_synopsis="Create, read, update and delete token roles.",
            ),
        ]

    def list_roles(self, req: Request, data: FieldData) -> Response:
        return Response(data={"keys": self.roles.names()})

    def exists(self, req: Request, data: FieldData) -> bool:
        return self.roles.get(data.get("role_name")) is not None

    def read(self, req: Request, data: FieldData) -> Response | None:
        role = self.roles.get(data.get("role_name"))
        return None if role is None else Response(data=role.to_api())

    def delete(self, req: Request, data: FieldData) -> None:
        self.roles.delete(data.get("role_name"))

    def write(self, req: Request, data: FieldData) -> Response | None:
        name = data.get("role_name")
        if not name:
            raise InvalidRequest("role name cannot be empty")
        creating = req.operation == Operation.CREATE
        role = self.roles.get(name) or TokenRole(name=name)
        resp = Response()
        self._simple_fields(role, data, creating)
        type_given = "token_type" in data.raw
        type_for_check = "default" if type_given else role.token_type
        if type_given and data.raw["token_type"] is None:
            raise InvalidRequest("Invalid 'token_type' value: null")
        self._token_fields(role, data, type_for_check)
        if type_given:
            wanted = str(data.raw["token_type"])
            if wanted not in ROLE_TOKEN_TYPES:
                raise InvalidRequest(f"invalid 'token_type' value \"{wanted}\"")
            role.token_type = wanted
        self._deprecated_fields(role, data, resp)
        if role.token_type == "batch":
            _check_batch_role(role)
        aliases, ok = data.get_ok("allowed_entity_aliases")
        if ok:
            role.allowed_entity_aliases = remove_duplicates(aliases)
        self.roles.put(role)
        return resp if resp.warnings else None

    @staticmethod
    def _simple_fields(role: TokenRole, data: FieldData, creating: bool) -> None:
        for flag in ("orphan", "renewable"):
            value, ok = data.get_ok(flag)
            if ok or creating:
                setattr(role, flag, value)
        suffix, ok = data.get_ok("path_suffix")
        if ok:
            if suffix and not _PATH_SUFFIX.search(suffix):
                raise InvalidRequest(
                    "given role path suffix contains invalid characters; must match "
                    + _PATH_SUFFIX.pattern.replace("\\-", "-")
                )
            role.path_suffix = suffix
        elif creating:
            role.path_suffix = ""
        if ".." in role.path_suffix:
            raise InvalidRequest(
                "error registering path suffix: path cannot contain parent references"
            )
        for key in ("allowed_policies", "allowed_policies_glob"):
            value, ok = data.get_ok(key)
            if ok or creating:
                setattr(role, key, sanitize_policies(value, False))
        for key in ("disallowed_policies", "disallowed_policies_glob"):
            value, ok = data.get_ok(key)
            if ok or creating:
                setattr(role, key, remove_duplicates(value))

    @staticmethod
    def _token_fields(role: TokenRole, data: FieldData, type_for_check: str) -> None:
        cidrs, ok = data.get_ok("token_bound_cidrs")
        if ok:
            try:
                role.token_bound_cidrs = parse_cidrs(cidrs)
            except ValueError as exc:
                raise InvalidRequest(f"error parsing role fields: {exc}") from None
        for key in ("token_explicit_max_ttl", "token_no_default_policy", "token_period"):
            value, ok = data.get_ok(key)
            if ok:
                setattr(role, key, value)
        uses, ok = data.get_ok("token_num_uses")
        if ok:
            role.token_num_uses = uses
        if role.token_num_uses < 0:
            raise InvalidRequest("error parsing role fields: 'token_num_uses' cannot be negative")
        if type_for_check in ("batch", "default-batch"):
            if role.token_period:
                raise InvalidRequest(
                    "error parsing role fields: 'token_type' cannot be 'batch' or "
                    "'default_batch' when set to generate periodic tokens"
                )
            if role.token_num_uses:
                raise InvalidRequest(
                    "error parsing role fields: 'token_type' cannot be 'batch' or "
                    "'default_batch' when set to generate tokens with limited use count"
                )

    def _deprecated_fields(self, role: TokenRole, data: FieldData, resp: Response) -> None:
        pairs = (
            ("token_period", "period"),
            ("token_bound_cidrs", "bound_cidrs"),
            ("token_explicit_max_ttl", "explicit_max_ttl"),
        )
        for new, old in pairs:
            if data.has(new):
                if data.has(old):
                    resp.add_warning(
                        f"Both '{new}' and deprecated '{old}' value supplied, ignoring the "
                        "deprecated value"
                    )
                setattr(role, old, [] if old == "bound_cidrs" else 0)
                continue
            value, ok = data.get_ok(old)
            if not ok:
                continue
            if old == "bound_cidrs":
                try:
                    value = parse_cidrs(value)
                except ValueError as exc:
                    raise InvalidRequest(f"error parsing bound_cidrs: {exc}") from None
            setattr(role, old, value)
            setattr(role, new, value)
        final_max = (
            role.token_explicit_max_ttl
            if data.has("token_explicit_max_ttl")
            else (role.explicit_max_ttl)
        )
        _default, system_max = self.store.mount_ttls()
        if final_max and system_max and final_max > system_max:
            resp.add_warning(
                f"Given explicit max TTL of {final_max} is greater than system/mount allowed "
                f"value of {system_max} seconds; until this is fixed attempting to create "
                "tokens against this role will result in an error"
            )


def _check_batch_role(role: TokenRole) -> None:
    prefix = "'token_type' cannot be 'batch' when role is set to generate "
    if not role.orphan:
        raise InvalidRequest(prefix + "non-orphan tokens")
    if role.period or role.token_period:
        raise InvalidRequest(prefix + "periodic tokens")
    if role.renewable:
        raise InvalidRequest(prefix + "renewable tokens")
    if role.explicit_max_ttl or role.token_explicit_max_ttl:
        raise InvalidRequest(prefix + "tokens with an explicit max TTL")
