"""Parse ACL policy text (HCL or JSON) into :class:`~.model.Policy`, as Vault does.

Error messages reproduce OpenBao's wording (checked against a real ``bao`` server), so
a ``400`` body from ``sys/policies/acl/:name`` reads the same as theirs, e.g.::

    failed to parse policy: path "x": path "x": invalid capability "y"
    failed to parse policy: 1 error occurred:\\n\\t* invalid key "foo" on line 1\\n\\n
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._hcl import HclItem, HclObject, HclSyntaxError, Ident, parse_document
from .durations import DurationError, parse_duration_seconds
from .model import CAPABILITY_NAMES, Capability, PathRules, Policy, path_shape
from .templating import TemplateSyntaxError, has_template

__all__ = ["PolicyParseError", "normalize_policy_name", "parse_policy"]

_TOP_LEVEL_KEYS = ("name", "path")
_STANZA_KEYS = (
    "comment",
    "policy",
    "capabilities",
    "allowed_parameters",
    "denied_parameters",
    "required_parameters",
    "min_wrapping_ttl",
    "max_wrapping_ttl",
    "mfa_methods",
    "control_group",
    "subscribe_event_types",
)
_LEGACY = {
    "deny": ["deny"],
    "read": ["read", "list"],
    "write": ["create", "read", "update", "delete", "list"],
    "sudo": ["create", "read", "update", "delete", "list", "sudo"],
}


class PolicyParseError(ValueError):
    """Policy text Vault would refuse; ``str(err)`` is the message Vault returns."""


def normalize_policy_name(name: str) -> str:
    """Policy names are trimmed and lower-cased (``" MyPol "`` -> ``"mypol"``)."""
    return name.strip().lower()


_GO_NAMED_ESCAPES = {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r"}
_GO_NAMED_ESCAPES |= {"\t": "\\t", "\v": "\\v", '"': '\\"', "\\": "\\\\"}


def _q(text: str) -> str:
    """Go's ``%q`` (``strconv.Quote``): a double-quoted string with escapes."""
    out = []
    for ch in text:
        if ch in _GO_NAMED_ESCAPES:
            out.append(_GO_NAMED_ESCAPES[ch])
        elif ch.isprintable():
            out.append(ch)
        elif ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) < 0x10000:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return '"' + "".join(out) + '"'


def _multierror(errors: Sequence[str]) -> str:
    """go-multierror's rendering of a list of errors."""
    head = "1 error occurred" if len(errors) == 1 else f"{len(errors)} errors occurred"
    return head + ":\n" + "".join(f"\t* {e}\n" for e in errors) + "\n"


def _check_keys(items: HclObject, valid: Sequence[str]) -> str | None:
    bad = [
        f'invalid key "{item.keys[0]}" on line {item.assign_line}'
        for item in items
        if item.keys and item.keys[0] not in valid
    ]
    return _multierror(bad) if bad else None


class _DecodeError(Exception):
    """A type mismatch while decoding a stanza (rendered ``At L:C: ...``)."""


def _at(pos: tuple[int, int], message: str) -> _DecodeError:
    return _DecodeError(f"At {pos[0]}:{pos[1]}: {message}")


def _reject_idents(value: Any, pos: tuple[int, int]) -> None:
    if isinstance(value, Ident):
        raise _at(pos, f"Unknown token: IDENT {value}")
    if isinstance(value, list) and not isinstance(value, HclObject):
        for v in value:
            _reject_idents(v, pos)


def _plain(value: Any) -> Any:
    """HCL values to plain Python (objects become dicts, later keys winning)."""
    if isinstance(value, HclObject):
        return {".".join(item.keys): _plain(item.value) for item in value}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


#: Go's field names in decoding errors (``root.Capabilities[0]: ...``).
_GO_FIELDS = {"capabilities": "Capabilities", "policy": "Policy"}


def _go_string(value: Any, pos: tuple[int, int], field: str) -> str:
    """Go HCL's decodeString: strings and integers only."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    kind = "ObjectList" if field == "root.Policy" else "ObjectType"
    kind = kind if isinstance(value, HclObject) else "ListType"
    if not isinstance(value, list):
        kind = "LiteralType"  # a float or a bool
    raise _at(pos, f"{field}: unknown type for string *ast.{kind}")


def _string_list(item: HclItem) -> list[str]:
    value = item.value
    if isinstance(value, HclObject):
        raise _at(item.value_pos, "unknown slice type: *ast.ObjectType")
    if not isinstance(value, list):
        raise _at(item.value_pos, "unknown slice type: *ast.LiteralType")
    field = "root." + _GO_FIELDS.get(item.keys[0], item.keys[0])
    positions = getattr(value, "positions", None) or [item.value_pos] * len(value)
    return [
        _go_string(v, pos, f"{field}[{i}]")
        for i, (v, pos) in enumerate(zip(value, positions, strict=True))
    ]


def _param_map(item: HclItem, name: str) -> dict[str, list[Any]]:
    value = item.value
    if not isinstance(value, HclObject):
        kind = "*ast.ListType" if isinstance(value, list) else "*ast.LiteralType"
        raise _at(item.value_pos, f"root.{name}: not an object type for map ({kind})")
    out: dict[str, list[Any]] = {}
    for sub in value:
        if isinstance(sub.value, HclObject):
            raise _at(sub.value_pos, "unknown slice type: *ast.ObjectType")
        if not isinstance(sub.value, list):
            raise _at(sub.value_pos, "unknown slice type: *ast.LiteralType")
        _reject_idents(sub.value, sub.value_pos)
        out[".".join(sub.keys).lower()] = _plain(sub.value)
    return out


def _decode_stanza(body: HclObject) -> dict[str, Any]:
    """Collect a stanza's fields; repeated list keys concatenate, scalars: last wins."""
    fields: dict[str, Any] = {}
    for item in body:
        key = item.keys[0]
        _reject_idents(item.value, item.value_pos)
        if key in ("capabilities", "required_parameters", "mfa_methods", "subscribe_event_types"):
            fields.setdefault(key, []).extend(_string_list(item))
        elif key in ("allowed_parameters", "denied_parameters"):
            fields.setdefault(key, {}).update(_param_map(item, key))
        elif key == "policy":
            fields[key] = _go_string(item.value, item.value_pos, "root.Policy")
        elif key in ("min_wrapping_ttl", "max_wrapping_ttl"):
            if isinstance(item.value, (list, HclObject)):
                fields[key] = object()  # refused below, like Go's "could not parse"
            else:
                fields[key] = item.value
        # comment / control_group are accepted and ignored
    return fields


