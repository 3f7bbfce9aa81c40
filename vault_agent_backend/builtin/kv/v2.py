"""KV version 2: versioned secrets with metadata, check-and-set, soft delete and destroy."""

from __future__ import annotations

import logging

from ...framework.backend import Backend, BackendConfig
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response
from .store import VersionedStore
from .v1 import check_writable_path
from .v2_data import DataPaths
from .v2_metadata import MetadataPaths

log = logging.getLogger(__name__)

V2_HELP = """This backend provides a versioned key-value store. Each write of a secret creates a
new version; older versions can be read by number, soft-deleted, undeleted or destroyed, and
every secret carries metadata (max_versions, cas_required, delete_version_after,
custom_metadata). Paths: config, data/*, metadata/*, detailed-metadata/*, subkeys/*,
delete/*, undelete/*, destroy/*."""

_ROOTS = ("metadata", "data", "delete", "undelete", "destroy")
_CLI_VERBS = {
    Operation.CREATE: "put",
    Operation.UPDATE: "put",
    Operation.PATCH: "patch",
    Operation.READ: "get",
    Operation.LIST: "list",
    Operation.DELETE: "delete",
}
_WRITES = (Operation.CREATE, Operation.UPDATE, Operation.PATCH)


def invalid_path_response(req: Request) -> Response:
    """Vault's 404 with a warning for paths a versioned K/V mount does not serve."""
    if req.rel_path in _ROOTS:
        warning = "Non-listing operations on the root of a K/V v2 mount are not supported."
    else:
        verb = _CLI_VERBS.get(req.operation, "")
        warning = (
            "Invalid path for a versioned K/V secrets engine. See the API docs for the "
            "appropriate API endpoints to use. If using the OpenBao CLI, use "
            f"'bao kv {verb}' for this operation."
        )
    return Response(status=404, warnings=[warning])


class KVv2Backend(DataPaths, MetadataPaths, Backend):
    """``kv`` mounts with ``options.version = 2``."""

    backend_type = "kv"

    def __init__(self, config: BackendConfig):
        super().__init__(config)
        self.store = VersionedStore(self.storage, f"{config.mount_uuid}/")
        self.add_paths([*self.metadata_paths(), *self.data_paths()])

    def initialize(self) -> None:
        """Upgrade unversioned (v1) data in place the first time the mount runs as v2."""
        if not self.store.upgrade_done():
            converted = self.store.upgrade()
            if converted:
                log.info(
                    "kv mount %s upgraded to version 2 (%d keys)", self.config.mount_path, converted
                )

    def handle_request(self, request: Request) -> Response | None:
        """Route as the framework does; unknown paths get Vault's "invalid path" 404."""
        if request.operation in _WRITES:
            check_writable_path(request.path)
        if self.route(request.rel_path) is None:
            if request.operation == Operation.HELP:
                return Response(data={"help": V2_HELP, "openapi": None})
            return invalid_path_response(request)
        return super().handle_request(request)

    def help_response(self, path: Path) -> Response:
        """Path help, with the backend overview."""
        response = super().help_response(path)
        if response.data is not None:
            response.data["help"] = f"{response.data['help']}\n\n{V2_HELP}".strip()
        return response
