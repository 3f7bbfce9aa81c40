"""KV v2 secret metadata and mount configuration: ``metadata/``, ``detailed-metadata/``,
``config``."""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...storage.base import Op
from .common import (
    CUSTOM_METADATA_PREFIX,
    custom_metadata_errors,
    go_uint32,
    merge_patch,
    multierror_text,
    parse_custom_metadata,
)
from .model import KeyMetadata, KVConfig
from .store import now_ns
from .v2_data import not_found_empty

if TYPE_CHECKING:
    from .store import VersionedStore

_PATCHABLE = (
    "max_versions",
    "cas_required",
    "metadata_cas_required",
    "delete_version_after",
    "custom_metadata",
)
_CAS_REQUIRED_IGNORED = (
    '"cas_required" set to false, but is mandated by backend config. This value will be ignored.'
)
_METADATA_CAS_REQUIRED_IGNORED = (
    '"metadata_cas_required" set to false, but is mandated by backend config. '
    "This value will be ignored."
)
_METADATA_FIELDS = {
    "path": Field(FieldType.STRING, description="Location of the secret."),
    "cas_required": Field(
        FieldType.BOOL, description="Require the cas option on every write of this secret."
    ),
    "metadata_cas_required": Field(
        FieldType.BOOL, description="Require metadata_cas on every metadata update."
    ),
    "max_versions": Field(
        FieldType.INT, description="Versions to keep (0: the mount's setting, else 10)."
    ),
    "delete_version_after": Field(
        FieldType.DURATION, description="Time after which a new version is deleted (0: unset)."
    ),
    "custom_metadata": Field(
        FieldType.MAP, description="User-provided key/value pairs describing the secret."
    ),
    "metadata_cas": Field(
        FieldType.INT, description="The current metadata version this update expects (0: new)."
    ),
    "after": Field(FieldType.STRING, description="List only the entries after this one."),
    "limit": Field(FieldType.INT, description="List at most this many entries (0: all)."),
}


def _custom_metadata(raw: dict[str, Any], *, skip_nulls: bool) -> dict[str, str]:
    """Parse and validate custom metadata (400 with Vault's messages when invalid)."""
    try:
        custom = parse_custom_metadata(raw, skip_nulls=skip_nulls)
    except ValueError as exc:
        raise InvalidRequest(f"{CUSTOM_METADATA_PREFIX}: {exc}") from None
    errors = custom_metadata_errors(custom)
    if errors:
        raise InvalidRequest(multierror_text(errors))
    return custom


def _check_metadata_cas(data: FieldData, config: KVConfig, meta: KeyMetadata | None) -> None:
    required = config.metadata_cas_required or (meta is not None and meta.metadata_cas_required)
    expected, given = data.get_ok("metadata_cas")
    if required and not given:
        raise InvalidRequest("metadata check-and-set parameter required for this call")
    if not given:
        return
    if meta is None:
        if expected != 0:
            raise InvalidRequest("metadata_cas must be 0 when creating new metadata")
    elif expected != meta.current_metadata_version:
        raise InvalidRequest("metadata check-and-set parameter does not match the current version")


def _warnings(data: FieldData, config: KVConfig) -> list[str]:
    warnings = []
    cas_required, given = data.get_ok("cas_required")
    if given and config.cas_required and not cas_required:
        warnings.append(_CAS_REQUIRED_IGNORED)
    metadata_cas_required, given = data.get_ok("metadata_cas_required")
    if given and config.metadata_cas_required and not metadata_cas_required:
        warnings.append(_METADATA_CAS_REQUIRED_IGNORED)
    return warnings


