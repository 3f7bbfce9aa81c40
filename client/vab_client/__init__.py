"""Client for vault-agent-backend: hvac plus the agent APIs, and the `vab` CLI."""

__version__ = "0.1.0"
