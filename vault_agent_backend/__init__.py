"""vault-agent-backend: a Vault-compatible server with native identity controls for AI agents."""

__version__ = "0.1.0"
