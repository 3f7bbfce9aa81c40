"""The OpenAPI document, generated from the same Path declarations that route requests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

try:  # Python 3.11+: the regex parser lives in re._parser
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

from .path import Path
from .request import Operation

_HTTP_METHOD = {
    Operation.READ: "get",
    Operation.LIST: "get",
    Operation.CREATE: "post",
    Operation.UPDATE: "post",
    Operation.PATCH: "patch",
    Operation.DELETE: "delete",
}


def expand_pattern(pattern: str) -> list[str]:
    """Turn a path regex into the OpenAPI path templates it can match.

    Named groups become ``{name}``; optional parts and alternations give one
    template per variant, as Vault's own OpenAPI generator does.
    """
    tree = sre_parse.parse(pattern)
    variants = _expand(list(tree))
    cleaned = []
    for variant in variants:
        variant = variant.rstrip("/") if variant not in ("", "/") else variant
        if variant not in cleaned:
            cleaned.append(variant)
    return cleaned


def _expand(items: list[Any]) -> list[str]:
    results = [""]
    for op, av in items:
        options = _expand_item(op, av)
        results = [r + o for r in results for o in options]
        if len(results) > 64:
            results = results[:64]
    return results


def _expand_item(op: Any, av: Any) -> list[str]:
    name = str(op)
    if name == "LITERAL":
        return [chr(av)]
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return [""]
    if name == "SUBPATTERN":
        group, _add, _del, sub = av
        group_name = _group_name(sub, group)
        if group_name:
            return ["{" + group_name + "}"]
        return _expand(list(sub))
    if name == "BRANCH":
        out: list[str] = []
        for branch in av[1]:
            out.extend(_expand(list(branch)))
        return out
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = av
        if low == 0 and high == 1:
            return ["", *_expand(list(sub))]
        return [""]
    if name == "IN":
        literals = [chr(v) for o, v in av if str(o) == "LITERAL"]
        return literals[:1] or [""]
    return [""]


_GROUP_NAMES: dict[int, str] = {}


def _group_name(sub: Any, group: int | None) -> str | None:
    if group is None:
        return None
    state = getattr(sub, "state", None)
    if state is None:
        return None
    for gname, gid in state.groupdict.items():
        if gid == group:
            return gname
    return None


def path_item(path: Path, prefix: str) -> dict[str, dict[str, Any]]:
    """The OpenAPI path items for one declared Path below a mount prefix."""
    items: dict[str, dict[str, Any]] = {}
    for template in expand_pattern(path.pattern):
        params = re.findall(r"{(\w+)}", template)
        item: dict[str, Any] = {"description": path.help_synopsis}
        if params:
            item["parameters"] = [
                {
                    "name": p,
                    "in": "path",
                    "required": True,
                    "description": path.fields[p].description if p in path.fields else "",
                    "schema": {"type": "string"},
                }
                for p in params
            ]
        body_props = {
            name: {**f.type.openapi, "description": f.description}
            | ({"default": f.default} if f.default is not None else {})
            for name, f in path.fields.items()
            if name not in params and not f.query
        }
        for op, handler in path.operations.items():
            method = _HTTP_METHOD.get(op)
            if method is None:
                continue
            entry: dict[str, Any] = {
                "summary": handler.summary or path.help_synopsis,
                "operationId": _operation_id(prefix + template, op),
                "responses": {"200": {"description": "OK"}},
            }
            if op == Operation.LIST:
                entry["parameters"] = [
                    {
                        "name": "list",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "string", "enum": ["true"]},
                    }
                ]
            if method in ("post", "patch") and body_props:
                content_type = (
                    "application/merge-patch+json" if op == Operation.PATCH else "application/json"
                )
                entry["requestBody"] = {
                    "content": {
                        content_type: {"schema": {"type": "object", "properties": body_props}}
                    }
                }
            if method in item and op in (Operation.CREATE, Operation.UPDATE):
                continue
            item[method] = entry
        items["/" + prefix + template] = item
    return items


def _operation_id(path: str, op: Operation) -> str:
    words = re.sub(r"[^a-zA-Z0-9]+", "-", path).strip("-").lower()
    return f"{op.value}-{words}" if words else op.value


def document(mounts: Iterable[tuple[str, Iterable[Path]]], version: str) -> dict[str, Any]:
    """The whole OpenAPI 3 document for (mount prefix, paths) pairs."""
    paths: dict[str, Any] = {}
    for prefix, declared in mounts:
        for path in declared:
            paths.update(path_item(path, prefix))
    return {
        "openapi": "3.0.2",
        "info": {
            "title": "vault-agent-backend",
            "description": "HTTP API of vault-agent-backend (Vault-compatible)",
            "version": version,
            "license": {"name": "MPL-2.0", "url": "https://www.mozilla.org/en-US/MPL/2.0"},
        },
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": {}},
    }