def _parse_stanza(key: str, body: Any, policy_name: str) -> PathRules:
    """Validate one stanza; raises ``PolicyParseError`` (message without the
    leading ``failed to parse policy: ``)."""
    try:
        templated = has_template(key)
    except TemplateSyntaxError as exc:
        raise PolicyParseError(
            f"path {_q(key)}: failed to validate policy templating: {exc}"
        ) from None
    if not isinstance(body, HclObject):
        kind = "ListType" if isinstance(body, list) else "LiteralType"
        raise PolicyParseError(f"path {_q(key)}: cannot check HCL keys of type *ast.{kind}")
    bad = _check_keys(body, _STANZA_KEYS)
    if bad:
        raise PolicyParseError(f"path {_q(key)}: {bad}")
    try:
        fields = _decode_stanza(body)
    except _DecodeError as exc:
        raise PolicyParseError(f"path {_q(key)}: path {_q(key)}: {exc}") from None

    path = key[1:] if key.startswith("/") else key
    if "+*" in path:
        raise PolicyParseError(
            f"path {_q(key)}: path {_q(path)}: invalid use of wildcards ('+*' is forbidden)"
        )
    _, is_prefix, has_segment_wildcard = path_shape(path)

    names: list[str] = list(fields.get("capabilities", []))
    legacy = fields.get("policy", "")
    if legacy:
        if legacy not in _LEGACY:
            raise PolicyParseError(f"path {_q(key)}: path {_q(key)}: invalid policy {_q(legacy)}")
        names = ["deny"] if legacy == "deny" else names + _LEGACY[legacy]

    flags = Capability(0)
    for name in names:
        flag = CAPABILITY_NAMES.get(name)
        if flag is None:
            raise PolicyParseError(f"path {_q(key)}: path {_q(key)}: invalid capability {_q(name)}")
        if flag is Capability.DENY:
            # A deny stanza carries nothing else (and its other fields go unchecked).
            return PathRules(
                path=path,
                capabilities=Capability.DENY,
                is_prefix=is_prefix,
                has_segment_wildcard=has_segment_wildcard,
                is_templated=templated,
                policy=policy_name,
            )
        flags |= flag

    ttls = {}
    for field_name in ("min_wrapping_ttl", "max_wrapping_ttl"):
        raw = fields.get(field_name)
        try:
            ttls[field_name] = parse_duration_seconds(raw)
        except DurationError as exc:
            raise PolicyParseError(f"path {_q(key)}: error parsing {field_name}: {exc}") from None
    min_ttl, max_ttl = ttls["min_wrapping_ttl"], ttls["max_wrapping_ttl"]
    if min_ttl and max_ttl and max_ttl < min_ttl:
        raise PolicyParseError(
            f"path {_q(key)}: max_wrapping_ttl cannot be less than min_wrapping_ttl"
        )
    return PathRules(
        path=path,
        capabilities=flags,
        is_prefix=is_prefix,
        has_segment_wildcard=has_segment_wildcard,
        allowed_parameters=fields.get("allowed_parameters", {}),
        denied_parameters=fields.get("denied_parameters", {}),
        required_parameters=tuple(fields.get("required_parameters", ())),
        min_wrapping_ttl=min_ttl,
        max_wrapping_ttl=max_ttl,
        is_templated=templated,
        policy=policy_name,
    )


def parse_policy(name: str, text: str) -> Policy:
    """Parse policy ``text`` stored under ``name`` (normalised with
    :func:`normalize_policy_name`).

    Raises :class:`PolicyParseError` whose message is Vault's (``failed to parse
    policy: ...``). An empty text is a valid policy with no stanzas (refusing an empty
    ``policy`` parameter is the HTTP handler's job).
    """
    name = normalize_policy_name(name)
    try:
        return _parse_policy(name, text)
    except RecursionError:  # blocks or lists nested deeper than the parser can follow
        raise PolicyParseError("failed to parse policy: nested too deeply") from None


def _parse_policy(name: str, text: str) -> Policy:
    try:
        root = parse_document(text)
    except HclSyntaxError as exc:
        raise PolicyParseError(f"failed to parse policy: {exc}") from None
    bad = _check_keys(root, _TOP_LEVEL_KEYS)
    if bad:
        raise PolicyParseError(f"failed to parse policy: {bad}")
    stanzas: list[PathRules] = []
    for item in root.filter("path"):
        key = item.keys[0] if item.keys else "path"
        try:
            stanzas.append(_parse_stanza(key, item.value, name))
        except PolicyParseError as exc:
            raise PolicyParseError(f"failed to parse policy: {exc}") from None
    return Policy(
        name=name,
        raw=text,
        paths=tuple(stanzas),
        templated=any(s.is_templated for s in stanzas),
    )
