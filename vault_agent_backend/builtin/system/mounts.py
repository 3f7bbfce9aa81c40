"""Mount management: ``sys/mounts``, ``sys/auth``, their ``tune`` paths and ``sys/remount``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...core.mounts import PROTECTED_PREFIXES, SINGLETON_MOUNTS, MountConfig, MountEntry
from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, match_all
from ...framework.request import Operation, Request
from ...framework.response import Response

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
    "audit_non_hmac_request_keys": Field(FieldType.COMMA_STRING_SLICE),
    "audit_non_hmac_response_keys": Field(FieldType.COMMA_STRING_SLICE),
    "listing_visibility": Field(FieldType.STRING),
    "passthrough_request_headers": Field(FieldType.COMMA_STRING_SLICE),
    "allowed_response_headers": Field(FieldType.COMMA_STRING_SLICE),
    "token_type": Field(FieldType.STRING),
    "options": Field(FieldType.KV_PAIRS),
    "force_no_cache": Field(FieldType.BOOL),
    "plugin_version": Field(FieldType.STRING),
    "user_lockout_config": Field(FieldType.MAP),
}
_TTL_UNSET = {"", "system", None}
_KIND = {"mounts": "secrets engines", "auth": "auth methods"}


def _normalize(path: str) -> str:
    path = path.strip("/")
    return path + "/" if path else ""


def _ttl(value: Any, name: str) -> int:
    from ...framework.durations import parse_duration

    if value in _TTL_UNSET:
        return 0
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise InvalidRequest(f"unable to parse {name}: {exc}") from None


def _config_from_input(raw: dict[str, Any], table: str) -> MountConfig:
    cfg = MountConfig()
    if not isinstance(raw, dict):
        raise InvalidRequest("config must be a map")
    cfg.default_lease_ttl = _ttl(raw.get("default_lease_ttl"), "default_lease_ttl")
    cfg.max_lease_ttl = _ttl(raw.get("max_lease_ttl"), "max_lease_ttl")
    if cfg.max_lease_ttl and cfg.default_lease_ttl > cfg.max_lease_ttl:
        raise InvalidRequest("given default lease TTL greater than given max lease TTL")
    cfg.force_no_cache = bool(raw.get("force_no_cache", False))
    for key in (
        "audit_non_hmac_request_keys",
        "audit_non_hmac_response_keys",
        "passthrough_request_headers",
        "allowed_response_headers",
    ):
        value = raw.get(key) or []
        cfg.__dict__[key] = value.split(",") if isinstance(value, str) else list(value)
    cfg.listing_visibility = str(raw.get("listing_visibility", "") or "")
    if cfg.listing_visibility not in ("", "hidden", "unauth"):
        raise InvalidRequest(f"invalid listing_visibility {cfg.listing_visibility}")
    token_type = str(raw.get("token_type", "") or "")
    if token_type and table != "auth":
        raise InvalidRequest("token_type can only be modified on auth mounts")
    if token_type not in ("", "default-service", "default-batch", "service", "batch"):
        raise InvalidRequest(f"invalid value for 'token_type': {token_type}")
    cfg.token_type = token_type or ("default-service" if table == "auth" else "")
    return cfg


def paths(backend: SystemBackend) -> list[Path]:
    """The mount-management paths of ``sys/``."""
    core = backend.core
    system_ttls = (core.options.default_lease_ttl, core.options.max_lease_ttl)

    def listing(table: str):
        def handler(req: Request, data: FieldData) -> Response:
            body = {e.path: e.to_api(*system_ttls) for e in core.mounts(table)}
            return Response(data=body, top_level=True)

        return handler

    def enable(table: str):
        def handler(req: Request, data: FieldData) -> None:
            path = _normalize(data.get("path"))
            kind = data.get("type") or data.get("plugin_name")
            if not path:
                raise InvalidRequest("path cannot be empty")
            if not kind:
                raise InvalidRequest("backend type must be specified as a string")
            if table == "mounts" and (
                path in SINGLETON_MOUNTS or path.startswith(PROTECTED_PREFIXES)
            ):
                raise InvalidRequest(f"cannot mount '{path}' of type '{kind}' as it is reserved")
            if table == "auth" and kind == "token":
                raise InvalidRequest("token credential backend cannot be instantiated")
            cfg = _config_from_input(data.get("config"), table)
            options = dict(data.get("options") or {})
            if kind in ("kv", "generic") and table == "mounts":
                if kind == "generic":
                    options.setdefault("version", "1")
                options.setdefault("version", "1")
                if kind == "kv" and options.get("version") not in ("1", "2"):
                    raise InvalidRequest("invalid version for kv engine")
            entry = MountEntry(
                path=path,
                type="kv" if kind == "generic" and table == "mounts" else kind,
                description=data.get("description"),
                config=cfg,
                options=options or None,
                local=data.get("local"),
                seal_wrap=data.get("seal_wrap"),
                external_entropy_access=data.get("external_entropy_access"),
                plugin_version=data.get("plugin_version"),
                table=table,
            )
            core.mount(entry)
            return None

        return handler

    def read_one(table: str):
        def handler(req: Request, data: FieldData) -> Response | None:
            entry = core.mount_by_path(table, _normalize(data.get("path")))
            if entry is None:
                raise InvalidRequest(
                    f"No {'auth' if table == 'auth' else 'secret'} engine at "
                    f"{_normalize(data.get('path'))}"
                )
            return Response(data=entry.to_api(*system_ttls), top_level=True)

        return handler

    def disable(table: str):
        def handler(req: Request, data: FieldData) -> None:
            path = _normalize(data.get("path"))
            if path in SINGLETON_MOUNTS or (table == "auth" and path == "token/"):
                raise InvalidRequest(f"cannot unmount '{path}'")
            core.unmount(table, path)
            return None

        return handler

    def tune_read(table: str):
        def handler(req: Request, data: FieldData) -> Response:
            path = _normalize(data.get("path"))
            entry = core.mount_by_path(table, path)
            if entry is None:
                raise InvalidRequest(f"cannot fetch sysview for path {path!r}")
            default, maximum = core.mount_ttls(entry)
            body: dict[str, Any] = {
                "default_lease_ttl": default,
                "max_lease_ttl": maximum,
                "force_no_cache": entry.config.force_no_cache,
                "description": entry.description,
            }
            if entry.options is not None or entry.type == "kv":
                body["options"] = entry.options
            if table == "auth":
                body["token_type"] = entry.config.token_type or "default-service"
            for key in (
                "audit_non_hmac_request_keys",
                "audit_non_hmac_response_keys",
                "passthrough_request_headers",
                "allowed_response_headers",
            ):
                if getattr(entry.config, key):
                    body[key] = getattr(entry.config, key)
            if entry.config.listing_visibility:
                body["listing_visibility"] = entry.config.listing_visibility
            return Response(data=body, top_level=True)

        return handler

    def tune_write(table: str):
        def handler(req: Request, data: FieldData) -> None:
            path = _normalize(data.get("path"))
            entry = core.mount_by_path(table, path)
            if entry is None:
                raise InvalidRequest(f"cannot tune '{path}'")
            cfg = MountConfig(**entry.config.__dict__)
            if data.has("default_lease_ttl"):
                cfg.default_lease_ttl = _ttl(data.raw["default_lease_ttl"], "default_lease_ttl")
            if data.has("max_lease_ttl"):
                cfg.max_lease_ttl = _ttl(data.raw["max_lease_ttl"], "max_lease_ttl")
            if cfg.max_lease_ttl and cfg.default_lease_ttl > cfg.max_lease_ttl:
                raise InvalidRequest("given default lease TTL greater than given max lease TTL")
            system_max = core.options.max_lease_ttl
            if cfg.max_lease_ttl > system_max:
                raise InvalidRequest("given max lease TTL greater than system max lease TTL")
            for key in (
                "audit_non_hmac_request_keys",
                "audit_non_hmac_response_keys",
                "passthrough_request_headers",
                "allowed_response_headers",
            ):
                if data.has(key):
                    cfg.__dict__[key] = data.get(key)
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
                value = data.get("token_type")
                if value not in ("default-service", "default-batch", "service", "batch"):
                    raise InvalidRequest(f"invalid value for 'token_type': {value}")
                cfg.token_type = value
            options = None
            if data.has("options"):
                options = dict(entry.options or {})
                new = data.get("options")
                if entry.type == "kv" and "version" in new:
                    old_version = options.get("version", "1")
                    if new["version"] not in ("1", "2"):
                        raise InvalidRequest("invalid version for kv engine")
                    if old_version == "2" and new["version"] == "1":
                        raise InvalidRequest("cannot downgrade mount from versioned to unversioned")
                options.update(new)
            description = data.get("description") if data.has("description") else None
            core.tune(entry, cfg, description, options)
            return None

        return handler

    def remount(req: Request, data: FieldData) -> Response:
        src = data.get("from").strip("/")
        dst = data.get("to").strip("/")
        if not src or not dst:
            raise InvalidRequest("both 'from' and 'to' path must be specified as a string")
        table = "mounts"
        if src.startswith("auth/"):
            if not dst.startswith("auth/"):
                raise InvalidRequest("cannot remount auth mount to non-auth mount")
            table, src, dst = "auth", src[5:], dst[5:]
        elif dst.startswith("auth/"):
            raise InvalidRequest("cannot remount non-auth mount to auth mount")
        src, dst = _normalize(src), _normalize(dst)
        if src in SINGLETON_MOUNTS or (table == "auth" and src == "token/"):
            raise InvalidRequest(f"cannot remount '{src}'")
        if table == "mounts" and dst.startswith(PROTECTED_PREFIXES):
            raise InvalidRequest(f"cannot remount to destination '{dst}'")
        core.remount(table, src, dst)
        migration_id = __import__("uuid").uuid4().hex
        return Response(data={"migration_id": migration_id})

    def remount_status(req: Request, data: FieldData) -> Response:
        return Response(
            data={"migration_id": data.get("migration_id"), "migration_info": {"status": "success"}}
        )

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
            fields={"migration_id": Field(FieldType.STRING)},
            help_synopsis="Status of a mount move.",
        ),
    ]
    return out
