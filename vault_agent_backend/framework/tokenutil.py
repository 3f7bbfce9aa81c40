"""The ``token_*`` fields auth methods share (Vault's sdk/helper/tokenutil).

An auth method's role or user stores :class:`TokenParams`; its paths declare
:func:`token_fields`; writes call :meth:`TokenParams.parse`; reads call
:meth:`TokenParams.populate_data`; logins call :meth:`TokenParams.populate_auth`.
The deprecated pre-tokenutil fields (``policies``, ``ttl``, ``max_ttl``, ``bound_cidrs``)
are carried over with :func:`upgrade_value` exactly as Vault does.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any

from .errors import InvalidRequest
from .fields import Field, FieldData, FieldType
from .request import Request
from .response import Auth

TOKEN_TYPES = {"": "default", "default": "default", "service": "service", "batch": "batch"}


def deprecation_text(param: str) -> str:
    """The description of a deprecated field replaced by ``param``."""
    return (
        f'Use "{param}" instead. If this and "{param}" are both specified, '
        f'only "{param}" will be used.'
    )


def token_fields() -> dict[str, Field]:
    """The ``token_*`` fields, to merge into a path's fields."""
    return {
        "token_bound_cidrs": Field(
            FieldType.COMMA_STRING_SLICE,
            "Comma separated string or JSON list of CIDR blocks. If set, specifies the blocks "
            "of IP addresses which are allowed to use the generated token.",
        ),
        "token_explicit_max_ttl": Field(
            FieldType.DURATION,
            "If set, tokens created via this role carry an explicit maximum TTL. During "
            "renewal, the current maximum TTL values of the role and the mount are not "
            "checked for changes, and any updates to these values will have no effect on the "
            "token being renewed.",
        ),
        "token_max_ttl": Field(FieldType.DURATION, "The maximum lifetime of the generated token"),
        "token_no_default_policy": Field(
            FieldType.BOOL,
            "If true, the 'default' policy will not automatically be added to generated tokens",
        ),
        "token_period": Field(
            FieldType.DURATION,
            "If set, tokens created via this role will have no max lifetime; instead, their "
            "renewal period will be fixed to this value.",
        ),
        "token_policies": Field(FieldType.COMMA_STRING_SLICE, "Comma-separated list of policies"),
        "token_type": Field(
            FieldType.STRING,
            "The type of token to generate, service or batch",
            default="default-service",
        ),
        "token_ttl": Field(FieldType.DURATION, "The initial ttl of the token to generate"),
        "token_num_uses": Field(
            FieldType.INT,
            "The maximum number of times a token may be used, a value of zero means unlimited",
        ),
        "token_strictly_bind_ip": Field(
            FieldType.BOOL,
            "If true, CIDRs for the token will be strictly bound to the source IP address of "
            "the login request",
        ),
    }


def parse_cidrs(values: list[str]) -> list[str]:
    """Validate CIDR blocks or addresses; their display form (a full-length block is bare)."""
    out = []
    for value in values:
        text = value.strip()
        try:
            iface = ipaddress.ip_interface(text)
        except ValueError:
            raise InvalidRequest(
                f'error parsing address "{text}": Unable to convert "{text}" to an IPv4 or IPv6 '
                "address, or a UNIX Socket"
            ) from None
        full = iface.network.max_prefixlen
        prefix = iface.network.prefixlen
        out.append(str(iface.ip) if prefix == full else f"{iface.ip}/{prefix}")
    return out


def address_allowed(remote_addr: str, cidrs: list[str]) -> bool:
    """Whether a client address lies inside one of the blocks (no blocks: allowed)."""
    if not cidrs:
        return True
    try:
        address = ipaddress.ip_address(remote_addr.split("%")[0])
    except ValueError:
        return False
    for cidr in cidrs:
        try:
            if address in ipaddress.ip_interface(cidr).network:
                return True
        except ValueError:
            continue
    return False


def parse_policies(values: list[str]) -> list[str]:
    """Vault's policyutil.ParsePolicies: trimmed, lower-cased, unique, sorted; root alone."""
    cleaned = {v.strip().lower() for v in values if v.strip()}
    if "root" in cleaned:
        return ["root"]
    return sorted(cleaned)


