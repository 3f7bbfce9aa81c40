"""The OpenAPI 3 document, generated from the same Path declarations that route requests.

Each declared :class:`~.path.Path` of each mount becomes one or more path items (one per
variant of its pattern: optional parts and alternations expand, named groups become
``{name}`` parameters). Operations map as Vault's generator maps them: read and list share
``get`` (list adds the ``list`` query parameter), create/update are ``post``, patch is
``patch`` (``application/merge-patch+json``), delete is ``delete``. Request bodies are
``components/schemas/<OperationId>Request`` objects built from the path's fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

try:  # Python 3.11+: the regex parser lives in re._parser
    from re import _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover
    import sre_parse  # type: ignore[no-redef]

from .fields import Field, FieldType
from .path import Path
from .request import Operation

OPENAPI_VERSION = "3.0.2"
MAX_VARIANTS = 64
_BODY_METHODS = ("post", "patch")


@dataclass(frozen=True)
class MountSpec:
    """One mount's contribution to the document."""

    prefix: str
    """The mount's route path with its trailing ``/`` (``secret/``, ``auth/userpass/``)."""
    paths: Sequence[Path]
    tag: str = "secrets"
    """``system``, ``secrets``, ``auth`` or ``identity``."""
    mount_type: str = ""
    root_paths: Sequence[str] = ()
    unauthenticated_paths: Sequence[str] = ()


# ----- pattern expansion -------------------------------------------------------------------


def expand_pattern(pattern: str) -> list[str]:
    """Turn a path regex into the OpenAPI path templates it can match.

    Named groups become ``{name}``; optional parts and alternations give one template per
    variant, as Vault's own OpenAPI generator does. A variant that differs from another only
    by a trailing ``/`` is dropped.
    """
    tree = sre_parse.parse(pattern)
    variants = _expand(list(tree), tree.state)
    cleaned: list[str] = []
    for variant in variants:
        if variant not in cleaned:
            cleaned.append(variant)
    return [v for v in cleaned if not (v.endswith("/") and v[:-1] in cleaned)]


def _expand(items: list[Any], state: Any) -> list[str]:
    results = [""]
    for op, av in items:
        options = _expand_item(op, av, state)
        results = [r + o for r in results for o in options][:MAX_VARIANTS]
    return results


def _expand_item(op: Any, av: Any, state: Any) -> list[str]:
    name = str(op)
    if name == "LITERAL":
        return [chr(av)]
    if name in ("AT", "ASSERT", "ASSERT_NOT"):
        return [""]
    if name == "SUBPATTERN":
        group, _add, _del, sub = av
        group_name = _group_name(state, group)
        if group_name:
            return ["{" + group_name + "}"]
        return _expand(list(sub), state)
    if name == "BRANCH":
        out: list[str] = []
        for branch in av[1]:
            out.extend(_expand(list(branch), state))
        return out
    if name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        low, high, sub = av
        inner = _expand(list(sub), state)
        if low == 0 and high == 1:
            return ["", *inner]
        if low == 1 and high == 1:
            return inner
        return [""]
    if name == "IN":
        literals = [chr(v) for o, v in av if str(o) == "LITERAL"]
        return literals[:1] or [""]
    return [""]


def _group_name(state: Any, group: int | None) -> str | None:
    if group is None or state is None:
        return None
    for gname, gid in state.groupdict.items():
        if gid == group:
            return gname
    return None


# ----- schemas -----------------------------------------------------------------------------


def field_schema(field: Field) -> dict[str, Any]:
    """The JSON schema of one field (type, description, default, enum, deprecated)."""
    schema: dict[str, Any] = dict(field.type.openapi)
    if field.type in (FieldType.SLICE,):
        schema["items"] = {"type": "string"}
    if field.description:
        schema["description"] = field.description
    if field.default is not None:
        schema["default"] = _coerce(schema.get("type"), field.default)
    if field.allowed_values:
        schema["enum"] = [_coerce(schema.get("type"), v) for v in field.allowed_values]
    if field.deprecated:
        schema["deprecated"] = True
    return schema


def _coerce(kind: str | None, value: Any) -> Any:
    if kind == "string" and not isinstance(value, str):
        return str(value)
    if kind == "integer" and isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    if kind == "array" and not isinstance(value, list):
        return [value]
    return value


