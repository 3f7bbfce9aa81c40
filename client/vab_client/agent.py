"""The agent APIs of vault-agent-backend as an ``hvac`` extension.

>>> from vab_client import Client
>>> client = Client(url="http://127.0.0.1:8200", token="root")
>>> client.agent.registry.register("billing-bot", entity_id=..., ceiling_policies=["kv-read"])
>>> client.agent.delegations.create("billing-bot", [path_access("secret/data/app/*", "read")])

``client.agent`` has ``registry`` (``identity/agent/...`` registrations), ``delegations``
(``identity/agent/delegation``), ``resource_servers`` (``sys/config/oauth-resource-server``),
``token(...)``/``login(...)`` (the built-in authorization server), ``introspect``,
``revoke``, ``rotate_keys`` and ``explain(...)`` (``sys/agent/explain``). Any
``hvac.Client`` can be extended with :func:`agent_api`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import hvac

from .oauth import AuthorizationServer, ClientCredentials
from .segments import segment

__all__ = [
    "AgentAPI",
    "Client",
    "Delegations",
    "Registry",
    "ResourceServers",
    "agent_api",
]


def _data(response: Any) -> Any:
    """The ``data`` of a JSON answer (None for 204)."""
    if isinstance(response, Mapping):
        return response.get("data")
    return None


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


class _Base:
    def __init__(self, client: hvac.Client):
        self._client = client

    @property
    def _adapter(self) -> Any:
        return self._client.adapter


class Registry(_Base):
    """Agent registrations with the extension fields (``identity/agent/...``).

    ``prefix="agent-registry"`` uses Vault 2.x's route instead (same records).
    """

    def __init__(self, client: hvac.Client, prefix: str = "identity/agent"):
        super().__init__(client)
        self.prefix = prefix.strip("/")

    def register(self, display_name: str, entity_id: str, **fields: Any) -> dict[str, Any]:
        """Create a registration; returns ``{"id", "display_name"}``."""
        body = _clean({"display_name": display_name, "entity_id": entity_id, **fields})
        return _data(self._adapter.post(f"/v1/{self.prefix}/register", json=body))

    def read(self, ref: str) -> dict[str, Any]:
        """A registration by id, else by display name."""
        try:
            return _data(self._adapter.get(f"/v1/{self.prefix}/registration/id/{segment(ref)}"))
        except hvac.exceptions.InvalidPath:
            return _data(
                self._adapter.get(f"/v1/{self.prefix}/registration/display-name/{segment(ref)}")
            )

    def list(self) -> dict[str, Any]:
        """``{"keys": [ids], "key_info": {...}}`` (empty dict when there are none)."""
        try:
            return _data(self._adapter.list(f"/v1/{self.prefix}/registration/id")) or {}
        except hvac.exceptions.InvalidPath:
            return {}

    def update(self, ref: str, **fields: Any) -> dict[str, Any]:
        """Change the given fields of a registration (others keep their values)."""
        reg_id = self.read(ref)["id"]
        return _data(
            self._adapter.post(
                f"/v1/{self.prefix}/registration/id/{segment(reg_id)}", json=_clean(fields)
            )
        )

    def delete(self, ref: str) -> None:
        """Delete a registration."""
        reg_id = self.read(ref)["id"]
        self._adapter.delete(f"/v1/{self.prefix}/registration/id/{segment(reg_id)}")

    def suspend(self, ref: str) -> dict[str, Any]:
        """Suspend an agent: its tokens are refused on the next request."""
        return self.update(ref, status="suspended")

    def resume(self, ref: str) -> dict[str, Any]:
        """Make a suspended agent active again."""
        return self.update(ref, status="active")

    def new_client_secret(self, ref: str) -> dict[str, Any]:
        """Generate a client secret (shown once): ``{"client_id", "client_secret"}``."""
        reg_id = self.read(ref)["id"]
        return _data(
            self._adapter.post(f"/v1/identity/agent/registration/id/{segment(reg_id)}/secret")
        )

    def activity(self, ref: str) -> dict[str, Any]:
        """Last use and allowed/denied counts of an agent."""
        return _data(self._adapter.get(f"/v1/identity/agent/activity/{segment(ref)}"))


class Delegations(_Base):
    """On-behalf-of delegations (``identity/agent/delegation``); create with the human's
    own token."""

    path = "/v1/identity/agent/delegation"

    def create(
        self,
        agent: str,
        authorization_details: Sequence[Mapping[str, Any]],
        *,
        ttl: int | str | None = None,
        purpose: str | None = None,
    ) -> dict[str, Any]:
        """Delegate to ``agent`` (id or display name); the record, with ``delegation_id``."""
        body = _clean(
            {
                "agent": agent,
                "authorization_details": list(authorization_details),
                "ttl": ttl,
                "purpose": purpose,
            }
        )
        return _data(self._adapter.post(self.path, json=body))

    def read(self, delegation_id: str) -> dict[str, Any]:
        """One delegation."""
        return _data(self._adapter.get(f"{self.path}/id/{segment(delegation_id)}"))

    def list(self, agent: str | None = None, subject_entity_id: str | None = None) -> dict:
        """``{"keys", "key_info"}`` of the delegations the caller may see (empty: none)."""
        params = _clean({"agent": agent, "subject_entity_id": subject_entity_id})
        try:
            return _data(self._adapter.list(self.path, params=params)) or {}
        except hvac.exceptions.InvalidPath:
            return {}

    def revoke(self, delegation_id: str) -> None:
        """End one delegation."""
        self._adapter.delete(f"{self.path}/id/{segment(delegation_id)}")

    def revoke_subject(self, entity_id: str) -> list[str]:
        """End every delegation of one human; the ids ended."""
        response = self._adapter.delete(f"{self.path}/subject/{segment(entity_id)}")
        return list((_data(response) or {}).get("revoked_delegation_ids", []))


class ResourceServers(_Base):
    """OAuth resource-server profiles (``sys/config/oauth-resource-server``)."""

    path = "/v1/sys/config/oauth-resource-server"

    def write(self, name: str, **fields: Any) -> Any:
        """Create or update a profile (only the given fields change)."""
        return self._adapter.post(f"{self.path}/{segment(name)}", json=_clean(fields))

    def read(self, name: str) -> dict[str, Any]:
        """One profile."""
        return _data(self._adapter.get(f"{self.path}/{segment(name)}"))

    def read_by_id(self, config_id: str) -> dict[str, Any]:
        """One profile by its ``config_id``."""
        return _data(self._adapter.get(f"{self.path}/id/{segment(config_id)}"))

    def list(self) -> list[str]:
        """Profile names."""
        try:
            return list((_data(self._adapter.list(self.path)) or {}).get("keys", []))
        except hvac.exceptions.InvalidPath:
            return []

    def delete(self, name: str) -> None:
        """Remove a profile."""
        self._adapter.delete(f"{self.path}/{segment(name)}")

    def authorization_details_types(self) -> Any:
        """The RAR types the server understands (unauthenticated discovery)."""
        return self._adapter.get("/v1/sys/oauth-resource-server/authorization-details-types")


class AgentAPI(_Base):
    """Everything agent-related on one ``hvac.Client``."""

    def __init__(self, client: hvac.Client, mount_point: str = "agent"):
        super().__init__(client)
        self.registry = Registry(client)
        self.delegations = Delegations(client)
        self.resource_servers = ResourceServers(client)
        self.mount_point = mount_point
        self._servers: dict[str, AuthorizationServer] = {}

    def authorization_server(self, mount_point: str | None = None) -> AuthorizationServer:
        """The OAuth endpoints of an ``agent`` auth mount (default ``auth/agent/``)."""
        mount = (mount_point or self.mount_point).strip("/")
        server = self._servers.get(mount)
        if server is None:
            server = self._servers[mount] = AuthorizationServer(self._client, mount)
        return server

    def token(
        self,
        credentials: ClientCredentials,
        *,
        delegation_id: str | None = None,
        subject_token: str | None = None,
        authorization_details: Sequence[Mapping[str, Any]] | None = None,
        ttl: int | str | None = None,
        txn: str | None = None,
        purpose: str | None = None,
        audience: str | None = None,
        mount_point: str | None = None,
    ) -> dict[str, Any]:
        """An access token (RFC 6749/8693 answer: ``access_token``, ``expires_in``, ...)."""
        return self.authorization_server(mount_point).token(
            credentials,
            delegation_id=delegation_id,
            subject_token=subject_token,
            authorization_details=authorization_details,
            ttl=ttl,
            txn=txn,
            purpose=purpose,
            audience=audience,
        )

    def login(
        self,
        credentials: ClientCredentials,
        *,
        use_token: bool = True,
        mount_point: str | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Like :meth:`token`, answered as a Vault login; the client adopts the JWT."""
        server = self.authorization_server(mount_point)
        response = server.token(credentials, path="login", **kwargs)
        if use_token:
            self._client.token = response["auth"]["client_token"]
        return response

    def introspect(
        self,
        token: str,
        credentials: ClientCredentials | None = None,
        mount_point: str | None = None,
    ) -> dict[str, Any]:
        """RFC 7662 (as the agent with ``credentials``, else with this client's token)."""
        return self.authorization_server(mount_point).introspect(token, credentials)

    def revoke(
        self,
        token: str,
        credentials: ClientCredentials | None = None,
        mount_point: str | None = None,
    ) -> None:
        """RFC 7009 revocation of an access token."""
        self.authorization_server(mount_point).revoke(token, credentials)

    def rotate_keys(
        self,
        algorithm: str | None = None,
        overlap: int | str | None = None,
        mount_point: str | None = None,
    ) -> dict[str, Any]:
        """Rotate the issuer's signing key (needs ``update`` on ``auth/agent/keys/rotate``)."""
        mount = (mount_point or self.mount_point).strip("/")
        body = _clean({"algorithm": algorithm, "overlap": overlap})
        return _data(self._adapter.post(f"/v1/auth/{mount}/keys/rotate", json=body))

    def explain(
        self,
        requests: Sequence[Mapping[str, Any]],
        *,
        token: str | None = None,
        agent: str | None = None,
        subject_entity_id: str | None = None,
        authorization_details: Sequence[Mapping[str, Any]] | None = None,
    ) -> dict[str, Any]:
        """``sys/agent/explain``: each layer's verdict for each ``{path, operation, data}``."""
        body = _clean(
            {
                "token": token,
                "agent": agent,
                "subject_entity_id": subject_entity_id,
                "authorization_details": None
                if authorization_details is None
                else list(authorization_details),
                "requests": [dict(r) for r in requests],
            }
        )
        return _data(self._adapter.post("/v1/sys/agent/explain", json=body))


def agent_api(client: hvac.Client, mount_point: str = "agent") -> AgentAPI:
    """The agent APIs for any ``hvac.Client``."""
    return AgentAPI(client, mount_point)


class Client(hvac.Client):
    """``hvac.Client`` plus ``.agent`` (an :class:`AgentAPI`)."""

    @property
    def agent(self) -> AgentAPI:
        """The agent APIs of this client."""
        api = self.__dict__.get("_agent_api")
        if api is None:
            api = self.__dict__["_agent_api"] = AgentAPI(self)
        return api
