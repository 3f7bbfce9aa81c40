"""KV version 1: unversioned pass-through storage of JSON objects at any path."""

from __future__ import annotations

import json
from typing import Any

from ...framework.backend import Backend, BackendConfig
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import Response, Secret
from ...storage.view import encode_json
from .common import parse_ttl

DEFAULT_TTL = 768 * 3600

V1_HELP = """The kv backend reads and writes arbitrary secrets to the backend.
Secrets are stored encrypted; a "ttl" (or "lease") key in a secret is returned as the
lease duration of reads, as a hint to the reader of when to read it again."""


def mount_default_ttl(config: BackendConfig) -> int:
    """The default lease TTL in force for this mount (tuned, else the system default)."""
    core = config.core
    if core is None:
        return DEFAULT_TTL
    for entry in core.mounts("mounts"):
        if entry.uuid == config.mount_uuid:
            return core.mount_ttls(entry)[0]
    return core.mount_ttls(None)[0]


def check_writable_path(path: str) -> None:
    """Vault refuses writes to a path ending in ``/`` (a folder, not a key)."""
    if path.endswith("/"):
        raise InvalidRequest("cannot write to a path ending in '/'")


class KVv1Backend(Backend):
    """``kv`` (version 1) and ``generic`` mounts: read, write, delete and list JSON objects."""

    backend_type = "kv"

    def __init__(self, config: BackendConfig):
        super().__init__(config)
        self.add_paths(
            [
                Path(
                    match_all("path"),
                    {
                        Operation.READ: self.read,
                        Operation.CREATE: self.write,
                        Operation.UPDATE: self.write,
                        Operation.DELETE: self.delete,
                        Operation.LIST: self.list,
                    },
                    fields={"path": Field(FieldType.STRING, description="Location of the secret.")},
                    existence_check=self.exists,
                    take_unknown_fields=True,
                    help_synopsis=(
                        "Pass-through secret storage to the storage backend, allowing you to "
                        "read/write arbitrary data into secret storage."
                    ),
                    help_description=V1_HELP,
                ),
            ]
        )

    def exists(self, req: Request, data: FieldData) -> bool:
        """Whether a secret is stored at the path (decides create vs update)."""
        return self.storage.get(req.rel_path) is not None

    def read(self, req: Request, data: FieldData) -> Response | None:
        """The stored object; its ``ttl`` (or ``lease``) sets the lease duration."""
        raw = self.storage.get(req.rel_path)
        if raw is None:
            return None
        body: dict[str, Any] = json.loads(raw)
        ttl: int | None = None
        for key in ("ttl", "lease"):
            if key in body:
                ttl = parse_ttl(body[key])
                break
        if ttl is None:
            ttl = mount_default_ttl(self.config)
        return Response(data=body, secret=Secret(ttl=ttl, renewable=False))

    def write(self, req: Request, data: FieldData) -> None:
        """Replace the object at the path with the request body."""
        key = req.rel_path
        check_writable_path(req.path)
        if key == "":
            raise InvalidRequest("missing path")
        if not req.data:
            raise InvalidRequest("missing data fields")
        self.storage.put(key, encode_json(req.data))
        return None

    def delete(self, req: Request, data: FieldData) -> None:
        """Remove the object at the path (no error when absent)."""
        if req.rel_path:
            self.storage.delete(req.rel_path)
        return None

    def list(self, req: Request, data: FieldData) -> Response:
        """Keys below the path; folders end in ``/``."""
        prefix = req.rel_path
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        return Response(data={"keys": self.storage.list(prefix)})
