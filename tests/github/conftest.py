"""Fixtures of the github auth method tests: an in-process server and a fake GitHub."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.github.fake_github import FakeGitHub
from tests.support.inprocess import Vab


@pytest.fixture
def vab() -> Vab:
    """A fresh in-process dev server (root token ``root``)."""
    return Vab()


@pytest.fixture
def github() -> Iterator[FakeGitHub]:
    """A fake GitHub API on 127.0.0.1 (organization ``acme`` has ID 4242)."""
    fake = FakeGitHub()
    fake.add_org("acme", 4242)
    fake.add_org("other", 77)
    yield fake
    fake.close()


@pytest.fixture
def mount(vab: Vab) -> str:
    """A github auth mount at ``auth/github/``; its accessor."""
    reply = vab.post("sys/auth/github", {"type": "github"})
    assert reply.status == 204, reply
    return vab.get("sys/auth").data["github/"]["accessor"]
