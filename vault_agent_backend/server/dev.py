"""``vab server -dev``: one process, in-memory storage, unsealed, root token printed."""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile

from ..core import Core, CoreOptions
from ..core.mounts import MountEntry
from ..http import create_app
from ..storage import MemoryStorage, SQLiteStorage
from ..storage.barrier import Barrier
from ..storage.base import Storage
from ..storage.seal import SealManager
from .runner import ListenerError, bind_listener, serve, start_background

BANNER = """==> vault-agent-backend server configuration:

             Api Address: {api_addr}
                 Storage: {storage}
                 Version: vault-agent-backend {version}
                Dev Mode: true

==> Server started! Log data will stream in below:

WARNING! dev mode is enabled! In this mode, the server runs entirely in-memory
and starts unsealed with a single unseal key. The root token is already
authenticated to the CLI, so you can immediately begin using it.

You may need to set the following environment variables:

    $ export VAULT_ADDR='{api_addr}'

The root token is displayed below in case you want to seal/unseal the server
or re-authenticate.

Unseal Key: {unseal_key}
Root Token: {root_token}

Development mode should NOT be used in production installations!
"""


DEV_THREADS = 64
"""Threads of the dev server's one worker (created on demand). Many, so that a few stalled
clients cannot take them all even before the read timeouts free them (see :mod:`.worker`)."""


def dev_storage(kind: str) -> Storage:
    """The throwaway physical storage of a dev server: ``inmem`` or a temporary SQLite file."""
    if kind == "inmem":
        return MemoryStorage()
    if kind == "sqlite":
        folder = tempfile.mkdtemp(prefix="vab-dev-")
        atexit.register(shutil.rmtree, folder, True)
        return SQLiteStorage(os.path.join(folder, "vault.db"))
    raise ValueError(f"unknown dev storage {kind!r} (inmem or sqlite)")


def build_dev_core(
    root_token_id: str = "", api_addr: str = "http://127.0.0.1:8200", storage: str = "inmem"
) -> tuple[Core, str]:
    """A set-up dev core and its root token."""
    from .. import __version__

    barrier = Barrier(dev_storage(storage))
    core = Core(
        barrier,
        CoreOptions(
            dev=True, dev_root_token_id=root_token_id, api_addr=api_addr, version=__version__
        ),
    )
    seal = SealManager(barrier, storage_type=storage)
    seal.attach(core)
    seal.dev_unseal_key = seal.dev_initialize(core)  # unseals, which runs core.setup()
    root = core.token_store.create_root(root_token_id)
    if core.mount_by_path("mounts", "secret/") is None:
        try:
            core.mount(
                MountEntry(
                    path="secret/",
                    type="kv",
                    description="key/value secret storage",
                    options={"version": "2"},
                )
            )
        except Exception as exc:  # the KV engine may not be built in this checkout
            print(f"warning: secret/ not mounted: {exc}", file=sys.stderr)
    for hook in core.hooks.get("dev_setup", []):
        hook(core)
    return core, root.id


def store_dev_token(token: str) -> None:
    """Save the root token in the CLI's token helper (``~/.vault-token``, or
    ``VAULT_TOKEN_PATH``), as ``vault server -dev`` does, so ``vab``/``vault``/``bao`` are
    authenticated at once. A failure only warns: the token is printed anyway."""
    from vab_client.cli.client import TokenHelper

    helper = TokenHelper()
    try:
        helper.store(token)
    except OSError as exc:
        print(f"warning: could not store the root token in {helper.path}: {exc}", file=sys.stderr)


def run_dev(
    listen_address: str,
    root_token_id: str,
    log_level: str,
    storage: str = "inmem",
    store_token: bool = True,
) -> None:
    """Start the dev server in the foreground."""
    from .. import __version__

    api_addr = f"http://{listen_address}"
    # Bind first: a busy port fails at once, without a banner or a stored token (as Vault).
    try:
        listener = bind_listener(listen_address)
    except ListenerError as exc:
        print(exc, file=sys.stderr, flush=True)
        sys.exit(1)
    core, root = build_dev_core(root_token_id, api_addr, storage)
    banner = BANNER.format(
        api_addr=api_addr,
        version=__version__,
        root_token=root,
        storage=storage,
        unseal_key=getattr(core.seal, "dev_unseal_key", ""),
    )
    print(banner, flush=True)
    if store_token:
        store_dev_token(root)
    app = create_app(core)

    def app_in_worker():  # after fork: the background thread must live in the worker
        start_background(core)
        return app

    serve(app_in_worker, listener, workers=1, threads=DEV_THREADS, log_level=log_level)
