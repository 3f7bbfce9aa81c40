"""Declarative paths: a pattern, typed fields, operations, an existence check and help."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .fields import Field, FieldData
from .request import Operation, Request

if TYPE_CHECKING:
    from .response import Response

Handler = Callable[[Request, FieldData], "Response | None"]
ExistenceCheck = Callable[[Request, FieldData], bool]


@dataclass(frozen=True)
class OperationHandler:
    """A handler with the documentation the OpenAPI document shows for it."""

    callback: Handler
    summary: str = ""
    description: str = ""


def name_regex(name: str) -> str:
    """A named group matching one name segment (Vault's GenericNameRegex).

    Go's ``\\w`` is ASCII only, so the classes are spelled out: Python's ``\\w`` would also
    match letters such as "é" that Vault answers with 404 "unsupported path".
    """
    return rf"(?P<{name}>[A-Za-z0-9_](([A-Za-z0-9_.@-]+)?[A-Za-z0-9_])?)"


def match_all(name: str) -> str:
    """A named group matching the rest of the path (Vault's MatchAllRegex)."""
    return rf"(?P<{name}>.*)"


def opt_slash() -> str:
    """An optional trailing slash."""
    return "/?"


@dataclass
class Path:
    """One route of a backend, declared once: routing, validation and OpenAPI use it."""

    pattern: str
    operations: Mapping[Operation, OperationHandler | Handler]
    fields: Mapping[str, Field] = field(default_factory=dict)
    existence_check: ExistenceCheck | None = None
    help_synopsis: str = ""
    help_description: str = ""
    display_attrs: Mapping[str, str] = field(default_factory=dict)
    take_unknown_fields: bool = False
    """Accept any input key (KV data, raw JSON); no unknown-parameter warning."""
    regex: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.regex = re.compile(rf"^{self.pattern}$")
        self.operations = {
            op: h if isinstance(h, OperationHandler) else OperationHandler(h)
            for op, h in self.operations.items()
        }

    def handler_for(self, operation: Operation) -> OperationHandler | None:
        """The handler for an operation; create falls back to update as in Vault."""
        handler = self.operations.get(operation)
        if handler is None and operation == Operation.CREATE:
            handler = self.operations.get(Operation.UPDATE)
        return handler  # type: ignore[return-value]

    def field_data(self, request: Request, captures: Mapping[str, str]) -> FieldData:
        """The request's input merged with the URL captures, read through the fields."""
        raw = dict(request.data)
        raw.update({k: v for k, v in captures.items() if v is not None})
        return FieldData(raw, self.fields)
