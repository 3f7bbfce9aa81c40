"""The agent metadata of audit entries, from an agent context."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vault_agent_backend.agent.decision import AgentDecision, AgentDenied
from vault_agent_backend.audit.agent_fields import agent_metadata, denied_layer

RAR = [{"type": "vault:path_access", "path": "secret/data/x", "capabilities": ["read"]}]


@dataclass
class Ctx:
    mode: str = "delegated"
    claims: dict[str, Any] = field(default_factory=dict)
    issuer: str = "https://idp.example"
    jti: str = "j-1"
    subject_entity_id: str = "human-id"
    subject_entity_name: str = "alice"
    actor_entity_id: str = "agent-id"
    actor_entity_name: str = "bot"
    registration: dict[str, Any] = field(
        default_factory=lambda: {"id": "r-1", "display_name": "bot"}
    )
    delegation: dict[str, Any] | None = None


def test_delegated_token() -> None:
    ctx = Ctx(
        claims={
            "aud": ["vault", "other"],
            "txn": "t-1",
            "authorization_details": RAR,
            "delegation_id": "d-1",
            "purpose": "why",
        }
    )
    assert agent_metadata(ctx) == {
        "actor_entity_id": "agent-id",
        "actor_entity_name": "bot",
        "jwt_unique_id": "j-1",
        "jwt_issuer": "https://idp.example",
        "jwt_transaction_claim": "t-1",
        "jwt_audience_claim": ["vault", "other"],
        "jwt_authorization_details": RAR,
        "subject_entity_name": "alice",
        "agent_registration_id": "r-1",
        "agent_display_name": "bot",
        "delegation_id": "d-1",
        "purpose": "why",
    }


def test_direct_token_and_the_delegation_record() -> None:
    ctx = Ctx(mode="direct", claims={"aud": "vault"}, delegation={"id": "d-9", "purpose": "p"})
    meta = agent_metadata(ctx)
    assert "actor_entity_id" not in meta and "actor_entity_name" not in meta
    assert meta["jwt_audience_claim"] == ["vault"]
    assert (meta["delegation_id"], meta["purpose"]) == ("d-9", "p")
    assert "jwt_transaction_claim" not in meta  # empty members are left out


def test_denied_layer() -> None:
    refused = AgentDecision(allowed=False, layer="ceiling", reason="no")
    assert denied_layer(refused, None) == "ceiling"
    assert denied_layer(None, AgentDenied("bad token", "http://x", "token")) == "token"
    assert denied_layer(AgentDecision(allowed=True), None) == ""
    assert denied_layer(None, None) == ""
