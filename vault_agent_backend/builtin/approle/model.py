"""What an AppRole mount stores: roles and secret IDs (never the secret IDs themselves)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ...framework.tokenutil import TokenParams
from .util import ZERO_TIME, rfc3339

SECRET_ID_PREFIX = "secret_id/"
SECRET_ID_LOCAL_PREFIX = "secret_id_local/"
ACCESSOR_PREFIX = "accessor/"
ACCESSOR_LOCAL_PREFIX = "accessor_local/"


@dataclass
class RoleEntry(TokenParams):
    """A role: its credentials' rules and the token settings of its logins.

    ``role_id`` is the public half of the login; ``hmac_key`` (random, per role) keys the
    HMACs under which the role's secret IDs are stored. ``policies`` and ``period`` are the
    deprecated spellings of ``token_policies``/``token_period``, kept as Vault keeps them.
    """

    name: str = ""
    role_id: str = ""
    hmac_key: str = ""
    bind_secret_id: bool = True
    secret_id_bound_cidrs: list[str] | None = None
    secret_id_num_uses: int = 0
    secret_id_ttl: int = 0
    secret_id_prefix: str = SECRET_ID_PREFIX
    policies: list[str] = field(default_factory=list)
    period: int = 0

    @property
    def local_secret_ids(self) -> bool:
        """Whether the role's secret IDs are node-local (only settable at creation)."""
        return self.secret_id_prefix == SECRET_ID_LOCAL_PREFIX

    @property
    def accessor_prefix(self) -> str:
        """Where the accessor index of this role's secret IDs lives."""
        return ACCESSOR_LOCAL_PREFIX if self.local_secret_ids else ACCESSOR_PREFIX

    def upgraded(self) -> RoleEntry:
        """Fill empty ``token_*`` values from the deprecated ones (as Vault reads roles)."""
        if not self.token_period and self.period > 0:
            self.token_period = self.period
        if not self.token_policies and self.policies:
            self.token_policies = list(self.policies)
        return self

    def has_constraint(self) -> bool:
        """A role needs a secret ID or some CIDR restriction; Vault refuses one without."""
        return bool(self.bind_secret_id or self.secret_id_bound_cidrs or self.token_bound_cidrs)

    def read_data(self) -> dict[str, Any]:
        """The ``data`` of ``GET role/:name``."""
        out: dict[str, Any] = {
            "bind_secret_id": self.bind_secret_id,
            "secret_id_bound_cidrs": self.secret_id_bound_cidrs,
            "secret_id_num_uses": self.secret_id_num_uses,
            "secret_id_ttl": self.secret_id_ttl,
            "local_secret_ids": self.local_secret_ids,
        }
        self.populate_data(out)
        if self.period:
            out["period"] = self.period
        if self.policies:
            out["policies"] = list(self.policies)
        return dict(sorted(out.items()))

    def to_storage(self) -> dict[str, Any]:
        """Serialisable form."""
        return asdict(self)

    @classmethod
    def load(cls, raw: dict[str, Any]) -> RoleEntry:
        """From storage (unknown keys ignored), upgraded."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known}).upgraded()


@dataclass
class SecretIDEntry:
    """One issued secret ID, stored under the HMAC of the secret ID (never in clear)."""

    accessor: str = ""
    num_uses: int = 0
    ttl: int = 0
    created: float = 0.0
    expires: float = 0.0
    """Unix time after which the secret ID is invalid; 0: never."""
    updated: float = 0.0
    metadata: dict[str, str] = field(default_factory=dict)
    cidr_list: list[str] = field(default_factory=list)
    token_bound_cidrs: list[str] = field(default_factory=list)

    def expired(self, at: float) -> bool:
        """Whether the secret ID has expired at Unix time ``at``."""
        return bool(self.expires) and at > self.expires

    def response_data(self) -> dict[str, Any]:
        """The ``data`` of the lookup endpoints."""
        return {
            "cidr_list": list(self.cidr_list),
            "creation_time": rfc3339(self.created),
            "expiration_time": rfc3339(self.expires) if self.expires else ZERO_TIME,
            "last_updated_time": rfc3339(self.updated),
            "metadata": dict(self.metadata),
            "secret_id_accessor": self.accessor,
            "secret_id_num_uses": self.num_uses,
            "secret_id_ttl": self.ttl,
            "token_bound_cidrs": list(self.token_bound_cidrs),
        }

    def to_storage(self) -> dict[str, Any]:
        """Serialisable form."""
        return asdict(self)

    @classmethod
    def load(cls, raw: dict[str, Any]) -> SecretIDEntry:
        """From storage (unknown keys ignored)."""
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in raw.items() if k in known})
