"""Helpers of the mount endpoints: Vault's presentation of mount entries and config parsing."""

from __future__ import annotations

from typing import Any

from ...core.mounts import MountConfig, MountEntry
from ...framework.durations import parse_duration
from ...framework.errors import InvalidRequest

CORE_TYPES = frozenset({"cubbyhole", "system", "identity", "token", "ns_token", "generic"})
"""Vault's own mount types: no ``deprecation_status`` is shown for them."""
EXTENSION_TYPES = frozenset({"agent-registry", "agent"})
UNMOUNTABLE_TYPES = frozenset({"cubbyhole", "system", "identity", "token"})
PROTECTED_MOUNTS = ("audit/", "auth/", "sys/", "cubbyhole/", "identity/")
"""Prefixes where nothing can be mounted (Vault's protectedMounts)."""
UNTUNABLE_MOUNTS = ("cubbyhole/", "sys/", "audit/", "identity/")
SINGLETON_SECRET_MOUNTS = ("sys/", "cubbyhole/", "identity/")
TOKEN_TYPES = ("default-service", "default-batch", "service", "batch")
LIST_KEYS = (
    "audit_non_hmac_request_keys",
    "audit_non_hmac_response_keys",
    "passthrough_request_headers",
    "allowed_response_headers",
)
_BUILTIN_HEADERS = {("mounts", "sys/"): ["Accept"], ("mounts", "identity/"): ["Authorization"]}


def sanitize(path: str) -> str:
    """Vault's sanitizePath: no leading ``/``, one trailing ``/``."""
    path = path.lstrip("/")
    return path if path.endswith("/") else path + "/"


def _passthrough(entry: MountEntry) -> list[str]:
    configured = list(entry.config.passthrough_request_headers or [])
    return configured or list(_BUILTIN_HEADERS.get((entry.table, entry.path), []))


def mount_api(entry: MountEntry) -> dict[str, Any]:
    """The JSON Vault shows for a mount in ``sys/mounts``, ``sys/auth`` and the UI paths."""
    cfg: dict[str, Any] = {
        "default_lease_ttl": entry.config.default_lease_ttl,
        "max_lease_ttl": entry.config.max_lease_ttl,
        "force_no_cache": entry.config.force_no_cache,
    }
    for key in LIST_KEYS:
        value = _passthrough(entry) if key == "passthrough_request_headers" else None
        value = value if value is not None else getattr(entry.config, key)
        if value:
            cfg[key] = list(value)
    if entry.config.listing_visibility:
        cfg["listing_visibility"] = entry.config.listing_visibility
    if entry.table == "auth":
        cfg["token_type"] = _token_type(entry)
    if entry.config.user_lockout_config:
        cfg["user_lockout_config"] = entry.config.user_lockout_config
    info: dict[str, Any] = {
        "accessor": entry.accessor,
        "config": cfg,
        "description": entry.description,
        "external_entropy_access": entry.external_entropy_access,
        "local": entry.local or (entry.table, entry.path) == ("mounts", "cubbyhole/"),
        "options": entry.options,
        "plugin_version": entry.plugin_version,
        "running_plugin_version": entry.running_plugin_version,
        "running_sha256": "",
        "seal_wrap": entry.seal_wrap or (entry.table, entry.path) == ("mounts", "sys/"),
        "type": entry.type,
        "uuid": entry.uuid,
    }
    if entry.type not in CORE_TYPES and entry.type not in EXTENSION_TYPES:
        info["deprecation_status"] = "supported"
    return info


def _token_type(entry: MountEntry) -> str:
    return entry.config.token_type or "default-service"


def tune_api(entry: MountEntry, default_ttl: int, max_ttl: int) -> dict[str, Any]:
    """The data of ``sys/mounts/:path/tune`` (GET)."""
    body: dict[str, Any] = {
        "default_lease_ttl": default_ttl,
        "max_lease_ttl": max_ttl,
        "force_no_cache": entry.config.force_no_cache,
        "description": entry.description,
    }
    if entry.external_entropy_access:
        body["external_entropy_access"] = True
    if entry.table == "auth":
        body["token_type"] = _token_type(entry)
    for key in LIST_KEYS:
        value = _passthrough(entry) if key == "passthrough_request_headers" else None
        value = value if value is not None else getattr(entry.config, key)
        if value:
            body[key] = list(value)
    if entry.config.listing_visibility:
        body["listing_visibility"] = entry.config.listing_visibility
    if entry.options:
        body["options"] = entry.options
    if entry.plugin_version:
        body["plugin_version"] = entry.plugin_version
    return body


def parse_ttl(value: Any, template: str) -> int:
    """A mount TTL from input (``""``/``"system"`` = 0); ``template`` formats the error.

    Negative values are kept, as Vault/OpenBao keep them (``parseutil.ParseDurationSecond``
    takes a sign): ``bao secrets enable -default-lease-ttl=system`` sends ``"-1s"``, and the
    mount then shows (and uses) a TTL of -1.
    """
    if value in ("", "system", None):
        return 0
    try:
        return parse_duration(value, allow_negative=True)
    except ValueError as exc:
        raise InvalidRequest(template.format(value=value, error=exc)) from None


def _string_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    raise InvalidRequest("unable to convert given mount config information")


def config_from_input(raw: Any, table: str, system_max: int) -> MountConfig:
    """The config of a new mount from the ``config`` map of ``sys/mounts``/``sys/auth``."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise InvalidRequest("unable to convert given mount config information")
    cfg = MountConfig()
    default_raw = raw.get("default_lease_ttl")
    max_raw = raw.get("max_lease_ttl")
    cfg.default_lease_ttl = parse_ttl(
        default_raw, "unable to parse default TTL of {value}: {error}"
    )
    cfg.max_lease_ttl = parse_ttl(max_raw, "unable to parse max TTL of {value}: {error}")
    if cfg.max_lease_ttl and cfg.default_lease_ttl > cfg.max_lease_ttl:
        raise InvalidRequest("given default lease TTL greater than given max lease TTL")
    if cfg.default_lease_ttl > system_max and not cfg.max_lease_ttl:
        raise InvalidRequest(
            f"given default lease TTL greater than system max lease TTL of {system_max}"
        )
    cfg.force_no_cache = bool(raw.get("force_no_cache", False))
    for key in LIST_KEYS:
        setattr(cfg, key, _string_list(raw.get(key)))
    visibility = raw.get("listing_visibility") or ""
    if not isinstance(visibility, str) or visibility not in ("", "hidden", "unauth"):
        raise InvalidRequest(f"invalid listing_visibility {visibility}")
    cfg.listing_visibility = visibility
    token_type = raw.get("token_type") or ""
    if table == "auth":
        if token_type and token_type not in TOKEN_TYPES:
            raise InvalidRequest("invalid value for 'token_type'")
        cfg.token_type = token_type or "default-service"
    return cfg


def parse_version(value: Any, what: str) -> int:
    """A KV version option as Vault parses it ("" = 0)."""
    if value in (None, ""):
        return 0
    try:
        return int(str(value), 10)
    except ValueError:
        raise InvalidRequest(
            f'unable to parse {what}: strconv.ParseInt: parsing "{value}": invalid syntax'
        ) from None
