"""``identity/agent/...``: the registrations with their extension fields, client secrets and
per-agent activity. The identity backend adds these paths with one call::

    self.add_paths(identity_agent_paths(self))
"""

from __future__ import annotations

from typing import Any

from ...framework.errors import NotFound
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from .paths import registration_paths
from .service import agent_registry

__all__ = ["identity_agent_paths"]


def identity_agent_paths(backend: Any) -> list[Path]:
    """The ``agent/`` paths of the identity mount (``backend.core`` is the core)."""
    registry = agent_registry(backend.core)
    store = registry.store

    def new_secret(req: Request, data: FieldData) -> Response:
        record = store.get(data.get("id"))
        if record is None:
            raise NotFound("registration not found")
        secret = store.new_client_secret(record["id"])
        return Response(data={"client_id": record["id"], "client_secret": secret})

    def activity(req: Request, data: FieldData) -> Response | None:
        record = store.resolve(data.get("id"))
        if record is None:
            return None
        delegations = backend.core.hooks.get("agent_delegations")
        active = 0
        if delegations is not None and hasattr(delegations, "count_active"):
            active = delegations.count_active(record["id"])
        body = {
            "id": record["id"],
            "display_name": record["display_name"],
            "entity_id": record["entity_id"],
            **registry.activity.snapshot(record["id"]),
            "active_delegations": active,
        }
        return Response(data=body)

    id_field = {"id": Field(FieldType.STRING, description="Registration ID (or display name).")}
    return [
        *registration_paths(registry, "agent/", extended=True),
        Path(
            f"agent/registration/id/{name_regex('id')}/secret",
            {Operation.UPDATE: new_secret},
            fields=id_field,
            help_synopsis="Generate a client secret for the agent (shown once, stored hashed).",
        ),
        Path(
            f"agent/activity/{name_regex('id')}",
            {Operation.READ: activity},
            fields=id_field,
            help_synopsis="Last use and allowed/denied request counts of an agent.",
        ),
    ]
