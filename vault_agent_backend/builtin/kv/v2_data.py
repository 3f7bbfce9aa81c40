"""KV v2 secret data: ``data/``, ``subkeys/``, ``delete/``, ``undelete/`` and ``destroy/``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response
from ...storage.base import Op
from .common import merge_patch, subkeys, weak_int
from .model import KeyMetadata, KVConfig, deletion_time
from .store import now_ns

if TYPE_CHECKING:
    from .store import VersionedStore

_PATH_FIELD = Field(FieldType.STRING, description="Location of the secret.")


def not_found_empty() -> Response:
    """Vault's bare 404 (no body), as KV v2 answers a patch of a missing secret."""
    return Response(raw=RawResponse(status=404, body=""))


def check_cas(data: FieldData, config: KVConfig, meta: KeyMetadata) -> None:
    """Enforce ``options.cas``: it must equal the current version, and be given if required."""
    options = data.get("options") if data.has("options") else {}
    if "cas" in options:
        try:
            cas = weak_int(options["cas"])
        except ValueError:
            raise InvalidRequest("error parsing check-and-set parameter") from None
        if cas != meta.current_version:
            raise InvalidRequest("check-and-set parameter did not match the current version")
    elif config.cas_required or meta.cas_required:
        raise InvalidRequest("check-and-set parameter required for this call")


