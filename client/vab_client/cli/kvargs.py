"""``key=value`` arguments, as ``vault write``/``vault kv put`` read them.

* ``key=value`` sets a string; repeating a key makes a list of its values;
* ``key=@file`` reads the value from a file (``key=\\@x`` is the literal ``@x``);
* ``key=-`` reads the value from stdin;
* ``-`` alone reads a JSON object from stdin and merges it in;
* ``@file`` alone reads a JSON object from a file and merges it in.

JSON numbers keep their exact text (see :class:`gofmt.Number`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from .gofmt import go_quote, loads


class KVArgError(ValueError):
    """An argument could not be turned into data (message as vault words it)."""


def parse_kv_args(args: Iterable[str], read_stdin: Callable[[], str]) -> dict[str, Any]:
    """Build the request data from ``args``; stdin is read at most once."""
    result: dict[str, Any] = {}
    stdin_used = False

    def stdin() -> str:
        nonlocal stdin_used
        if stdin_used:
            raise ValueError("stdin already consumed")
        stdin_used = True
        return read_stdin()

    for arg in args:
        try:
            _add(result, arg, stdin)
        except (OSError, ValueError) as exc:
            raise KVArgError(f"invalid key/value pair {go_quote(arg)}: {_message(exc)}") from exc
    return result


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"error reading file: open {exc.filename}: {exc.strerror.lower()}"
    return str(exc)


def _merge_json(result: dict[str, Any], text: str) -> None:
    decoded = loads(text)
    if not isinstance(decoded, dict):
        raise ValueError("JSON input must be an object")
    result.update(decoded)


def _add(result: dict[str, Any], arg: str, stdin: Callable[[], str]) -> None:
    if arg == "-":
        _merge_json(result, stdin())
        return
    if arg.startswith("@"):
        with open(arg[1:], encoding="utf-8") as handle:
            _merge_json(result, handle.read())
        return
    key, sep, value = arg.partition("=")
    if not sep:
        raise ValueError("format must be key=value")
    if value.startswith("@"):
        with open(value[1:], encoding="utf-8") as handle:
            value = handle.read()
    elif value.startswith("\\@"):
        value = value[1:]
    elif value == "-":
        value = stdin()
    if key in result:
        existing = result[key]
        result[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        result[key] = value


def as_string_lists(data: dict[str, Any]) -> dict[str, list[str]]:
    """Data as query parameters: every value a list of strings (``vault read k=v``)."""
    out: dict[str, list[str]] = {}
    for key, value in data.items():
        values = value if isinstance(value, list) else [value]
        out[key] = [_as_string(v) for v in values]
    return out


def as_strings(data: dict[str, Any]) -> dict[str, str]:
    """Data with every value a string (login parameters)."""
    return {key: _as_string(value) for key, value in data.items()}


def _as_string(value: Any) -> str:
    if value is None:
        return ""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, list):
        return ",".join(_as_string(v) for v in value)
    return str(value)
