"""Pure rules: TTL capping (Vault's CalculateTTL) and token policy resolution."""

from __future__ import annotations

import pytest

from vault_agent_backend.builtin.token.policies import (
    glob_match,
    go_list,
    remove_duplicates,
    resolve_token_policies,
    sanitize_policies,
)
from vault_agent_backend.builtin.token.roles import TokenRole, parse_cidrs
from vault_agent_backend.builtin.token.ttl import TTLError, calculate_ttl, human_duration
from vault_agent_backend.framework.errors import InvalidRequest

DAY = 86400
SYS = {"default_ttl": 768 * 3600, "max_ttl": 768 * 3600}


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (2, "2s"), (7200, "2h"), (5400, "1h30m"), (3605, "1h5s"), (2764800, "768h")],
)
def test_human_duration(seconds: int, text: str) -> None:
    assert human_duration(seconds) == text


def test_ttl_defaults_to_mount_default() -> None:
    assert calculate_ttl(**SYS, now=1000).ttl == 768 * 3600


def test_ttl_capped_by_mount_max_with_warning() -> None:
    result = calculate_ttl(**SYS, backend_ttl=800 * 3600, now=1000)
    assert result.ttl == 768 * 3600
    assert result.warnings == [
        'TTL of "800h" exceeded the effective max_ttl of "768h"; TTL value is capped accordingly'
    ]


def test_ttl_capped_by_explicit_max() -> None:
    result = calculate_ttl(**SYS, backend_ttl=7200, explicit_max_ttl=3600, now=1000)
    assert result.ttl == 3600
    assert 'exceeded the effective max_ttl of "1h"' in result.warnings[0]


def test_renewal_capped_by_remaining_explicit_max() -> None:
    # issued at 1000 with explicit max 2h; renewing at +30m for 3h leaves 1h30m
    result = calculate_ttl(
        **SYS, increment=3 * 3600, explicit_max_ttl=7200, start_time=1000, now=1000 + 1800
    )
    assert result.ttl == 5400
    assert result.warnings[0].startswith('TTL of "3h" exceeded the effective max_ttl of "1h30m"')


def test_renewal_past_max_fails() -> None:
    with pytest.raises(TTLError, match="past the max TTL"):
        calculate_ttl(**SYS, increment=60, explicit_max_ttl=10, start_time=1000, now=1011)


def test_period_ignores_increment_and_ttl() -> None:
    assert calculate_ttl(**SYS, increment=5, backend_ttl=10, period=7200, now=5).ttl == 7200


def test_period_capped_by_max_and_explicit() -> None:
    result = calculate_ttl(default_ttl=60, max_ttl=3600, period=7200, now=0)
    assert result.ttl == 3600
    assert result.warnings[0].startswith('period of "2h" exceeded the effective max_ttl of "1h"')
    capped = calculate_ttl(**SYS, period=7200, explicit_max_ttl=3600, start_time=100, now=100)
    assert capped.ttl == 3600


def test_backend_max_ttl_lowers_max() -> None:
    assert calculate_ttl(**SYS, backend_ttl=DAY, backend_max_ttl=3600, now=0).ttl == 3600


def test_sanitize_policies() -> None:
    assert sanitize_policies([" Foo", "bar", "foo", ""], True) == ["bar", "default", "foo"]
    assert sanitize_policies(["a", "root", "b"], True) == ["root"]
    assert sanitize_policies([], True) == ["default"]
    assert sanitize_policies([], False) == []
    assert remove_duplicates(["B", " a ", "b", ""]) == ["a", "b"]


@pytest.mark.parametrize(
    ("pattern", "subject", "matches"),
    [
        ("ga*", "ga1", True),
        ("ga*", "xga1", False),
        ("*-prod", "db-prod", True),
        ("a*c*e", "abcde", True),
        ("a*c*e", "abcdf", False),
        ("exact", "exact", True),
        ("*", "", True),
        ("", "", True),
    ],
)
def test_glob_match(pattern: str, subject: str, matches: bool) -> None:
    assert glob_match(pattern, subject) is matches


def test_go_list() -> None:
    assert go_list(["default", "pc"]) == '["default" "pc"]'
    assert go_list([]) == "[]"


def _resolve(requested, parent, *, sudo=False, no_default=False, role=None) -> list[str]:
    return resolve_token_policies(
        requested, no_default_policy=no_default, role=role, parent_policies=parent, is_sudo=sudo
    )


def test_inherit_parent_policies() -> None:
    assert _resolve([], ["default", "pa"]) == ["default", "pa"]
    assert _resolve([], ["root"]) == ["root"]


def test_subset_rule() -> None:
    assert _resolve(["pa"], ["default", "pa", "tc"]) == ["default", "pa"]
    with pytest.raises(InvalidRequest, match="child policies must be subset of parent"):
        _resolve(["pb"], ["default", "pa"])
    # default is not implicitly allowed when the parent lacks it
    with pytest.raises(InvalidRequest, match="subset"):
        _resolve(["pa", "default"], ["pa"])
    assert _resolve(["pa"], ["pa"]) == ["pa"]


def test_sudo_skips_subset_and_adds_default() -> None:
    assert _resolve(["pb"], ["pa"], sudo=True) == ["default", "pb"]
    assert _resolve(["pb"], ["pa"], sudo=True, no_default=True) == ["pb"]


def test_no_default_policy_strips_default() -> None:
    assert _resolve(["default"], ["root"], sudo=True, no_default=True) == []


def test_non_assignable_policy() -> None:
    with pytest.raises(InvalidRequest, match='cannot assign policy "response-wrapping"'):
        _resolve(["response-wrapping"], ["root"], sudo=True)


def test_role_allowed_policies() -> None:
    role = TokenRole(name="r", allowed_policies=["pa", "pb"], allowed_policies_glob=["g*"])
    assert _resolve([], ["root"], role=role) == ["default", "pa", "pb"]
    assert _resolve(["gx"], ["tc"], role=role) == ["default", "gx"]
    with pytest.raises(InvalidRequest) as exc:
        _resolve(["pc"], ["root"], role=role)
    assert str(exc.value) == (
        'token policies (["default" "pc"]) must be subset of the role\'s allowed policies '
        '(["default" "pa" "pb"]) or glob policies (["g*"])'
    )


def test_role_disallowed_policies() -> None:
    role = TokenRole(name="r", disallowed_policies=["pc"], disallowed_policies_glob=["x*"])
    assert _resolve(["pa"], ["tc"], role=role) == ["default", "pa"]
    with pytest.raises(InvalidRequest, match='token policy "xy" is disallowed by this role'):
        _resolve(["xy"], ["tc"], role=role)
    no_default = TokenRole(name="r", disallowed_policies=["default"])
    assert _resolve(["pa"], ["tc"], role=no_default) == ["pa"]


def test_role_without_lists_uses_plain_rules() -> None:
    role = TokenRole(name="r", token_no_default_policy=True)
    assert _resolve(["pa"], ["root"], role=role, sudo=True) == ["default", "pa"]


def test_parse_cidrs() -> None:
    assert parse_cidrs(["127.0.0.1/32", "10.0.0.0/8", "::1"]) == ["127.0.0.1", "10.0.0.0/8", "::1"]
    with pytest.raises(ValueError, match='error parsing address "nope"'):
        parse_cidrs(["nope"])
