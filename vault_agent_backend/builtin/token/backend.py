"""The token backend: every path of ``auth/token/`` wired to the token store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.backend import Backend, BackendConfig, PathsSpecial
from ...framework.request import Request
from ...framework.response import Auth
from .paths_create import CreatePaths
from .paths_lookup import LookupPaths
from .paths_renew_revoke import RenewRevokePaths
from .policies import sanitize_policies
from .roles import RolePaths, RoleStore

if TYPE_CHECKING:
    from ...core.mounts import MountEntry
    from ...framework.response import Response
    from .entry import TokenEntry


class TokenBackend(Backend):
    """Token store endpoints; the storage logic lives in :class:`store.TokenStore`."""

    backend_type = "token"
    kind = "auth"

    def __init__(self, config: BackendConfig):
        super().__init__(
            config, special=PathsSpecial(root=("revoke-orphan/*", "accessors*"), unauthenticated=())
        )
        self.core = config.core
        self.store = self.core.token_store
        self.roles = RoleStore(self.store.view.sub("roles/"))
        self.lookups = LookupPaths(self)
        self.renewals = RenewRevokePaths(self)
        self.add_paths(
            [
                *RolePaths(self.store, self.roles).paths(),
                *self.lookups.paths(),
                *CreatePaths(self).paths(),
                *self.renewals.paths(),
            ]
        )
        self.core.hooks["token_backend"] = self

    # ----- services used by the path modules (and by the core) --------------------------------

    def mount_entry(self) -> MountEntry | None:
        """This backend's mount entry."""
        routed = self.core.route(self.config.mount_path)
        return routed[0] if routed else None

    @staticmethod
    def has_sudo(req: Request) -> bool:
        """Whether the caller has root or ``sudo`` on the request's path."""
        caller = req.caller
        if caller is None or caller.kind != "token":
            return False
        if caller.is_root:
            return True
        acl = caller.acl
        if acl is None:
            return False
        capabilities = acl.capabilities(req.path)
        return "sudo" in capabilities or "root" in capabilities

    def identity_policies(self, entity_id: str) -> list[str]:
        """The policies an entity (and its groups) currently grant, sorted."""
        identity = self.core.hooks.get("identity")
        if not entity_id or identity is None:
            return []
        state = identity.caller_state(entity_id, follow_merges=True)
        if state is None:
            return []
        return sanitize_policies(list(state.policies), False)

    def lookup_identity_policies(self, entity_id: str) -> list[str]:
        """The identity policies a token lookup shows, in Vault's order: the entity's own,
        then its groups' (sorted); an entity merged into another shows the target's."""
        identity = self.core.hooks.get("identity")
        if not entity_id or identity is None:
            return []
        state = identity.caller_state(entity_id, follow_merges=True)
        return [] if state is None else list(state.lookup_policies)

    def auth_for(self, entry: TokenEntry, *, renewable: bool) -> Auth:
        """The ``auth`` block describing a token (creation and renewal answers)."""
        identity = [] if entry.no_identity_policies else self.identity_policies(entry.entity_id)
        token_policies = list(entry.policies)
        return Auth(
            policies=sanitize_policies([*token_policies, *identity], False),
            token_policies=token_policies,
            identity_policies=identity,
            metadata=dict(entry.meta) if entry.meta is not None else {},
            display_name=entry.display_name,
            client_token=entry.id,
            accessor=entry.accessor,
            ttl=entry.ttl,
            explicit_max_ttl=entry.explicit_max_ttl,
            period=entry.period,
            renewable=renewable,
            num_uses=entry.num_uses,
            entity_id=entry.entity_id,
            token_type=entry.type,
            orphan=entry.orphan,
            lease_duration=entry.ttl,
        )

    def renew_token(self, entry: TokenEntry, increment: int = 0) -> Response:
        """Renew a token as ``auth/token/renew`` would (for ``sys/leases/renew``)."""
        return self.renewals.renew_entry(entry, increment)
