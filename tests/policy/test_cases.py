"""Our ACL gives OpenBao's recorded ``sys/capabilities`` answer for every case."""

from __future__ import annotations

import pytest

from tests.policy.cases import CASES, Case, materialize
from tests.policy.helpers import RECORDED_IDENTITY, acl_of


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 300
    assert any(c.identity for c in CASES)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.scenario}:{c.path}" for c in CASES])
def test_recorded_capabilities(case: Case) -> None:
    texts = [materialize(t) for t in case.policies]
    acl = acl_of(*texts, identity=RECORDED_IDENTITY if case.identity else None)
    assert tuple(acl.capabilities(materialize(case.path))) == case.capabilities


@pytest.mark.parametrize("case", CASES, ids=[f"{c.scenario}:{c.path}" for c in CASES])
def test_list_authorization_agrees_with_recorded_capabilities(case: Case) -> None:
    """``sys/capabilities`` models a LIST request, so LIST must be allowed exactly when
    ``list`` was reported."""
    texts = [materialize(t) for t in case.policies]
    acl = acl_of(*texts, identity=RECORDED_IDENTITY if case.identity else None)
    allowed = acl.authorize("list", materialize(case.path)).allowed
    assert allowed == ("list" in case.capabilities)