def _pascal(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[^A-Za-z0-9]+", text) if part)


def _operation_id(tag: str, template: str, op: Operation) -> str:
    words = re.sub(r"[^a-zA-Z0-9]+", "-", template).strip("-").lower()
    verb = {Operation.CREATE: "write", Operation.UPDATE: "write"}.get(op, op.value)
    return "-".join(p for p in (tag, verb, words) if p)


# ----- path items --------------------------------------------------------------------------


class _Builder:
    """Accumulates path items and component schemas with unique operation ids."""

    def __init__(self) -> None:
        self.paths: dict[str, dict[str, Any]] = {}
        self.schemas: dict[str, Any] = {}
        self._ids: set[str] = set()

    def unique_id(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self._ids:
            n += 1
            candidate = f"{base}{n}"
        self._ids.add(candidate)
        return candidate

    def add_path(self, mount: MountSpec, path: Path) -> None:
        for template in expand_pattern(path.pattern):
            self._add_template(mount, path, template)

    def _add_template(self, mount: MountSpec, path: Path, template: str) -> None:
        url = "/" + mount.prefix + template
        params = list(dict.fromkeys(re.findall(r"{(\w+)}", template)))
        item = self.paths.setdefault(url, {"description": path.help_synopsis})
        if params and "parameters" not in item:
            item["parameters"] = [self._path_param(path.fields, p) for p in params]
        if _matches(mount.unauthenticated_paths, template):
            item["x-vault-unauthenticated"] = True
        if _matches(mount.root_paths, template):
            item["x-vault-sudo"] = True
        if path.existence_check is not None:
            item["x-vault-createSupported"] = True
        ops = path.operations
        body = {
            name: field_schema(f)
            for name, f in path.fields.items()
            if name not in params and not f.query
        }
        query = [
            {
                "name": name,
                "in": "query",
                "description": f.description,
                "schema": field_schema(f),
            }
            for name, f in path.fields.items()
            if f.query and name not in params
        ]
        if Operation.READ in ops or Operation.LIST in ops:
            self._add_get(mount, path, item, url, template, query)
        write = ops.get(Operation.UPDATE) or ops.get(Operation.CREATE)
        if write is not None and "post" not in item:
            op = Operation.UPDATE if Operation.UPDATE in ops else Operation.CREATE
            item["post"] = self._operation(mount, template, op, write, body, "application/json")
        if Operation.PATCH in ops and "patch" not in item:
            item["patch"] = self._operation(
                mount,
                template,
                Operation.PATCH,
                ops[Operation.PATCH],
                body,
                "application/merge-patch+json",
            )
        if Operation.DELETE in ops and "delete" not in item:
            entry = self._operation(mount, template, Operation.DELETE, ops[Operation.DELETE])
            entry["responses"] = {"204": {"description": "empty body"}}
            item["delete"] = entry

    def _add_get(
        self,
        mount: MountSpec,
        path: Path,
        item: dict[str, Any],
        url: str,
        template: str,
        query: list[dict[str, Any]],
    ) -> None:
        if "get" in item:
            return
        ops = path.operations
        op = Operation.READ if Operation.READ in ops else Operation.LIST
        entry = self._operation(mount, template, op, ops[op])
        parameters = list(query)
        if Operation.LIST in ops:
            list_param: dict[str, Any] = {"name": "list", "in": "query"}
            if Operation.READ in ops:
                list_param["description"] = "Return a list if `true`"
                list_param["schema"] = {"type": "string"}
            else:
                list_param["description"] = "Must be set to `true`"
                list_param["schema"] = {"type": "string", "enum": ["true"]}
                list_param["required"] = True
            parameters.append(list_param)
        if parameters:
            entry["parameters"] = parameters
        item["get"] = entry

    def _operation(
        self,
        mount: MountSpec,
        template: str,
        op: Operation,
        handler: Any,
        body: Mapping[str, Any] | None = None,
        content_type: str = "",
    ) -> dict[str, Any]:
        op_id = self.unique_id(_operation_id(mount.tag, mount.prefix + template, op))
        entry: dict[str, Any] = {}
        summary = getattr(handler, "summary", "")
        if summary:
            entry["summary"] = summary
        description = getattr(handler, "description", "")
        if description:
            entry["description"] = description
        entry["operationId"] = op_id
        entry["tags"] = [mount.tag]
        if body:
            schema_name = _pascal(op_id) + "Request"
            self.schemas[schema_name] = {"type": "object", "properties": dict(body)}
            entry["requestBody"] = {
                "required": True,
                "content": {
                    content_type: {"schema": {"$ref": f"#/components/schemas/{schema_name}"}}
                },
            }
        entry["responses"] = {"200": {"description": "OK"}}
        return entry

    @staticmethod
    def _path_param(fields: Mapping[str, Field], name: str) -> dict[str, Any]:
        field = fields.get(name)
        schema: dict[str, Any] = {"type": "string"}
        if field is not None and field.type in (FieldType.INT, FieldType.INT64):
            schema = {"type": "integer"}
        return {
            "name": name,
            "description": field.description if field is not None else "",
            "in": "path",
            "schema": schema,
            "required": True,
        }


def _matches(patterns: Iterable[str], template: str) -> bool:
    concrete = re.sub(r"{\w+}", "x", template)
    for pattern in patterns:
        if pattern.endswith("*"):
            if concrete.startswith(pattern[:-1]):
                return True
        elif "+" in pattern:
            regex = "^" + re.escape(pattern).replace(r"\+", "[^/]+") + "$"
            if re.match(regex, concrete):
                return True
        elif pattern == concrete:
            return True
    return False


def path_item(path: Path, prefix: str, tag: str = "secrets") -> dict[str, dict[str, Any]]:
    """The OpenAPI path items for one declared Path below a mount prefix."""
    builder = _Builder()
    builder.add_path(MountSpec(prefix=prefix, paths=[path], tag=tag), path)
    return builder.paths


def document(
    mounts: Iterable[MountSpec | tuple[str, Iterable[Path]]],
    version: str,
    *,
    title: str = "vault-agent-backend",
) -> dict[str, Any]:
    """The whole OpenAPI 3 document for the given mounts."""
    builder = _Builder()
    for mount in mounts:
        spec = mount if isinstance(mount, MountSpec) else MountSpec(mount[0], list(mount[1]))
        for path in spec.paths:
            builder.add_path(spec, path)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": title,
            "description": "HTTP API of vault-agent-backend (Vault-compatible). "
            "All API routes are prefixed with `/v1/`.",
            "version": version,
            "license": {"name": "MPL-2.0", "url": "https://www.mozilla.org/en-US/MPL/2.0"},
        },
        "paths": dict(sorted(builder.paths.items())),
        "components": {"schemas": dict(sorted(builder.schemas.items()))},
    }
