"""Combine the decisions of several ACL layers (human, baseline, ceiling, ...).

A layered request is allowed only when every layer allows it; the capabilities a
token has on a path are the intersection of each layer's. ``root`` behaves as the
neutral element (it allows everything), so intersecting with a root layer changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from .acl import PERMISSION_DENIED, ROOT, AuthorizationResult

__all__ = ["intersect", "intersect_capabilities"]


def intersect_capabilities(layers: Sequence[Sequence[str]]) -> list[str]:
    """Intersection of per-layer capability lists (as returned by
    :meth:`~.acl.ACL.capabilities`): ``["root"]`` is neutral, an empty result or any
    ``deny`` gives ``["deny"]``. An empty sequence of layers gives ``["deny"]``."""
    result: set[str] | None = None
    for caps in layers:
        if list(caps) == [ROOT]:
            continue
        current = set(caps)
        if "deny" in current:
            return ["deny"]
        result = current if result is None else result & current
    if result is None:
        return [ROOT] if layers else ["deny"]
    return sorted(result) or ["deny"]


def intersect(results: Sequence[AuthorizationResult]) -> AuthorizationResult:
    """One decision from several layers' decisions for the same request.

    Allowed iff every layer allowed (and there is at least one layer); the first
    denying layer supplies ``matched_path``, ``deciding_policies`` and ``detail``.
    """
    if not results:
        return AuthorizationResult(
            allowed=False, denied_reason=PERMISSION_DENIED, detail="no layers to evaluate"
        )
    capabilities = intersect_capabilities([r.capabilities for r in results])
    root_privs = all(r.root_privs for r in results)
    is_root = all(r.is_root for r in results)
    for r in results:
        if not r.allowed:
            return AuthorizationResult(
                allowed=False,
                root_privs=root_privs,
                is_root=False,
                capabilities=capabilities,
                deciding_policies=list(r.deciding_policies),
                matched_path=r.matched_path,
                denied_reason=r.denied_reason or PERMISSION_DENIED,
                detail=r.detail,
            )
    granting: list[str] = []
    for r in results:
        granting.extend(p for p in r.granting_policies if p not in granting)
    first = next((r for r in results if not r.is_root), results[0])
    return AuthorizationResult(
        allowed=True,
        root_privs=root_privs,
        is_root=is_root,
        capabilities=capabilities,
        granting_policies=granting,
        deciding_policies=granting,
        matched_path=first.matched_path,
    )
