"""Where a ``vab kv`` path really lives: KV version detection and API path building.

Like the vault CLI, ``vab kv`` first asks ``GET sys/internal/ui/mounts/<path>`` for the
mount: ``data.path`` is the mount path and ``data.options.version`` the KV version. For
KV v2, ``secret/foo`` then becomes ``secret/data/foo`` (or ``metadata/``, ``delete/``,
``undelete/``, ``destroy/``). A 404 on the pre-flight request means KV v1 (older servers).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from .api import API, APIError, RequestError
from .base import sanitize_path
from .errors import EXIT_API, Failure


def join(*parts: str) -> str:
    """Go's ``path.Join``: join the non-empty parts and clean the result."""
    kept = [p for p in parts if p]
    if not kept:
        return ""
    cleaned = posixpath.normpath("/".join(kept))
    return cleaned[1:] if cleaned.startswith("//") else cleaned


def add_prefix(path: str, mount: str, api_prefix: str) -> str:
    """Insert ``api_prefix`` after the mount: ``secret/foo`` -> ``secret/data/foo``."""
    if path in (mount, mount.rstrip("/")):
        return join(mount, api_prefix)
    suffix = path.removeprefix(mount)
    while suffix == path:
        # The mount may include a namespace the path does not repeat: drop its first part.
        _head, sep, rest = mount.partition("/")
        if not sep or not rest:
            break
        mount = rest.removesuffix("/")
        suffix = suffix.removeprefix(mount)
    return join(mount, api_prefix, suffix)


def preflight(api: API, path: str) -> tuple[str, int]:
    """The mount path and KV version of ``path`` (``("", 1)`` if the server cannot say)."""
    try:
        response = api.request("GET", "sys/internal/ui/mounts/" + path)
        if response.status_code == 404:
            return "", 1
        if response.status_code >= 400:
            raise api.error_for(response)
        secret = api.parse(response)
    except (APIError, RequestError) as exc:
        raise Failure(str(exc), EXIT_API) from None
    if secret is None:
        raise Failure("nil response from pre-flight request", EXIT_API)
    data = secret.data or {}
    mount = str(data.get("path") or "")
    options = data.get("options")
    version = options.get("version") if isinstance(options, dict) else None
    return mount, 2 if str(version or "") == "2" else 1


@dataclass
class KVTarget:
    """A resolved ``vab kv`` path: its mount, KV version and the path as given."""

    mount: str
    v2: bool
    partial: str
    mount_flag: bool

    def path(self, api_prefix: str = "data") -> str:
        """The API path: with ``api_prefix`` inserted for KV v2, as given for KV v1."""
        if self.v2:
            return add_prefix(self.partial, self.mount, api_prefix)
        return join(self.mount, self.partial) if self.mount_flag else self.partial


def resolve(api: API, path: str, mount_flag: str = "") -> KVTarget:
    """Resolve ``path`` (relative to ``-mount`` when given) to a :class:`KVTarget`."""
    partial = sanitize_path(path)
    if mount_flag:
        flag = sanitize_path(mount_flag)
        mount, version = preflight(api, flag)
        if not mount:
            mount = flag + "/"
        if version == 2:
            partial = join(mount, partial)
        return KVTarget(mount, version == 2, partial, True)
    mount, version = preflight(api, partial)
    return KVTarget(mount, version == 2, partial, False)


def parse_versions(values: tuple[str, ...]) -> list[int | str]:
    """``-versions=1,2 -versions=3`` -> ``[1, 2, 3]`` (non-numbers are sent as given)."""
    out: list[int | str] = []
    for value in values:
        for item in value.split(","):
            item = item.strip()
            if item:
                out.append(int(item) if item.isdigit() else item)
    return out