@dataclass
class TokenParams:
    """The token settings of a role or user (Vault's tokenutil.TokenParams)."""

    token_bound_cidrs: list[str] = field(default_factory=list)
    token_explicit_max_ttl: int = 0
    token_max_ttl: int = 0
    token_no_default_policy: bool = False
    token_num_uses: int = 0
    token_period: int = 0
    token_policies: list[str] = field(default_factory=list)
    token_type: str = "default"
    token_ttl: int = 0
    token_strictly_bind_ip: bool = False

    def parse(self, data: FieldData) -> None:
        """Apply the ``token_*`` fields of a write; 400 with Vault's message when invalid."""
        cidrs, ok = data.get_ok("token_bound_cidrs")
        if ok:
            self.token_bound_cidrs = parse_cidrs(cidrs)
        value, ok = data.get_ok("token_explicit_max_ttl")
        if ok:
            self.token_explicit_max_ttl = value
        value, ok = data.get_ok("token_max_ttl")
        if ok:
            self.token_max_ttl = value
        if self.token_max_ttl < 0:
            raise InvalidRequest("'token_max_ttl' cannot be negative")
        value, ok = data.get_ok("token_no_default_policy")
        if ok:
            self.token_no_default_policy = value
        value, ok = data.get_ok("token_period")
        if ok:
            self.token_period = value
        if self.token_period < 0:
            raise InvalidRequest("'token_period' cannot be negative")
        value, ok = data.get_ok("token_policies")
        if ok:
            self.token_policies = list(value)
        value, ok = data.get_ok("token_type")
        if ok:
            if value not in TOKEN_TYPES:
                raise InvalidRequest(f"invalid 'token_type' value \"{value}\"")
            self.token_type = TOKEN_TYPES[value]
        value, ok = data.get_ok("token_num_uses")
        if ok:
            self.token_num_uses = value
        if self.token_num_uses < 0:
            raise InvalidRequest("'token_num_uses' cannot be negative")
        if self.token_type == "batch":
            if self.token_period:
                raise InvalidRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate "
                    "periodic tokens"
                )
            if self.token_num_uses:
                raise InvalidRequest(
                    "'token_type' cannot be 'batch' or 'default_batch' when set to generate "
                    "tokens with limited use count"
                )
        value, ok = data.get_ok("token_ttl")
        if ok:
            self.token_ttl = value
        if self.token_ttl < 0:
            raise InvalidRequest("'token_ttl' cannot be negative")
        if self.token_ttl > 0 and self.token_max_ttl > 0 and self.token_ttl > self.token_max_ttl:
            raise InvalidRequest("'token_ttl' cannot be greater than 'token_max_ttl'")
        value, ok = data.get_ok("token_strictly_bind_ip")
        if ok:
            self.token_strictly_bind_ip = value
        if self.token_strictly_bind_ip and self.token_bound_cidrs:
            raise InvalidRequest(
                "'token_strictly_bind_ip' conflicts with 'token_bound_cidrs'; set only one"
            )

    def populate_data(self, out: dict[str, Any]) -> None:
        """Add the ``token_*`` fields to a read's data."""
        out.update(
            {
                "token_bound_cidrs": list(self.token_bound_cidrs),
                "token_explicit_max_ttl": self.token_explicit_max_ttl,
                "token_max_ttl": self.token_max_ttl,
                "token_no_default_policy": self.token_no_default_policy,
                "token_period": self.token_period,
                "token_policies": list(self.token_policies),
                "token_type": self.token_type,
                "token_ttl": self.token_ttl,
                "token_num_uses": self.token_num_uses,
                "token_strictly_bind_ip": self.token_strictly_bind_ip,
            }
        )

    def populate_auth(self, auth: Auth, request: Request) -> list[str]:
        """Fill a login's auth block; returns the CIDRs the token must be bound to."""
        auth.explicit_max_ttl = self.token_explicit_max_ttl
        auth.max_ttl = self.token_max_ttl
        auth.no_default_policy = self.token_no_default_policy
        auth.period = self.token_period
        auth.policies = list(self.token_policies)
        auth.renewable = True
        auth.token_type = "" if self.token_type == "default" else self.token_type
        auth.ttl = self.token_ttl
        auth.num_uses = self.token_num_uses
        cidrs = list(self.token_bound_cidrs)
        if self.token_strictly_bind_ip and request.remote_addr:
            cidrs = parse_cidrs([request.remote_addr])
        auth.bound_cidrs = cidrs
        return cidrs

    def to_storage(self) -> dict[str, Any]:
        """Serialisable form."""
        return asdict(self)

    @classmethod
    def from_storage(cls, raw: dict[str, Any]) -> TokenParams:
        """Inverse of to_storage (unknown keys ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})


def upgrade_value(data: FieldData, old_key: str, new_key: str, holder: Any, old_attr: str) -> None:
    """Carry a deprecated field over to its ``token_*`` successor (Vault's UpgradeValue).

    Only the new field given: the old value is cleared. Only the old field given: both take
    it (policies parsed as Vault's ParsePolicies, CIDRs validated). Both given: the old field
    mirrors the new one.
    """
    new_given = data.has(new_key)
    old_given = data.has(old_key)
    if not new_given:
        if old_given:
            value = data.get(old_key)
            if new_key == "token_policies":
                value = parse_policies(value)
            elif new_key == "token_bound_cidrs":
                value = parse_cidrs(value)
            setattr(holder, old_attr, value)
            setattr(holder, new_key, value)
    elif old_given:
        setattr(holder, old_attr, getattr(holder, new_key))
    else:
        setattr(holder, old_attr, [] if isinstance(getattr(holder, old_attr), list) else 0)
