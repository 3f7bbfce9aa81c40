"""``map/teams/:key`` and ``map/users/:key``: names mapped to comma-separated policies.

Vault's (deprecated) framework.PolicyMap: one entry per lower-cased key under
``struct/map/<name>/<key>`` holding ``{"key": <key as written>, "value": <policies>}``; a
read of a missing key answers 200 with ``data: null``; LIST (and READ) of ``map/<name>``
lists the keys. The ``default`` key's policies apply to every login.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from . import GitHubBackend

DEFAULT_KEY = "default"
KEY_REGEX = r"(?P<key>[-A-Za-z0-9_]+)"
"""Go's ``[-\\w]+`` (ASCII word characters and dashes)."""


class PolicyMap:
    """One name → policies map of a github mount (``teams`` or ``users``)."""

    def __init__(self, backend: GitHubBackend, name: str):
        self.backend = backend
        self.name = name
        self.prefix = f"struct/map/{name}/"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored mapping of ``key`` (case-insensitive), or None."""
        return self.backend.storage.get_json(self.prefix + key.lower())  # type: ignore[attr-defined]

    def policies(self, names: list[str]) -> list[str]:
        """The policies mapped to ``names`` and to the ``default`` key: trimmed, unique,
        sorted (Vault's PolicyMap.Policies)."""
        found: set[str] = set()
        for name in [DEFAULT_KEY, *names]:
            entry = self.get(name)
            value = entry.get("value") if entry else None
            if not isinstance(value, str):
                continue
            found.update(p.strip() for p in value.split(",") if p.strip())
        return sorted(found)

    def paths(self) -> list[Path]:
        """The list and single-entry paths of this map."""
        storage = self.backend.storage

        def list_keys(req: Request, data: FieldData) -> Response:
            keys = storage.list(self.prefix)
            return Response(data={"keys": keys} if keys else {})

        def exists(req: Request, data: FieldData) -> bool:
            return self.get(data.get("key")) is not None

        def read(req: Request, data: FieldData) -> Response:
            return Response(data=self.get(data.get("key")), status=200)

        def write(req: Request, data: FieldData) -> None:
            key = data.get("key")
            entry: dict[str, Any] = {"key": key}
            value, ok = data.get_ok("value")
            if ok:
                entry["value"] = value
            storage.put_json(self.prefix + key.lower(), entry)  # type: ignore[attr-defined]
            return None

        def delete(req: Request, data: FieldData) -> None:
            storage.delete(self.prefix + data.get("key").lower())
            return None

        return [
            Path(
                f"map/{self.name}/?",
                {Operation.LIST: list_keys, Operation.READ: list_keys},
                help_synopsis=f"Read mappings for {self.name}",
            ),
            Path(
                f"map/{self.name}/{KEY_REGEX}",
                {
                    Operation.READ: read,
                    Operation.CREATE: write,
                    Operation.UPDATE: write,
                    Operation.DELETE: delete,
                },
                fields={
                    "key": Field(FieldType.STRING, f"Key for the {self.name} mapping"),
                    "value": Field(FieldType.STRING, f"Value for {self.name} mapping"),
                },
                existence_check=exists,
                help_synopsis=f"Read/write/delete a single {self.name} mapping",
            ),
        ]
