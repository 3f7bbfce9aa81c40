#!/usr/bin/env python3
"""End to end: a human delegates to an AI agent, the agent acts, the human revokes.

Against a dev server (see examples/README.md)::

    vab server -dev -dev-root-token-id=root &
    export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root
    python3 examples/agent_delegation.py

Steps (each printed as it happens):

1. the operator (root token) sets up: a policy and a userpass login for the human
   (alice), a ceiling policy for agents, two secrets, and the agent's registration with
   its public key (the agent keeps the private key; it never sees a Vault token);
2. alice logs in with her password and delegates to the agent, with a purpose and a
   scope (read ``secret/data/<app>/*``);
3. the agent, holding only its key and the delegation id, asks the built-in authorization
   server for a token for one transaction -- read ``<app>/db`` -- and reads that secret;
4. the same token is refused the next secret (``<app>/payments``): outside the
   transaction's authorization details; ``sys/agent/explain`` says which layer refused;
5. alice revokes the delegation: the agent's token is refused on its very next request,
   and it cannot get a new one.

Names carry a random suffix, so the example can run any number of times on one server.
"""

from __future__ import annotations

import os
import sys
import uuid

import hvac
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from vab_client import AgentSession, Client, OAuthError, path_access

ADDR = os.environ.get("VAULT_ADDR", "http://127.0.0.1:8200")
ROOT = os.environ.get("VAULT_TOKEN", "root")
RUN = uuid.uuid4().hex[:6]
APP = f"app-{RUN}"
STEP = 0


def step(text: str) -> None:
    """Print a numbered step."""
    global STEP
    STEP += 1
    print(f"\n[{STEP}] {text}", flush=True)


def show(text: str) -> None:
    """Print a detail of the current step."""
    print(f"    {text}", flush=True)


def operator_setup(admin: Client) -> tuple[str, str, str]:
    """Policies, the human's login, secrets and the agent registration.

    Returns (human username, agent registration id, agent private key PEM).
    """
    step("operator: policies, a userpass login for alice, secrets, the agent's registration")
    if "userpass/" not in admin.sys.list_auth_methods()["data"]:
        admin.sys.enable_auth_method("userpass")
    human_policy = f"""
path "secret/data/{APP}/*" {{ capabilities = ["create", "read", "update"] }}
path "identity/agent/delegation" {{ capabilities = ["update", "list"] }}
path "identity/agent/delegation/*" {{ capabilities = ["read", "delete", "list"] }}
"""
    admin.sys.create_or_update_policy(f"human-{RUN}", human_policy)
    admin.sys.create_or_update_policy(
        f"agent-ceiling-{RUN}", 'path "secret/data/*" { capabilities = ["read"] }'
    )
    username = f"alice-{RUN}"
    admin.auth.userpass.create_or_update_user(
        username, password="correct horse", policies=[f"human-{RUN}"]
    )
    for name, value in (("db", "postgres://app:s3cret@db/app"), ("payments", "sk_live_123")):
        admin.secrets.kv.v2.create_or_update_secret(
            path=f"{APP}/{name}", secret={"value": value}, mount_point="secret"
        )
    show(f"human policy human-{RUN}, ceiling agent-ceiling-{RUN}, secrets {APP}/db, {APP}/payments")

    key = ed25519.Ed25519PrivateKey.generate()
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    agent_name = f"invoice-bot-{RUN}"
    entity = admin.secrets.identity.create_or_update_entity(name=agent_name)
    registration = admin.agent.registry.register(
        agent_name,
        entity_id=entity["data"]["id"],
        ceiling_policies=[f"agent-ceiling-{RUN}"],
        client_public_keys=[public_pem],
        max_ttl="5m",
        metadata={"model": "example", "vendor": "vab"},
    )
    show(f"agent {agent_name} registered: id {registration['id']} (Ed25519 key, max_ttl 5m)")
    return username, registration["id"], private_pem


def human_delegates(username: str, agent_id: str) -> tuple[Client, str]:
    """alice logs in and delegates; returns her client and the delegation id."""
    step("alice logs in with userpass and delegates to the agent")
    alice = Client(url=ADDR)
    login = alice.auth.userpass.login(username, "correct horse")
    show(f"alice's token policies: {login['auth']['token_policies']}")
    delegation = alice.agent.delegations.create(
        agent_id,
        [path_access(f"secret/data/{APP}/*", "read")],
        ttl="1h",
        purpose="monthly invoice run",
    )
    show(
        f"delegation {delegation['delegation_id']}: purpose {delegation['purpose']!r}, "
        f"scope {[d['path'] for d in delegation['authorization_details']]}, "
        f"status {delegation['status']}"
    )
    return alice, delegation["delegation_id"]


def read(vault: hvac.Client, name: str) -> str:
    """Read one KV v2 secret's value."""
    answer = vault.secrets.kv.v2.read_secret_version(
        path=f"{APP}/{name}", mount_point="secret", raise_on_deleted_version=True
    )
    return answer["data"]["data"]["value"]


def main() -> int:
    admin = Client(url=ADDR, token=ROOT)
    username, agent_id, private_pem = operator_setup(admin)
    alice, delegation_id = human_delegates(username, agent_id)

    step(f"agent: a token for one transaction (read {APP}/db), then the read")
    session = AgentSession(ADDR, agent_id, private_key=private_pem, delegation_id=delegation_id)
    details = [path_access(f"secret/data/{APP}/db", "read")]
    token = session.token(details, txn=f"invoice-{RUN}", purpose="read the DB credentials")
    claims = session.server.introspect(token, session.credentials)
    show(
        f"token for sub={claims['sub']} act.sub={claims['act']['sub']} "
        f"delegation_id={claims['delegation_id']} txn={claims['txn']}"
    )
    vault = session.client(details, txn=f"invoice-{RUN}", purpose="read the DB credentials")
    show(f"read {APP}/db: {read(vault, 'db')!r}")

    step(f"agent: the next secret ({APP}/payments) with the same token")
    try:
        read(vault, "payments")
        show("UNEXPECTED: the read was allowed")
        return 1
    except hvac.exceptions.Forbidden as exc:
        show(f"refused (403): {_reason(exc)}")
    why = admin.agent.explain(
        [{"path": f"secret/data/{APP}/payments", "operation": "read"}], token=token
    )["results"][0]
    show(f"explain: denied by the {why['denied_by']} layer")

    step("alice revokes the delegation")
    alice.agent.delegations.revoke(delegation_id)
    show(f"status now: {alice.agent.delegations.read(delegation_id)['status']}")

    step(f"agent: {APP}/db again, on its next request")
    try:
        read(vault, "db")
        show("UNEXPECTED: the read was allowed")
        return 1
    except hvac.exceptions.Forbidden as exc:
        show(f"refused (403): {_reason(exc)}")
    try:
        session.issue(details)
        show("UNEXPECTED: a new token was issued")
        return 1
    except OAuthError as exc:
        show(f"a new token is refused too: {exc.error}: {exc.error_description}")

    print("\nDone: the agent read exactly what it was delegated, and nothing after revocation.")
    return 0


def _reason(exc: hvac.exceptions.VaultError) -> str:
    text = " ".join(exc.errors or [str(exc)])
    lines = [line.strip(" \t*") for line in text.splitlines()]
    return "; ".join(line for line in lines if line and not line.endswith("occurred:"))


if __name__ == "__main__":
    sys.exit(main())
