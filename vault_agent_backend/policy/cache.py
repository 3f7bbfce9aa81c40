"""A bounded LRU cache of compiled ACLs.

The key is the ordered list of ``(policy name, policy digest)`` -- a changed policy
text yields a new digest, so a stale ACL can never be served for it -- plus, only when
some policy is templated, the values of exactly the identity templates those policies
use. Building an ACL never parses HCL (policies arrive parsed), so a cache hit costs a
few dictionary look-ups.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence

from .acl import ACL
from .model import Policy
from .templating import IdentityContext, resolve_expression, template_expressions

__all__ = ["ACLCache"]


class ACLCache:
    """Thread-safe LRU of :class:`~.acl.ACL` objects (``maxsize`` entries)."""

    def __init__(self, maxsize: int = 1024) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._entries: OrderedDict[Hashable, ACL] = OrderedDict()
        self._by_policy: dict[str, set[Hashable]] = {}
        self._expressions: dict[str, tuple[str, ...]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _policy_expressions(self, policy: Policy) -> tuple[str, ...]:
        exprs = self._expressions.get(policy.digest)
        if exprs is None:
            found: set[str] = set()
            for rule in policy.paths:
                if rule.is_templated:
                    found.update(template_expressions(rule.path))
            exprs = tuple(sorted(found))
            self._expressions[policy.digest] = exprs
        return exprs

    def key_for(
        self, policies: Sequence[Policy], identity: IdentityContext | None = None
    ) -> Hashable:
        """The cache key of an ACL for ``policies`` seen by ``identity``."""
        names = tuple((p.name, p.digest) for p in policies)
        exprs: set[str] = set()
        for policy in policies:
            if policy.templated:
                exprs.update(self._policy_expressions(policy))
        if not exprs:
            return (names, ())
        values = tuple((e, resolve_expression(e, identity)) for e in sorted(exprs))
        return (names, values)

    def get_acl(self, policies: Sequence[Policy], identity: IdentityContext | None = None) -> ACL:
        """The compiled ACL of ``policies`` for ``identity`` (built on a miss).

        Errors of :class:`~.acl.ACL` (``ACLError``) propagate and nothing is cached.
        """
        key = self.key_for(policies, identity)
        with self._lock:
            acl = self._entries.get(key)
            if acl is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return acl
            self.misses += 1
        acl = ACL(policies, identity)
        with self._lock:
            self._entries[key] = acl
            self._entries.move_to_end(key)
            for policy in policies:
                self._by_policy.setdefault(policy.name, set()).add(key)
            while len(self._entries) > self.maxsize:
                old_key, _ = self._entries.popitem(last=False)
                self._forget(old_key)
        return acl

    def _forget(self, key: Hashable) -> None:
        names, _ = key  # type: ignore[misc]
        for name, _digest in names:
            keys = self._by_policy.get(name)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._by_policy[name]

    def invalidate(self, policy_name: str) -> None:
        """Drop every cached ACL that includes the policy ``policy_name``."""
        with self._lock:
            for key in list(self._by_policy.get(policy_name, ())):
                if self._entries.pop(key, None) is not None:
                    self._forget(key)
            self._by_policy.pop(policy_name, None)

    def clear(self) -> None:
        """Drop everything."""
        with self._lock:
            self._entries.clear()
            self._by_policy.clear()
            self._expressions.clear()

    def __len__(self) -> int:
        return len(self._entries)
