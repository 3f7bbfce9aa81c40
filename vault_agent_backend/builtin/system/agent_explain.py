"""``POST sys/agent/explain`` (extension): why an agent request is allowed or denied.

Needs ``sudo`` on ``sys/agent/explain`` (the answer reveals policy names and stanzas),
except that an agent token may explain itself (no ``token`` or its own, and neither
``agent`` nor ``subject_entity_id``).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...agent import AgentDenied, authenticator
from ...agent.explain import explain_token, explain_unverified
from ...framework.errors import InvalidRequest, PermissionDenied
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Response

if TYPE_CHECKING:
    from . import SystemBackend

_FIELDS = {
    "token": Field(FieldType.STRING, description="The agent JWT to explain."),
    "agent": Field(FieldType.STRING, description="Registration id or display name."),
    "subject_entity_id": Field(
        FieldType.STRING, description="The human the agent acts for (omit: direct mode)."
    ),
    "authorization_details": Field(
        FieldType.SLICE, description="RFC 9396 authorization_details to evaluate."
    ),
    "requests": Field(FieldType.SLICE, description="[{path, operation, data}] to evaluate."),
}


def _json_value(raw: Any, name: str) -> Any:
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except (ValueError, RecursionError):
            raise InvalidRequest(f'"{name}" must be JSON') from None
    return raw


def paths(backend: SystemBackend) -> list[Path]:
    """The explain path of ``sys/``."""
    core = backend.core

    def explain(req: Request, data: FieldData) -> Response:
        caller = req.caller
        if caller is None:
            raise PermissionDenied()
        requests = _json_value(data.raw.get("requests"), "requests")
        token = data.get("token")
        agent = data.get("agent")
        subject = data.get("subject_entity_id")
        auth = authenticator(core)
        if caller.kind == "agent":
            if agent or subject or (token and token != req.client_token):
                raise AgentDenied(
                    "an agent token may only explain itself",
                    auth.resource_server.resource_metadata_url,
                )
            return Response(data=explain_token(auth, req.client_token, requests))
        if not caller.is_root and "sudo" not in caller.acl.capabilities("sys/agent/explain"):
            raise PermissionDenied()
        if token:
            if agent or subject:
                raise InvalidRequest('give either "token" or "agent" (with "subject_entity_id")')
            return Response(data=explain_token(auth, token, requests))
        if not agent:
            raise InvalidRequest('"token" or "agent" is required')
        details = data.raw.get("authorization_details")
        details = None if details in (None, "") else _json_value(details, "authorization_details")
        return Response(data=explain_unverified(auth, agent, subject, details, requests))

    return [
        Path(
            "agent/explain",
            {Operation.UPDATE: explain},
            fields=_FIELDS,
            help_synopsis="Explain each layer's decision for agent requests.",
        )
    ]
