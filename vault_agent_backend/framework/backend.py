"""A Backend is a set of declared paths plus special-path rules, as Vault's SDK has it."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import NotFound, UnsupportedOperation
from .path import Path
from .request import Operation, Request
from .response import Response

if TYPE_CHECKING:
    from ..storage.base import Storage


@dataclass
class PathsSpecial:
    """Paths needing sudo (root) or no token (unauthenticated); glob ``*`` suffix and ``+``."""

    root: Sequence[str] = ()
    unauthenticated: Sequence[str] = ()

    def is_root(self, rel_path: str) -> bool:
        """Whether the path is root-protected (needs sudo)."""
        return _matches_any(self.root, rel_path)

    def is_unauthenticated(self, rel_path: str) -> bool:
        """Whether the path can be called without a token."""
        return _matches_any(self.unauthenticated, rel_path)


def _matches_any(patterns: Iterable[str], path: str) -> bool:
    for pattern in patterns:
        if "+" in pattern:
            regex = "^" + re.escape(pattern).replace(r"\+", "[^/]+").replace(r"\*", ".*") + "$"
            if re.match(regex, path):
                return True
        elif pattern.endswith("*"):
            if path.startswith(pattern[:-1]):
                return True
        elif pattern == path or fnmatch.fnmatchcase(path, pattern):
            return True
    return False


@dataclass
class BackendConfig:
    """What a mount gives its backend at setup."""

    storage: Storage
    mount_path: str
    mount_type: str
    mount_accessor: str
    mount_uuid: str
    options: dict[str, str] = field(default_factory=dict)
    core: Any = None
    """The core, for the built-in backends that need system services."""


class Backend:
    """Routes a request below one mount to the declared path that matches it."""

    backend_type: str = ""
    kind: str = "secret"
    """``secret`` or ``auth``."""

    def __init__(
        self, config: BackendConfig, paths: Sequence[Path] = (), special: PathsSpecial | None = None
    ):
        self.config = config
        self.storage = config.storage
        self.paths: list[Path] = list(paths)
        self.special = special or PathsSpecial()

    def add_paths(self, paths: Iterable[Path]) -> None:
        """Declare more paths (in match order)."""
        self.paths.extend(paths)

    def route(self, rel_path: str) -> tuple[Path, dict[str, str]] | None:
        """The first declared path whose pattern matches, with its captures."""
        for path in self.paths:
            match = path.regex.match(rel_path)
            if match:
                return path, match.groupdict()
        return None

    def existence(self, request: Request) -> tuple[bool, bool]:
        """(the path has an existence check, the resource exists)."""
        routed = self.route(request.rel_path)
        if routed is None:
            return False, False
        path, captures = routed
        if path.existence_check is None:
            return False, False
        return True, bool(path.existence_check(request, path.field_data(request, captures)))

    def handle_request(self, request: Request) -> Response | None:
        """Validate the input against the matched path's fields and call its handler."""
        routed = self.route(request.rel_path)
        if routed is None:
            raise NotFound("unsupported path", multierror=True)
        path, captures = routed
        if request.operation == Operation.HELP:
            return self.help_response(path)
        handler = path.handler_for(request.operation)
        if handler is None:
            raise UnsupportedOperation("unsupported operation")
        data = path.field_data(request, captures)
        unknown = data.validate()
        response = handler.callback(request, data)
        if unknown and response is not None and not path.take_unknown_fields:
            warning = f"Endpoint ignored these unrecognized parameters: {_go_list(unknown)}"
            response.add_warning(warning)
        return response

    def help_response(self, path: Path) -> Response:
        """Vault's ``?help=1`` answer for a path."""
        return Response(
            data={
                "help": f"{path.help_synopsis}\n\n{path.help_description}".strip(),
                "openapi": None,
            }
        )

    def initialize(self) -> None:
        """Called once after the mount is set up (create defaults, upgrade storage)."""

    def cleanup(self) -> None:
        """Called when the mount is removed or the server stops."""


def _go_list(items: Sequence[str]) -> str:
    return "[" + " ".join(items) + "]"
