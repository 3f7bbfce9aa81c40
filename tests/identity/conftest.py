"""Fixtures of the identity tests: a fresh in-process server per test."""

from __future__ import annotations

import pytest

from tests.support.inprocess import Vab


@pytest.fixture
def vab() -> Vab:
    """A fresh in-process dev server (root token ``root``)."""
    return Vab()


@pytest.fixture
def accessor(vab: Vab) -> str:
    """The accessor of a userpass mount at ``auth/userpass/``."""
    return vab.enable_userpass()
