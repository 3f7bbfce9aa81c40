"""Built-in ``vab`` commands (more arrive with the KV/identity work)."""

from __future__ import annotations
