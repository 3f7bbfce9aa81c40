"""Fixtures of the token tests: a fresh in-process server per test."""

from __future__ import annotations

import pytest

from tests.support.inprocess import Vab

TOKEN_CREATE = """
path "auth/token/*" { capabilities = ["create", "update", "read", "list"] }
"""
TOKEN_SUDO = """
path "auth/token/*" { capabilities = ["create", "update", "read", "list", "sudo"] }
"""
READ_SECRET = 'path "secret/*" { capabilities = ["read"] }'


@pytest.fixture
def vab() -> Vab:
    """A fresh in-process dev server with policies ``tc`` (token paths), ``tcs`` (the same
    with sudo) and ``pa``/``pb``/``pc`` (plain)."""
    server = Vab()
    server.policy("tc", TOKEN_CREATE)
    server.policy("tcs", TOKEN_SUDO)
    for name in ("pa", "pb", "pc"):
        server.policy(name, READ_SECRET)
    return server