class DataPaths:
    """The handlers of the secret-data paths of a KV v2 backend (mixed into the backend)."""

    store: VersionedStore

    def data_paths(self) -> list[Path]:
        """Declarations of the data paths."""
        versions = Field(
            FieldType.COMMA_INT_SLICE, description="The versions to act on (list or comma list)."
        )
        return [
            Path(
                f"data/{match_all('path')}",
                {
                    Operation.READ: self.data_read,
                    Operation.CREATE: self.data_write,
                    Operation.UPDATE: self.data_write,
                    Operation.PATCH: self.data_patch,
                    Operation.DELETE: self.data_delete,
                },
                fields={
                    "path": _PATH_FIELD,
                    "version": Field(
                        FieldType.INT, description="The version to read (default: the latest)."
                    ),
                    "options": Field(
                        FieldType.MAP,
                        description='Write options: "cas" (check-and-set) is the version the '
                        "secret must be at for the write to happen (0: must not exist).",
                    ),
                    "data": Field(FieldType.MAP, description="The secret's key/value data."),
                },
                existence_check=self.secret_exists,
                help_synopsis="Write, Patch, Read, and Delete data in the Key-Value Store.",
                help_description=(
                    "A write creates a new version; a patch merges into the latest version "
                    '(JSON merge patch); a read returns the latest version unless "version" '
                    "is given; a delete soft-deletes the latest version (undo with undelete)."
                ),
            ),
            Path(
                f"subkeys/{match_all('path')}",
                {Operation.READ: self.subkeys_read},
                fields={
                    "path": _PATH_FIELD,
                    "depth": Field(
                        FieldType.INT, description="Deepest nesting level to show (0: no limit)."
                    ),
                    "version": Field(FieldType.INT, description="The version (default: latest)."),
                },
                help_synopsis="Read the structure of a secret with its values removed.",
            ),
            Path(
                f"delete/{match_all('path')}",
                {Operation.UPDATE: self.versions_delete},
                fields={"path": _PATH_FIELD, "versions": versions},
                help_synopsis="Marks one or more versions as deleted in the KV store.",
            ),
            Path(
                f"undelete/{match_all('path')}",
                {Operation.UPDATE: self.versions_undelete},
                fields={"path": _PATH_FIELD, "versions": versions},
                help_synopsis="Undeletes one or more versions from the KV store.",
            ),
            Path(
                f"destroy/{match_all('path')}",
                {Operation.UPDATE: self.versions_destroy},
                fields={"path": _PATH_FIELD, "versions": versions},
                help_synopsis="Permanently removes one or more versions in the KV store.",
            ),
        ]

    # -- existence --------------------------------------------------------------------------------

    def secret_exists(self, req: Request, data: FieldData) -> bool:
        """Whether the secret has metadata (decides create vs update)."""
        return self.store.metadata(data.get("path")) is not None

    # -- reads ------------------------------------------------------------------------------------

    def _read_version(self, data: FieldData, body_key: str) -> tuple[Response | None, Any]:
        """(an early answer, or None and the data of the requested live version)."""
        path = data.get("path")
        meta = self.store.metadata(path)
        if meta is None:
            return None, None
        number = meta.current_version
        requested = data.get("version")
        if requested > 0:
            number = requested
        version = meta.versions.get(number)
        if version is None:
            return None, None
        body: dict[str, Any] = {body_key: None, "metadata": meta.version_api(number, version)}
        if version.deleted(now_ns()) or version.destroyed:
            return Response(status=404, data=body), None
        return Response(data=body), self.store.version_data(path, number)

    def data_read(self, req: Request, data: FieldData) -> Response | None:
        """The latest (or a given) version with its metadata; 404 with metadata if deleted."""
        response, value = self._read_version(data, "data")
        if response is not None and response.status is None:
            response.data["data"] = value  # type: ignore[index]
        return response

    def subkeys_read(self, req: Request, data: FieldData) -> Response | None:
        """The secret's keys without their values, up to ``depth``."""
        response, value = self._read_version(data, "subkeys")
        if response is not None and response.status is None:
            response.data["subkeys"] = subkeys(value, data.get("depth"))  # type: ignore[index]
        return response

    # -- writes -----------------------------------------------------------------------------------

    def _new_version_ops(
        self, meta: KeyMetadata, value: Any, config: KVConfig
    ) -> tuple[list[Op], Response]:
        created = now_ns()
        version, pruned = meta.add_version(
            created, deletion_time(created, config, meta), config.max_versions
        )
        ops = [
            self.store.version_op(meta.key, meta.current_version, value, created),
            self.store.meta_op(meta),
            *self.store.delete_version_ops(meta.key, pruned),
        ]
        return ops, Response(data=meta.version_api(meta.current_version, version))

    def data_write(self, req: Request, data: FieldData) -> Response:
        """Store a new version (subject to check-and-set)."""
        path = data.get("path")
        if path == "":
            raise InvalidRequest("missing path")
        config = self.store.config()
        if not data.has("data"):
            raise InvalidRequest("no data provided")
        value = None if data.raw["data"] is None else data.get("data")

        def change(meta: KeyMetadata | None) -> tuple[list[Op], Response]:
            meta = meta or KeyMetadata(key=path)
            check_cas(data, config, meta)
            return self._new_version_ops(meta, value, config)

        return self.store.mutate(path, change)

    def data_patch(self, req: Request, data: FieldData) -> Response:
        """Merge-patch (RFC 7396) the latest version into a new version."""
        path = data.get("path")
        if not data.has("data"):
            raise InvalidRequest("no data provided")
        patch = None if data.raw["data"] is None else data.get("data")

        def change(meta: KeyMetadata | None) -> tuple[list[Op], Response]:
            if meta is None:
                return [], not_found_empty()
            config = self.store.config()
            check_cas(data, config, meta)
            number = meta.current_version
            version = meta.versions.get(number)
            if version is None:
                return [], not_found_empty()
            if version.deleted(now_ns()) or version.destroyed:
                return [], Response(status=404, data=meta.version_api(number, version))
            current = self.store.version_data(path, number)
            return self._new_version_ops(meta, merge_patch(current, patch), config)

        return self.store.mutate(path, change)

    def data_delete(self, req: Request, data: FieldData) -> None:
        """Soft-delete the latest version."""

        def change(meta: KeyMetadata | None) -> tuple[list[Op], None]:
            if meta is None:
                return [], None
            version = meta.versions.get(meta.current_version)
            now = now_ns()
            if version is None or version.destroyed or version.deleted(now):
                return [], None
            version.deletion_time = now
            return [self.store.meta_op(meta)], None

        return self.store.mutate(data.get("path"), change)

    def _versions(self, data: FieldData, message: str) -> list[int]:
        versions = data.get("versions")
        if not versions:
            raise InvalidRequest(message)
        return versions

    def versions_delete(self, req: Request, data: FieldData) -> None:
        """Soft-delete the given versions."""
        versions = self._versions(data, "No version number provided")

        def change(meta: KeyMetadata | None) -> tuple[list[Op], None]:
            if meta is None:
                return [], None
            now = now_ns()
            changed = False
            for number in versions:
                version = meta.versions.get(number)
                if version is None or version.destroyed or version.deleted(now):
                    continue
                version.deletion_time = now
                changed = True
            return ([self.store.meta_op(meta)] if changed else []), None

        return self.store.mutate(data.get("path"), change)

    def versions_undelete(self, req: Request, data: FieldData) -> None:
        """Restore soft-deleted versions (their automatic deletion restarts from now)."""
        versions = self._versions(data, "No version number provided")
        config = self.store.config()

        def change(meta: KeyMetadata | None) -> tuple[list[Op], None]:
            if meta is None:
                return [], None
            now = now_ns()
            for number in versions:
                version = meta.versions.get(number)
                if version is None or version.destroyed:
                    continue
                version.deletion_time = deletion_time(now, config, meta)
            return [self.store.meta_op(meta)], None

        return self.store.mutate(data.get("path"), change)

    def versions_destroy(self, req: Request, data: FieldData) -> None:
        """Permanently remove the data of the given versions."""
        versions = self._versions(data, "no version number provided")
        path = data.get("path")

        def change(meta: KeyMetadata | None) -> tuple[list[Op], None]:
            if meta is None:
                return [], None
            for number in versions:
                version = meta.versions.get(number)
                if version is not None:
                    version.destroyed = True
            ops = [self.store.meta_op(meta)]
            ops += self.store.delete_version_ops(path, sorted({n for n in versions if n > 0}))
            return ops, None

        return self.store.mutate(path, change)