class MetadataPaths:
    """The handlers of the metadata and config paths of a KV v2 backend (a mixin)."""

    store: VersionedStore

    def metadata_paths(self) -> list[Path]:
        """Declarations of the metadata and config paths."""
        list_fields = {k: _METADATA_FIELDS[k] for k in ("path", "after", "limit")}
        return [
            Path(
                "config",
                {Operation.READ: self.config_read, Operation.UPDATE: self.config_write},
                fields={
                    "max_versions": Field(
                        FieldType.INT, description="Versions to keep per secret (0: 10)."
                    ),
                    "cas_required": Field(
                        FieldType.BOOL, description="Require the cas option on every write."
                    ),
                    "metadata_cas_required": Field(
                        FieldType.BOOL, description="Require metadata_cas on metadata updates."
                    ),
                    "delete_version_after": Field(
                        FieldType.SIGNED_DURATION,
                        description="Delete versions after this long (negative: never, 0: unset).",
                    ),
                },
                help_synopsis="Configures settings for the KV store",
            ),
            Path(
                f"metadata/{match_all('path')}",
                {
                    Operation.READ: self.metadata_read,
                    Operation.CREATE: self.metadata_write,
                    Operation.UPDATE: self.metadata_write,
                    Operation.PATCH: self.metadata_patch,
                    Operation.DELETE: self.metadata_delete,
                    Operation.LIST: self.metadata_list,
                },
                fields=_METADATA_FIELDS,
                existence_check=self.metadata_exists,
                help_synopsis="Allows interaction with key metadata and settings in the KV store.",
                help_description=(
                    "Read a secret's metadata and versions, write its settings (max_versions, "
                    "cas_required, delete_version_after, custom_metadata), or permanently "
                    "delete the secret with all its versions."
                ),
            ),
            Path(
                f"detailed-metadata/{match_all('path')}",
                {Operation.LIST: self.metadata_list},
                fields=list_fields,
                help_synopsis="List secrets with their metadata.",
            ),
        ]

    # -- config -----------------------------------------------------------------------------------

    def config_read(self, req: Request, data: FieldData) -> Response:
        """The mount's settings."""
        return Response(data=self.store.config().api())

    def config_write(self, req: Request, data: FieldData) -> None:
        """Change the settings given; the others keep their values."""
        names = ("max_versions", "cas_required", "metadata_cas_required", "delete_version_after")
        if not any(data.has(name) for name in names):
            return None
        config = self.store.config()
        if data.has("max_versions"):
            config.max_versions = go_uint32(data.get("max_versions"))
        if data.has("cas_required"):
            config.cas_required = data.get("cas_required")
        if data.has("metadata_cas_required"):
            config.metadata_cas_required = data.get("metadata_cas_required")
        if data.has("delete_version_after"):
            seconds = data.get("delete_version_after")
            config.delete_version_after = -1 if seconds < 0 else (seconds or None)
        self.store.put_config(config)
        return None

    # -- metadata ---------------------------------------------------------------------------------

    def metadata_exists(self, req: Request, data: FieldData) -> bool:
        """Whether the secret has metadata (decides create vs update)."""
        return self.store.metadata(data.get("path")) is not None

    def metadata_read(self, req: Request, data: FieldData) -> Response | None:
        """The secret's settings and the state of every kept version."""
        meta = self.store.metadata(data.get("path"))
        return None if meta is None else Response(data=meta.api())

    def metadata_list(self, req: Request, data: FieldData) -> Response:
        """Secrets and folders below a path (``detailed-metadata/`` adds their metadata)."""
        path = data.get("path")
        keys = self.store.list_metadata(path)
        after = data.get("after")
        if after:
            keys = [k for k in keys if k > after]
        limit = data.get("limit")
        if limit > 0:
            keys = keys[:limit]
        if not req.rel_path.startswith("detailed-metadata/"):
            return Response(data={"keys": keys})
        info: dict[str, Any] = {}
        for key in keys:
            full = posixpath.normpath(posixpath.join(path, key)) if path or key else ""
            meta = self.store.metadata("" if full == "." else full)
            info[key] = meta.api() if meta is not None else {}
        return Response(data={"keys": keys, "key_info": info})

    def metadata_write(self, req: Request, data: FieldData) -> Response | None:
        """Create or replace the settings given (a secret may exist with metadata only)."""
        path = data.get("path")
        if path == "":
            raise InvalidRequest("missing path")
        names = ("max_versions", "cas_required", "delete_version_after", "custom_metadata")
        if not any(data.has(name) for name in (*names, "metadata_cas_required")):
            return None
        config = self.store.config()
        custom = None
        if data.has("custom_metadata"):
            custom = _custom_metadata(data.get("custom_metadata"), skip_nulls=False)
        warnings = _warnings(data, config)

        def change(meta: KeyMetadata | None) -> tuple[list[Op], None]:
            _check_metadata_cas(data, config, meta)
            now = now_ns()
            if meta is None:
                meta = KeyMetadata(
                    key=path, created_time=now, updated_time=now, current_metadata_version=1
                )
            else:
                meta.current_metadata_version += 1
                meta.updated_time = now
            self._apply_settings(meta, data)
            if custom is not None:
                meta.custom_metadata = custom or None
            return [self.store.meta_op(meta)], None

        self.store.mutate(path, change)
        return Response(warnings=warnings) if warnings else None

    def metadata_patch(self, req: Request, data: FieldData) -> Response | None:
        """Change only the settings given; ``custom_metadata`` is merge-patched."""
        if not any(data.has(name) for name in _PATCHABLE):
            return None
        path = data.get("path")
        if path == "":
            raise InvalidRequest("missing path")
        patch: dict[str, Any] | None = None
        if data.has("custom_metadata"):
            raw = data.raw["custom_metadata"]
            if raw is not None:
                raw = data.get("custom_metadata")
                custom = _custom_metadata(raw, skip_nulls=True)
                patch = {str(k): None if v is None else custom[str(k)] for k, v in raw.items()}
        config = self.store.config()

        def change(meta: KeyMetadata | None) -> tuple[list[Op], Response | None]:
            if meta is None:
                return [], not_found_empty()
            _check_metadata_cas(data, config, meta)
            self._apply_settings(meta, data)
            if data.has("custom_metadata"):
                merged = None if patch is None else merge_patch(meta.custom_metadata or {}, patch)
                meta.custom_metadata = merged or None
            meta.current_metadata_version += 1
            meta.updated_time = now_ns()
            warnings = _warnings(data, config)
            return [self.store.meta_op(meta)], Response(warnings=warnings) if warnings else None

        return self.store.mutate(path, change)

    @staticmethod
    def _apply_settings(meta: KeyMetadata, data: FieldData) -> None:
        if data.has("max_versions"):
            meta.max_versions = go_uint32(data.get("max_versions"))
        if data.has("cas_required"):
            meta.cas_required = data.get("cas_required")
        if data.has("metadata_cas_required"):
            meta.metadata_cas_required = data.get("metadata_cas_required")
        if data.has("delete_version_after"):
            meta.delete_version_after = data.get("delete_version_after")

    def metadata_delete(self, req: Request, data: FieldData) -> None:
        """Permanently delete the secret: its metadata and every version."""
        path = data.get("path")

        def change(meta: KeyMetadata | None) -> tuple[list[Op], None]:
            if meta is None:
                return [], None
            return self.store.purge_ops(path), None

        return self.store.mutate(path, change)
