"""``auth/token/create``, ``create-orphan`` and ``create/:role_name``."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ...framework.durations import parse_duration
from ...framework.errors import InvalidRequest, PermissionDenied, VaultError
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Alias, Response
from .entry import BATCH, SERVICE, TokenEntry
from .policies import ROOT, contains_glob, resolve_token_policies
from .roles import TokenRole
from .ttl import TTLError, parse_duration_param

if TYPE_CHECKING:
    from .backend import TokenBackend

_DISPLAY_NAME_SANITIZE = re.compile(r"[^a-zA-Z0-9-]")
CUSTOM_ID_WARNING = (
    "Supplying a custom ID for the token uses the weaker SHA1 hashing instead of the more "
    "secure SHA2-256 HMAC for token obfuscation. SHA1 hashed tokens on the wire leads to "
    "less secure lookups."
)

CREATE_FIELDS: dict[str, Field] = {
    "display_name": Field(FieldType.STRING, "Name to associate with this token"),
    "explicit_max_ttl": Field(FieldType.STRING, "Explicit Max TTL of this token"),
    "entity_alias": Field(FieldType.STRING, "Entity alias to associate with this token"),
    "num_uses": Field(FieldType.INT, "Max number of uses for this token"),
    "period": Field(FieldType.STRING, "Renew period"),
    "renewable": Field(FieldType.BOOL, "Allow token to be renewed past its initial TTL", True),
    "ttl": Field(FieldType.STRING, "Time to live for this token"),
    "lease": Field(FieldType.STRING, "Use 'ttl' instead", deprecated=True),
    "type": Field(FieldType.STRING, "Token type"),
    "no_default_policy": Field(FieldType.BOOL, "Do not include default policy for this token"),
    "id": Field(FieldType.STRING, "Value for the token"),
    "meta": Field(FieldType.KV_PAIRS, "Arbitrary key=value metadata to associate with the token"),
    "no_parent": Field(FieldType.BOOL, "Create the token with no parent"),
    "policies": Field(FieldType.STRING_SLICE, "List of policies for the token"),
}
ROLE_CREATE_FIELDS: dict[str, Field] = {
    "role_name": Field(FieldType.STRING, "Name of the role"),
    **CREATE_FIELDS,
}


@dataclass
class _Lifetimes:
    """TTL inputs of a creation after merging the request with its role."""

    explicit_max_ttl: int = 0
    period: int = 0
    warnings: list[str] = field(default_factory=list)


class CreatePaths:
    """Token creation handlers (Vault's handleCreateCommon)."""

    def __init__(self, backend: TokenBackend):
        self.backend = backend
        self.store = backend.store

    def paths(self) -> list[Path]:
        """The declared creation paths."""
        return [
            Path(
                "create-orphan",
                {Operation.UPDATE: self.create_orphan},
                fields=CREATE_FIELDS,
                help_synopsis="Create a token without a parent.",
            ),
            Path(
                f"create/{name_regex('role_name')}",
                {Operation.UPDATE: self.create_against_role},
                fields=ROLE_CREATE_FIELDS,
                help_synopsis="Create a token using a role.",
            ),
            Path(
                "create",
                {Operation.UPDATE: self.create},
                fields=CREATE_FIELDS,
                help_synopsis="Create a token (a child of the calling token).",
            ),
        ]

    def create(self, req: Request, data: FieldData) -> Response:
        return self._create(req, data, orphan=False, role=None)

    def create_orphan(self, req: Request, data: FieldData) -> Response:
        return self._create(req, data, orphan=True, role=None)

    def create_against_role(self, req: Request, data: FieldData) -> Response:
        name = data.get("role_name")
        role = self.backend.roles.get(name)
        if role is None:
            raise InvalidRequest(f"unknown role {name}")
        return self._create(req, data, orphan=False, role=role)

    # ----- the common path ---------------------------------------------------------------------

    def _create(
        self, req: Request, data: FieldData, *, orphan: bool, role: TokenRole | None
    ) -> Response:
        parent = self._parent(req)
        warnings: list[str] = []
        is_sudo = self.backend.has_sudo(req)
        token_type = self._token_type(data, role)
        renewable: bool = data.get("renewable")
        num_uses: int = data.get("num_uses")
        if token_type == BATCH:
            renewable = False
        if num_uses < 0:
            raise InvalidRequest("number of uses cannot be negative")
        explicit_entity_id = self._entity_alias(req, data, role)
        meta, has_meta = data.get_ok("meta")
        te = TokenEntry(
            id="",
            accessor="",
            parent=parent.id,
            path=f"auth/token/{req.rel_path}",
            meta=dict(meta) if has_meta else None,
            display_name="token",
            num_uses=num_uses,
            creation_time=float(int(time.time())),
            type=token_type,
        )
        if role is not None:
            te.role = role.name
            if renewable and not role.renewable:
                renewable = False
            if role.token_num_uses and (not te.num_uses or role.token_num_uses < te.num_uses):
                te.num_uses = role.token_num_uses
            if role.path_suffix:
                te.path = f"{te.path}/{role.path_suffix}"
        display_name: str = data.get("display_name")
        if display_name:
            full = _DISPLAY_NAME_SANITIZE.sub("-", "token-" + display_name)
            te.display_name = full.removesuffix("-")
        custom_id: str = data.get("id")
        if custom_id:
            if not is_sudo:
                raise InvalidRequest("root or sudo privileges required to specify token id")
            te.id = custom_id
        te.policies = resolve_token_policies(
            data.get("policies"),
            no_default_policy=data.get("no_default_policy"),
            role=role,
            parent_policies=parent.policies,
            is_sudo=is_sudo,
        )
        if ROOT in te.policies:
            if ROOT not in parent.policies:
                raise InvalidRequest(
                    "root tokens may not be created without parent token being root"
                )
            if te.type == BATCH:
                raise InvalidRequest("batch tokens cannot be root tokens")
        self._parentage(te, parent, data, role, orphan, is_sudo, explicit_entity_id)
        life = self._lifetimes(te, data, role, is_sudo)
        warnings.extend(life.warnings)
        ttl_warnings, renewable = self._compute_ttl(te, parent, life, renewable)
        warnings.extend(ttl_warnings)
        if te.id:
            warnings.append(CUSTOM_ID_WARNING)
        te.renewable = renewable
        te.lease_ttl = te.ttl
        te.issue_time = time.time()
        te.expire_at = te.issue_time + te.ttl if te.ttl else 0.0
        te = self.store.create(te)
        warnings.extend(self._missing_policy_warnings(te.policies))
        auth = self.backend.auth_for(te, renewable=renewable)
        auth.period = life.period
        auth.explicit_max_ttl = life.explicit_max_ttl
        return Response(auth=auth, warnings=warnings)

    def _parent(self, req: Request) -> TokenEntry:
        caller = req.caller
        if caller is None or caller.kind != "token":
            raise PermissionDenied()
        token = caller.token
        parent = self.store.lookup(token.id, usable_only=True) if token is not None else None
        if parent is None:
            raise InvalidRequest("parent token lookup failed: no parent found")
        if parent.type == BATCH:
            raise InvalidRequest("batch tokens cannot create more tokens")
        if parent.num_uses > 0:
            raise InvalidRequest("restricted use token cannot generate child tokens")
        return parent

    @staticmethod
    def _token_type(data: FieldData, role: TokenRole | None) -> str:
        wanted: str = data.get("type")
        if role is not None:
            if role.token_type == "default-batch" and not wanted:
                wanted = BATCH
            elif role.token_type in (SERVICE, BATCH):
                wanted = role.token_type
        if wanted in ("", SERVICE):
            return SERVICE
        if wanted != BATCH:
            raise InvalidRequest("invalid 'token_type' value")
        explicit: str = data.get("explicit_max_ttl")
        period: str = data.get("period")
        bad = ""
        if explicit != "":
            if _parse_quiet(explicit) is None:
                raise InvalidRequest("'explicit_max_ttl' value could not be parsed")
            if _parse_quiet(explicit):
                bad = "explicit_max_ttl"
        elif data.get("num_uses") != 0:
            bad = "num_uses"
        elif period != "":
            if _parse_quiet(period) is None:
                raise InvalidRequest("'period' value could not be parsed")
            if _parse_quiet(period):
                bad = "period"
        if bad:
            raise InvalidRequest(f'batch tokens cannot have "{bad}" set')
        return BATCH

    def _entity_alias(self, req: Request, data: FieldData, role: TokenRole | None) -> str:
        raw: str = data.get("entity_alias")
        if not raw:
            return ""
        if role is None:
            raise InvalidRequest("'entity_alias' is only allowed in combination with token role")
        lowered = raw.lower()
        allowed = role.allowed_entity_aliases or []
        if lowered not in allowed and not contains_glob(allowed, lowered):
            raise InvalidRequest("invalid 'entity_alias' value")
        identity = self.backend.core.hooks.get("identity")
        mount = self.backend.mount_entry()
        if identity is None or mount is None:
            raise InvalidRequest("failed to create or fetch entity from given entity alias")
        entity_id = identity.entity_for_login(mount, Alias(name=raw))
        if not entity_id:
            raise InvalidRequest("failed to create or fetch entity from given entity alias")
        state = identity.caller_state(entity_id)
        if state is not None and getattr(state, "disabled", False):
            raise VaultError("entity from given entity alias is disabled", status=403)
        return entity_id

    @staticmethod
    def _parentage(
        te: TokenEntry,
        parent: TokenEntry,
        data: FieldData,
        role: TokenRole | None,
        orphan: bool,
        is_sudo: bool,
        explicit_entity_id: str,
    ) -> None:
        if role is not None:
            if role.orphan:
                te.parent = ""
            if role.token_bound_cidrs:
                te.bound_cidrs = list(role.token_bound_cidrs)
        elif data.get("no_parent"):
            if not is_sudo:
                raise InvalidRequest("root or sudo privileges required to create orphan token")
            te.parent = ""
        elif orphan:
            te.parent = ""
        if explicit_entity_id:
            te.entity_id = explicit_entity_id
        elif te.parent:
            te.entity_id = parent.entity_id
            if role is None:
                te.bound_cidrs = list(parent.bound_cidrs)

    @staticmethod
    def _lifetimes(
        te: TokenEntry, data: FieldData, role: TokenRole | None, is_sudo: bool
    ) -> _Lifetimes:
        life = _Lifetimes()
        explicit: str = data.get("explicit_max_ttl")
        if explicit != "":
            te.explicit_max_ttl = parse_duration_param(explicit, "explicit_max_ttl")
            life.explicit_max_ttl = te.explicit_max_ttl
        period: str = data.get("period")
        if period != "":
            seconds = parse_duration_param(period, "period")
            if seconds:
                if not is_sudo:
                    raise InvalidRequest(
                        "root or sudo privileges required to create periodic token"
                    )
                te.period = life.period = seconds
        ttl: str = data.get("ttl")
        lease: str = data.get("lease")
        if ttl != "":
            te.ttl = parse_duration_param(ttl, "ttl")
        elif lease != "":
            te.ttl = parse_duration_param(lease, "lease")
        if role is not None and te.type != BATCH:
            if role.token_explicit_max_ttl:
                if not life.explicit_max_ttl:
                    life.explicit_max_ttl = role.token_explicit_max_ttl
                else:
                    life.explicit_max_ttl = min(life.explicit_max_ttl, role.token_explicit_max_ttl)
                    life.warnings.append(
                        "Explicit max TTL specified both during creation call and in role; "
                        f"using the lesser value of {life.explicit_max_ttl} seconds"
                    )
            if role.token_period:
                if not life.period:
                    life.period = role.token_period
                else:
                    life.period = min(life.period, role.token_period)
                    life.warnings.append(
                        "Period specified both during creation call and in role; using the "
                        f"lesser value of {life.period} seconds"
                    )
        return life

    def _compute_ttl(
        self, te: TokenEntry, parent: TokenEntry, life: _Lifetimes, renewable: bool
    ) -> tuple[list[str], bool]:
        warnings: list[str] = []
        if life.period > 0 or te.ttl > 0 or ROOT not in te.policies:
            try:
                result = self.store.calculate_ttl(
                    "auth/token/",
                    backend_ttl=te.ttl,
                    period=life.period,
                    explicit_max_ttl=life.explicit_max_ttl,
                    start_time=te.creation_time,
                )
            except TTLError as exc:
                raise InvalidRequest(str(exc)) from None
            warnings.extend(result.warnings)
            te.ttl = result.ttl
        if te.ttl == 0 and life.explicit_max_ttl > 0:
            te.ttl = life.explicit_max_ttl
        if te.ttl == 0:
            if parent.ttl != 0:
                raise InvalidRequest("expiring root tokens cannot create non-expiring root tokens")
            renewable = False
            te.bound_cidrs = []
        return warnings, renewable

    def _missing_policy_warnings(self, policies: list[str]) -> list[str]:
        store = self.backend.core.policy_store
        return [
            f'Policy "{name}" does not exist'
            for name in policies
            if name != ROOT and store.get(name) is None
        ]


def _parse_quiet(value: str) -> int | None:
    """A duration string in seconds (negative allowed), or None when it does not parse."""
    try:
        return parse_duration(value, allow_negative=True)
    except ValueError:
        return None
