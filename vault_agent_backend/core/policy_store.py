"""ACL policies in storage, parsed once and compiled into cached ACLs."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..framework.errors import InvalidRequest
from ..policy import (
    ACL,
    DEFAULT_CEILING_POLICY,
    DEFAULT_POLICY,
    DEFAULT_POLICY_HCL,
    ROOT_POLICY,
    IdentityContext,
    Policy,
    PolicyParseError,
    normalize_policy_name,
    parse_policy,
    root_policy,
)

if TYPE_CHECKING:
    from .core import Core

PREFIX = "sys/policy/"
RESPONSE_WRAPPING_POLICY = "response-wrapping"
"""The fixed policy of response-wrapping tokens (never listed, never writable)."""
RESPONSE_WRAPPING_POLICY_HCL = """
path "cubbyhole/response" {
    capabilities = ["create", "read"]
}

path "sys/wrapping/unwrap" {
    capabilities = ["update"]
}

path "auth/token/revoke-self" {
    capabilities = ["update"]
}
"""
IMMUTABLE = {ROOT_POLICY, DEFAULT_CEILING_POLICY, RESPONSE_WRAPPING_POLICY}


class PolicyStore:
    """CRUD of ACL policies and the compiled-ACL cache (never re-parses on a decision)."""

    def __init__(self, core: Core):
        self.core = core
        self._parsed: dict[str, Policy | None] = {}
        self._acls: dict[tuple[Any, ...], ACL] = {}
        self._lock = threading.Lock()
        self._epoch = 0
        """Bumped by :meth:`invalidate`: a value read from storage before an invalidation
        is not cached after it (it may predate the change that caused it)."""
        self.builtin_texts: dict[str, str] = {}
        """Policies created at setup when absent (name → HCL), e.g. default-ceiling."""

    def setup(self) -> None:
        """Create the default policy on a fresh storage."""
        if self.core.storage.get(PREFIX + DEFAULT_POLICY) is None:
            self._store(DEFAULT_POLICY, DEFAULT_POLICY_HCL)
        if self.core.storage.get(PREFIX + RESPONSE_WRAPPING_POLICY) is None:
            self._store(RESPONSE_WRAPPING_POLICY, RESPONSE_WRAPPING_POLICY_HCL)
        for name, text in self.builtin_texts.items():
            if self.core.storage.get(PREFIX + name) is None:
                self._store(name, text)

    def invalidate(self) -> None:
        """Drop every cached policy and ACL (called when the generation changes)."""
        with self._lock:
            self._epoch += 1
            self._parsed.clear()
            self._acls.clear()

    # ----- CRUD ------------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Stored policy names, sorted (``root`` is not stored; ``response-wrapping`` and the
        built-in ``default-ceiling`` are hidden, so listings match OpenBao's; both can be read)."""
        hidden = {RESPONSE_WRAPPING_POLICY, DEFAULT_CEILING_POLICY}
        return sorted(n for n in self.core.storage.list(PREFIX) if n not in hidden)

    def read_record(self, name: str) -> dict[str, Any] | None:
        """The stored record of a policy: name, policy text, version, modified."""
        raw = self.core.storage.get(PREFIX + normalize_policy_name(name))
        return None if raw is None else json.loads(raw)

    def read_raw(self, name: str) -> str | None:
        """The HCL text of a policy, or None."""
        record = self.read_record(name)
        return None if record is None else record["policy"]

    def write(self, name: str, text: str, cas: int | None = None) -> None:
        """Validate and store a policy; 400 on a parse error or an immutable name."""
        name = normalize_policy_name(name)
        if not name:
            raise InvalidRequest("policy name must be provided")
        if name in IMMUTABLE:
            raise InvalidRequest(f'cannot update "{name}" policy')
        if not text:  # Vault refuses only "": a blank text is a policy with no stanzas
            raise InvalidRequest("'policy' parameter not supplied or empty")
        try:
            parse_policy(name, text)
        except PolicyParseError as exc:
            raise InvalidRequest(str(exc)) from None  # already "failed to parse policy: ..."
        current = self.read_record(name)
        version = current.get("version", 1) if current else 0
        if cas is not None and cas != version:
            raise InvalidRequest(
                f"check-and-set parameter {cas} did not match the current version {version}"
            )
        self._store(name, text, version + 1)

    def delete(self, name: str) -> None:
        """Remove a policy; ``default`` and ``root`` cannot be deleted."""
        name = normalize_policy_name(name)
        if name == DEFAULT_POLICY:
            raise InvalidRequest(f"cannot delete {name} policy")
        if name in IMMUTABLE:
            raise InvalidRequest(f'cannot delete "{name}" policy')
        self.core.storage.delete(PREFIX + name)
        self.core.bump_generation()

    def _store(self, name: str, text: str, version: int = 1) -> None:
        modified = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        record = {
            "name": name,
            "policy": text,
            "version": version,
            "modified": modified,
            "hash": uuid.uuid4().hex,
        }
        self.core.storage.put(PREFIX + name, json.dumps(record).encode())
        self.core.bump_generation()

    # ----- compiled ----------------------------------------------------------------------------

    def get(self, name: str) -> Policy | None:
        """The parsed policy (cached until the generation changes)."""
        name = normalize_policy_name(name)
        with self._lock:
            if name in self._parsed:
                return self._parsed[name]
            epoch = self._epoch
        raw = self.core.storage.get(PREFIX + name)
        policy = None
        if raw is not None:
            record = json.loads(raw)
            try:
                policy = parse_policy(name, record["policy"])
            except PolicyParseError:
                policy = None
        with self._lock:
            if self._epoch == epoch:
                self._parsed[name] = policy
        return policy

    def acl(self, names: list[str], identity: IdentityContext | None = None) -> ACL:
        """The compiled ACL of a set of policy names (missing names are ignored)."""
        unique = tuple(sorted({normalize_policy_name(n) for n in names}))
        epoch = self._epoch
        if ROOT_POLICY in unique:
            key: tuple[Any, ...] = (ROOT_POLICY,)
        else:
            policies = [p for p in (self.get(n) for n in unique) if p is not None]
            templated = any(p.templated for p in policies)
            key = (unique, identity if templated else None)
        with self._lock:
            cached = self._acls.get(key)
        if cached is not None:
            return cached
        acl = ACL([root_policy()], identity) if key == (ROOT_POLICY,) else ACL(policies, identity)
        with self._lock:
            if self._epoch != epoch:
                return acl  # built from policies read before an invalidation: do not keep
            if len(self._acls) > 4096:
                self._acls.clear()
            self._acls[key] = acl
        return acl
