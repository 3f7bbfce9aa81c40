"""The KV secrets engine, versions 1 and 2 (mount types ``kv`` and ``generic``).

``options.version`` picks the version: ``"2"`` gives the versioned engine
(:class:`KVv2Backend`), anything else (``"1"``, empty, or a ``generic`` mount) the
unversioned pass-through engine (:class:`KVv1Backend`). Tuning a mount from version 1 to 2
re-creates its backend, which converts the stored v1 data in place (see
:meth:`VersionedStore.upgrade`).
"""

from __future__ import annotations

import logging

from ...framework.backend import Backend, BackendConfig
from .v1 import KVv1Backend
from .v2 import KVv2Backend

log = logging.getLogger(__name__)

__all__ = ["KVv1Backend", "KVv2Backend", "factory"]


def factory(config: BackendConfig) -> Backend:
    """The KV backend for a mount: version 2 when ``options.version`` is ``"2"``, else v1."""
    version = str((config.options or {}).get("version", "") or "")
    if config.mount_type != "generic" and version == "2":
        return KVv2Backend(config)
    if version not in ("", "1"):
        log.warning(
            "kv mount %s: unknown version %r, serving version 1", config.mount_path, version
        )
    return KVv1Backend(config)
