"""Mount management: ``sys/mounts``, ``sys/auth``, their ``tune`` paths and ``sys/remount``."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from ...core.mounts import MountConfig, MountEntry
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...storage.view import StorageView
from .mount_config import (
    LIST_KEYS,
    PROTECTED_MOUNTS,
    SINGLETON_SECRET_MOUNTS,
    TOKEN_TYPES,
    UNMOUNTABLE_TYPES,
    UNTUNABLE_MOUNTS,
    config_from_input,
    mount_api,
    parse_ttl,
    parse_version,
    sanitize,
    tune_api,
)

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from . import SystemBackend

_MOUNT_FIELDS = {
    "path": Field(FieldType.STRING, description="The path to mount to."),
    "type": Field(FieldType.STRING, description="The type of the backend."),
    "description": Field(FieldType.STRING, description="User-friendly description."),
    "config": Field(FieldType.MAP, description="Configuration for this mount."),
    "options": Field(FieldType.KV_PAIRS, description="Backend-specific options."),
    "local": Field(FieldType.BOOL, description="Mark the mount local-only."),
    "seal_wrap": Field(FieldType.BOOL, description="Seal-wrap the mount's storage."),
    "external_entropy_access": Field(FieldType.BOOL, description="External entropy access."),
    "plugin_name": Field(FieldType.STRING, description="Deprecated: the plugin name."),
    "plugin_version": Field(FieldType.STRING, description="The plugin version."),
}
_TUNE_FIELDS = {
    "path": Field(FieldType.STRING, description="The mount path."),
    "default_lease_ttl": Field(FieldType.STRING, description="Default lease TTL."),
    "max_lease_ttl": Field(FieldType.STRING, description="Maximum lease TTL."),
    "description": Field(FieldType.STRING, description="User-friendly description."),
    "audit_non_hmac_request_keys": Field(
        FieldType.COMMA_STRING_SLICE, description="Request keys not HMAC'd by audit devices."
    ),
    "audit_non_hmac_response_keys": Field(
        FieldType.COMMA_STRING_SLICE, description="Response keys not HMAC'd by audit devices."
    ),
    "listing_visibility": Field(
        FieldType.STRING, description='Listing visibility: "unauth" or "hidden".'
    ),
    "passthrough_request_headers": Field(
        FieldType.COMMA_STRING_SLICE, description="Request headers passed to the backend."
    ),
    "allowed_response_headers": Field(
        FieldType.COMMA_STRING_SLICE, description="Response headers the backend may set."
    ),
    "token_type": Field(FieldType.STRING, description="Token type of an auth mount."),
    "options": Field(FieldType.KV_PAIRS, description="Backend-specific options."),
    "force_no_cache": Field(FieldType.BOOL, description="Disable caching."),
    "plugin_version": Field(FieldType.STRING, description="The plugin version."),
    "user_lockout_config": Field(FieldType.MAP, description="User lockout settings."),
}
_ALWAYS_TUNABLE = {"path", "audit_non_hmac_request_keys", "audit_non_hmac_response_keys"}
_KIND = {"mounts": "secrets engines", "auth": "auth methods"}
MIGRATIONS = "sys/remount-status/"
REMOUNT_WARNING = (
    "Mount move has been queued. Progress will be reported in Vault's server log, tagged "
    "with the returned migration_id"
)


def _full(table: str, path: str) -> str:
    return f"auth/{path}" if table == "auth" else path


def _conflict(core: Any, table: str, path: str) -> str | None:
    """The existing mount whose path prefixes ``path`` (Vault's "already in use" check)."""
    for entry in core.mounts(table):
        if path.startswith(entry.path):
            return entry.path
    return None


def _matching(core: Any, full: str) -> MountEntry | None:
    """The mount whose route path is the longest prefix of ``full`` (Vault's
    ``MatchingMountEntry``): ``sys/mounts/:path``, the ``tune`` paths and ``sys/mounts/auth/..``
    find a mount by any path inside it, and ``sys/mounts/auth/x/tune`` finds the auth method
    (what ``bao auth tune`` calls)."""
    routed = core.route(full)
    return routed[0] if routed else None


def _enable(core: Any, table: str, data: FieldData) -> None:
    path = sanitize(data.get("path"))
    kind = data.get("type")
    # Absent options give an empty map; an explicit null keeps none (as Vault's decoding).
    explicit_null = "options" in data.raw and data.raw["options"] is None
    options: dict[str, str] | None = None if explicit_null else dict(data.get("options") or {})
    if table == "mounts" and path.startswith(PROTECTED_MOUNTS):
        raise InvalidRequest(f'cannot mount "{path}"')
    cfg = config_from_input(data.get("config"), table, core.options.max_lease_ttl)
    if not kind:
        raise InvalidRequest("backend type must be specified as a string")
    if kind == "plugin":
        kind = data.get("plugin_name") or (data.get("config") or {}).get("plugin_name", "")
        if not kind:
            raise InvalidRequest("plugin_name must be provided for plugin backend")
    if table == "mounts":
        if kind in ("kv-v1", "kv-v2"):
            options = {**(options or {}), "version": kind[-1]}
            kind = "kv"
        elif kind != "kv" and (options or {}).get("version"):
            raise InvalidRequest(f'secrets engine "{kind}" does not allow setting a version')
        if kind in UNMOUNTABLE_TYPES:
            raise InvalidRequest(f'mount type of "{kind}" is not mountable')
        if kind == "kv" and (options or {}).get("version", "") not in ("", "1", "2"):
            raise InvalidRequest('nil backend of type "kv" returned from factory')
    else:
        if kind == "token":
            raise InvalidRequest("token credential backend cannot be instantiated")
        if (options or {}).get("version"):
            raise InvalidRequest(f'auth method "{kind}" does not allow setting a version')
    existing = _conflict(core, table, path)
    if existing is not None:
        raise InvalidRequest(f"path is already in use at {existing}")
    entry = MountEntry(
        path=path,
        type=kind,
        description=data.get("description"),
        config=cfg,
        options=options,
        local=data.get("local"),
        seal_wrap=data.get("seal_wrap"),
        external_entropy_access=data.get("external_entropy_access"),
        plugin_version=data.get("plugin_version"),
        table=table,
    )
    core.mount(entry)


def _tune(core: Any, table: str, data: FieldData) -> Response | None:
    path = sanitize(data.get("path"))
    full = _full(table, path)
    if full.startswith(UNTUNABLE_MOUNTS):
        for name in data.raw:
            if name in data.schema and name not in _ALWAYS_TUNABLE:
                raise InvalidRequest(f"cannot tune parameter {name} of {full}")
    entry = _matching(core, full)
    if entry is None:
        raise InvalidRequest(f'tune of path "{full}" failed: no mount entry found')
    # The new settings are computed from the entry as stored when they are written (re-read
    # on each compare-and-swap attempt), so concurrent tunes of other settings are kept.
    return core.update_mount(entry, lambda fresh: _apply_tune(fresh, data))


def _apply_tune(entry: MountEntry, data: FieldData) -> Response | None:
    table = entry.table
    cfg = MountConfig(**entry.config.__dict__)
    ttl_error = "{error}"
    if data.has("default_lease_ttl") and data.get("default_lease_ttl") != "":
        cfg.default_lease_ttl = parse_ttl(data.get("default_lease_ttl"), ttl_error)
    if data.has("max_lease_ttl") and data.get("max_lease_ttl") != "":
        cfg.max_lease_ttl = parse_ttl(data.get("max_lease_ttl"), ttl_error)
    if cfg.default_lease_ttl and cfg.max_lease_ttl and cfg.max_lease_ttl < cfg.default_lease_ttl:
        raise InvalidRequest(
            f"backend max lease TTL of {cfg.max_lease_ttl} would be less than backend default "
            f"lease TTL of {cfg.default_lease_ttl}"
        )
    for key in LIST_KEYS:
        if data.has(key):
            setattr(cfg, key, data.get(key))
    if data.has("listing_visibility"):
        value = data.get("listing_visibility")
        if value not in ("", "hidden", "unauth"):
            raise InvalidRequest(f"invalid listing_visibility {value}")
        cfg.listing_visibility = value
    if data.has("force_no_cache"):
        cfg.force_no_cache = data.get("force_no_cache")
    if data.has("token_type"):
        if table != "auth":
            raise InvalidRequest("'token_type' can only be modified on auth mounts")
        if entry.type in ("token", "ns_token"):
            raise InvalidRequest("'token_type' cannot be set for 'token' or 'ns_token' auth mounts")
        if data.get("token_type") not in TOKEN_TYPES:
            raise InvalidRequest("invalid value for 'token_type'")
        cfg.token_type = data.get("token_type")
    options, warning = _tuned_options(entry, data)
    entry.config = cfg
    if data.has("description"):
        entry.description = data.get("description")
    if options is not None:
        entry.options = options
    return Response(warnings=[warning]) if warning else None


def _tuned_options(entry: MountEntry, data: FieldData) -> tuple[dict[str, str] | None, str]:
    if not data.has("options"):
        return None, ""
    new = data.get("options")
    if not new:
        return None, ""
    warning = ""
    if "version" in new:
        current = parse_version((entry.options or {}).get("version"), "mount entry")
        wanted = parse_version(new["version"], "options")
        if wanted not in (1, 2):
            raise InvalidRequest(f"invalid version provided: {wanted}")
        if current > wanted:
            raise InvalidRequest(f"cannot downgrade mount from version {current}")
        if current < wanted:
            warning = (
                f"Upgrading mount from version {current} to version {wanted}. This mount will "
                "be unavailable for a brief period and will resume service shortly."
            )
    options = dict(entry.options or {})
    for key, value in new.items():
        if value == "" and key != "version":
            options.pop(key, None)
        else:
            options[key] = value
    return options, warning


def _remount(core: Any, data: FieldData) -> Response:
    src_raw, dst_raw = data.get("from"), data.get("to")
    if not src_raw or not dst_raw:
        raise InvalidRequest("both 'from' and 'to' path must be specified as a string")
    src, dst = sanitize(src_raw), sanitize(dst_raw)
    table = "auth" if src.startswith("auth/") else "mounts"
    if table == "auth" and not dst.startswith("auth/"):
        raise InvalidRequest(f'cannot remount auth mount to non-auth mount "{dst}"')
    if src in SINGLETON_SECRET_MOUNTS or src == "auth/token/":
        raise InvalidRequest(f'cannot remount "{src}"')
    if table == "mounts" and dst.startswith(PROTECTED_MOUNTS):
        raise InvalidRequest(f"cannot remount to destination {dst}")
    if table == "auth" and dst == "auth/token/":
        raise InvalidRequest(f'cannot remount to destination "{dst}"')
    src_rel = src[5:] if table == "auth" else src
    dst_rel = dst[5:] if table == "auth" else dst
    if core.mount_by_path(table, src_rel) is None:
        raise InvalidRequest(f'no matching mount at "{src}"')
    existing = _conflict(core, table, dst_rel)
    if existing is not None:
        raise InvalidRequest(f'path already in use at "{_full(table, existing)}"')
    # The move is done before answering; the log tells its progress by migration_id, as the
    # warning of the answer says (Vault's messages and fields).
    migration_id = str(uuid.uuid4())
    fields = f"from_path={src} migration_id={migration_id} to_path={dst}"
    log.info("Starting to update the mount table: %s", fields)
    try:
        core.remount(table, src_rel, dst_rel)
        StorageView(core.storage, MIGRATIONS).put_json(
            migration_id, {"source_mount": src, "target_mount": dst, "status": "success"}
        )
    except Exception as exc:
        log.error("Unable to complete mount move operations: %s error=%r", fields, str(exc))
        raise
    log.info("Completed mount move operations: %s", fields)
    return Response(data={"migration_id": migration_id}, warnings=[REMOUNT_WARNING], top_level=True)


def paths(backend: SystemBackend) -> list[Path]:
    """The mount-management paths of ``sys/``."""
    core = backend.core

    def listing(table: str):
        def handler(req: Request, data: FieldData) -> Response:
            body = {e.path: mount_api(e) for e in core.mounts(table)}
            return Response(data=body, top_level=True)

        return handler

    def enable(table: str):
        def handler(req: Request, data: FieldData) -> None:
            _enable(core, table, data)
            return None

        return handler

    def read_one(table: str):
        def handler(req: Request, data: FieldData) -> Response:
            path = sanitize(data.get("path"))
            # sys/auth/:path is the method at exactly that path; sys/mounts/:path any mount
            # (secrets or auth/...) that prefixes it, as Vault.
            entry = core.mount_by_path(table, path) if table == "auth" else _matching(core, path)
            if entry is None:
                kind = "auth engine" if table == "auth" else "secret engine mount"
                raise InvalidRequest(f"No {kind} at {path}")
            return Response(data=mount_api(entry), top_level=True)

        return handler

    def disable(table: str):
        def handler(req: Request, data: FieldData) -> None:
            path = sanitize(data.get("path"))
            if table == "auth" and path == "token/":
                raise InvalidRequest("token credential backend cannot be disabled")
            if table == "mounts" and path.startswith(PROTECTED_MOUNTS):
                raise InvalidRequest(f'cannot unmount "{path}"')
            core.unmount(table, path)
            return None

        return handler

    def tune_read(table: str):
        def handler(req: Request, data: FieldData) -> Response:
            path = sanitize(data.get("path"))
            entry = _matching(core, _full(table, path))
            if entry is None:
                raise InvalidRequest(f'cannot fetch sysview for path "{_full(table, path)}"')
            # Vault's sysview TTLs: the mount's own value, else the system's; the default is
            # shown as is, not capped by the max (a mount tuned to max 2h with the system
            # default of 768h shows 768h).
            maximum = core.mount_ttls(entry)[1]
            default = entry.config.default_lease_ttl or core.options.default_lease_ttl
            return Response(data=tune_api(entry, default, maximum), top_level=True)

        return handler

    def tune_write(table: str):
        def handler(req: Request, data: FieldData) -> Response | None:
            return _tune(core, table, data)

        return handler

    def remount(req: Request, data: FieldData) -> Response:
        return _remount(core, data)

    def remount_status(req: Request, data: FieldData) -> Response | None:
        migration_id = data.get("migration_id")
        info = StorageView(core.storage, MIGRATIONS).get_json(migration_id)
        if info is None:
            return None
        return Response(data={"migration_id": migration_id, "migration_info": info})

    out: list[Path] = []
    for table, prefix in (("mounts", "mounts"), ("auth", "auth")):
        out += [
            Path(
                f"{prefix}/?",
                {Operation.READ: listing(table)},
                help_synopsis=f"List the mounted {_KIND[table]}.",
            ),
            Path(
                f"{prefix}/{match_all('path')}/tune",
                {Operation.READ: tune_read(table), Operation.UPDATE: tune_write(table)},
                fields=_TUNE_FIELDS,
                help_synopsis="Tune the configuration of a mount.",
            ),
            Path(
                f"{prefix}/{match_all('path')}",
                {
                    Operation.READ: read_one(table),
                    Operation.UPDATE: enable(table),
                    Operation.DELETE: disable(table),
                },
                fields=_MOUNT_FIELDS,
                help_synopsis="Enable, read or disable a mount.",
            ),
        ]
    out += [
        Path(
            "remount",
            {Operation.UPDATE: remount},
            fields={
                "from": Field(FieldType.STRING, description="The path of the mount to move."),
                "to": Field(FieldType.STRING, description="The new path of the mount."),
            },
            help_synopsis="Move a mount to a new path.",
        ),
        Path(
            r"remount/status/(?P<migration_id>.+)",
            {Operation.READ: remount_status},
            fields={"migration_id": Field(FieldType.STRING, description="The migration id.")},
            help_synopsis="Status of a mount move.",
        ),
    ]
    return out
