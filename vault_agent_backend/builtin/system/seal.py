"""``sys/init``, ``sys/unseal``, ``sys/seal``, ``sys/rotate``, ``sys/key-status``.

While the server is sealed only ``sys/health``, ``sys/seal-status``, ``sys/init``,
``sys/unseal`` and ``sys/leader`` are served (by :func:`handle_sealed`, without tokens, audit
or mount table: all of those live behind the barrier); every other request gets 503.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest, NotFound, Sealed
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import RawResponse, Response
from .health import seal_status_body

if TYPE_CHECKING:
    from ...core.core import Core
    from ...storage.seal import SealManager
    from . import SystemBackend

_INIT_FIELDS = {
    "secret_shares": Field(
        FieldType.INT, description="Number of key shares to split the root key into."
    ),
    "secret_threshold": Field(
        FieldType.INT, description="Number of key shares required to rebuild the root key."
    ),
    "pgp_keys": Field(FieldType.COMMA_STRING_SLICE, description="Not supported."),
    "root_token_pgp_key": Field(FieldType.STRING, description="Not supported."),
    "stored_shares": Field(FieldType.INT, description="Not supported (HSM seals only)."),
    "recovery_shares": Field(FieldType.INT, description="Not supported (auto-unseal only)."),
    "recovery_threshold": Field(FieldType.INT, description="Not supported (auto-unseal only)."),
    "recovery_pgp_keys": Field(FieldType.COMMA_STRING_SLICE, description="Not supported."),
}
_UNSEAL_FIELDS = {
    "key": Field(FieldType.STRING, description="One key share (hex or base64)."),
    "reset": Field(FieldType.BOOL, description="Discard the key shares submitted so far."),
    "migrate": Field(FieldType.BOOL, description="Seal migration (not supported)."),
}


def _manager(core: Core) -> SealManager:
    seal = core.seal
    if seal is None:
        raise InvalidRequest("this server has no seal (its storage is not encrypted)")
    return seal


def paths(backend: SystemBackend) -> list[Path]:
    """The seal-related paths of ``sys/``."""
    core = backend.core

    def init_status(req: Request, data: FieldData) -> Response:
        return Response(raw=RawResponse(body={"initialized": bool(core.initialized)}))

    def init(req: Request, data: FieldData) -> Response:
        from ...storage.seal import SealConfig

        seal = _manager(core)
        if seal.config() is not None:
            raise InvalidRequest("Vault is already initialized")
        for name in ("pgp_keys", "recovery_pgp_keys"):
            if data.get(name):
                raise InvalidRequest(f"{name} is not supported: key shares are returned in clear")
        if data.get("root_token_pgp_key"):
            raise InvalidRequest("root_token_pgp_key is not supported")
        for name in ("stored_shares", "recovery_shares", "recovery_threshold"):
            if data.get(name):
                raise InvalidRequest(f"{name} is only valid with an auto-unseal seal")
        config = SealConfig(int(data.get("secret_shares")), int(data.get("secret_threshold")))
        result = seal.initialize(config)
        root_token = _create_root_token(core, result.root_key)
        core.initialized = True
        return Response(
            raw=RawResponse(
                body={
                    "keys": [share.hex() for share in result.shares],
                    "keys_base64": [base64.b64encode(s).decode() for s in result.shares],
                    "root_token": root_token,
                }
            )
        )

    def unseal(req: Request, data: FieldData) -> Response:
        from ...storage.seal import decode_key_share

        seal = _manager(core)
        reset = bool(data.get("reset"))
        key = data.get("key")
        share = decode_key_share(key) if key and not reset else None
        seal.submit(core, share, reset)
        return Response(raw=RawResponse(body=seal_status_body(core)))

    def seal_now(req: Request, data: FieldData) -> None:
        _manager(core).seal()

    def rotate(req: Request, data: FieldData) -> None:
        _manager(core).barrier.rotate()

    def key_status(req: Request, data: FieldData) -> Response:
        term = _manager(core).barrier.key_status()
        return Response(
            data={
                "term": term.term,
                "install_time": term.install_time,
                "encryptions": _manager(core).barrier.encryptions,
            },
            top_level=True,
        )

    return [
        Path(
            "init",
            {Operation.READ: init_status, Operation.UPDATE: init},
            fields=_INIT_FIELDS,
            help_synopsis="Returns the initialization status, or initializes a new server.",
        ),
        Path(
            "unseal",
            {Operation.UPDATE: unseal},
            fields=_UNSEAL_FIELDS,
            help_synopsis="Submits one key share to unseal the server.",
        ),
        Path(
            "seal",
            {Operation.UPDATE: seal_now},
            help_synopsis="Seals the server (requires sudo).",
        ),
        Path(
            "rotate",
            {Operation.UPDATE: rotate},
            help_synopsis="Rotates the barrier's encryption key (requires sudo).",
        ),
        Path(
            "key-status",
            {Operation.READ: key_status},
            help_synopsis="Returns the term and install time of the active encryption key.",
        ),
    ]


def _create_root_token(core: Core, root_key: bytes) -> str:
    """Set up the fresh storage and create the initial root token, through a throwaway core
    over a second barrier unsealed with the new root key (this server stays sealed)."""
    from ...core.core import Core as CoreClass
    from ...storage.barrier import Barrier

    seal = _manager(core)
    barrier = Barrier(seal.physical, close_physical=False)
    barrier.unseal(root_key)
    scratch = CoreClass(barrier, core.options)
    try:
        scratch.setup()
        return scratch.token_store.create_root().id
    finally:
        scratch.shutdown()


def handle_sealed(core: Core, request: Request) -> Response | None:
    """Serve a request while sealed: the seal paths answer, everything else is 503."""
    from ...core.request_handling import SEAL_EXEMPT

    path = request.path
    if path.rstrip("/") == "sys/seal" and request.operation in (Operation.UPDATE, Operation.CREATE):
        return None  # already sealed: as Vault, 204
    if not path.startswith(SEAL_EXEMPT):
        raise Sealed()
    backend = _sealed_backend(core)
    request.mount_point = "sys/"
    request.mount_type = "system"
    request.mount_class = "secret"
    request.unauthenticated = True
    if not backend.special.is_unauthenticated(request.rel_path):
        raise Sealed()
    if backend.route(request.rel_path) is None:
        raise NotFound("unsupported path", multierror=True)
    return backend.handle_request(request)


def _sealed_backend(core: Core) -> Any:
    seal = _manager(core)
    if seal.sealed_backend is None:
        from ...framework.backend import BackendConfig
        from ...storage.view import StorageView
        from . import SystemBackend

        seal.sealed_backend = SystemBackend(
            BackendConfig(
                storage=StorageView(core.storage, "sys/"),
                mount_path="sys/",
                mount_type="system",
                mount_accessor="",
                mount_uuid="",
                core=core,
            )
        )
    return seal.sealed_backend
