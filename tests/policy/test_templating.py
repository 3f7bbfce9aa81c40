"""Identity templates in policy paths."""

from __future__ import annotations

import pytest

from tests.policy.helpers import ALICE
from vault_agent_backend.policy import (
    GroupInfo,
    IdentityContext,
    TemplateForbiddenValueError,
    TemplateSyntaxError,
    render_template,
)
from vault_agent_backend.policy.templating import has_template, template_expressions


@pytest.mark.parametrize(
    ("path", "rendered"),
    [
        ("plain/path", "plain/path"),
        ("u/{{identity.entity.id}}", "u/e-123"),
        ("u/{{identity.entity.name}}/x", "u/alice/x"),
        ("u/{{ identity.entity.name }}", "u/alice"),
        ("u/{{\tidentity.entity.name  }}", "u/alice"),
        ("u/{{identity.entity.metadata.team}}", "u/blue"),
        ("u/{{identity.entity.metadata.empty}}x", "u/x"),  # present but empty: ""
        ("u/{{identity.entity.metadata.nope}}", None),
        ("u/{{identity.entity.metadata}}", None),
        ("u/{{identity.entity.aliases.auth_userpass_1.id}}", "u/al-1"),
        ("u/{{identity.entity.aliases.auth_userpass_1.name}}", "u/alice-up"),
        ("u/{{identity.entity.aliases.auth_userpass_1.metadata.m}}", "u/1"),
        ("u/{{identity.entity.aliases.auth_userpass_1.custom_metadata.tier}}", "u/gold"),
        ("u/{{identity.entity.aliases.auth_userpass_1.custom_metadata.nope}}", None),
        ("u/{{identity.entity.aliases.auth_other.name}}", None),
        ("u/{{identity.entity.aliases.auth_userpass_1}}", None),
        ("u/{{identity.groups.ids.g-1.name}}", "u/devs"),
        ("u/{{identity.groups.ids.g-1.metadata.env}}", "u/prod"),
        ("u/{{identity.groups.ids.g-9.name}}", None),
        ("u/{{identity.groups.names.ops.id}}", "u/g-2"),
        ("u/{{identity.groups.names.devs.metadata.env}}", "u/prod"),
        ("u/{{identity.groups.names.devs.metadata.nope}}", None),
        ("u/{{identity.groups.names.nope.id}}", None),
        ("u/{{identity.groups.names}}", None),
        ("u/{{identity.groups.names.devs}}", None),
        ("u/{{identity.entity.bogus}}", None),
        ("u/{{time.now}}", None),  # time templates are not supported
        ("u/{{foo}}", None),
        ("u/{{}}", None),
        ("{{identity.entity.name}}-{{identity.entity.id}}", "alice-e-123"),
        ("a/{{identity.entity.id}}}", "a/e-123}"),  # a stray '}' after a pair is literal
    ],
)
def test_render(path: str, rendered: str | None) -> None:
    assert render_template(path, ALICE) == rendered


def test_no_identity_resolves_nothing() -> None:
    assert render_template("u/{{identity.entity.id}}", None) is None
    assert render_template("plain", None) == "plain"


def test_group_templates_need_groups() -> None:
    ctx = IdentityContext("e", "n")
    assert render_template("{{identity.groups.names.devs.id}}", ctx) is None
    with_group = IdentityContext("e", "n", groups=[GroupInfo("g", "", {})])
    assert render_template("{{identity.groups.ids.g.name}}", with_group) is None  # empty name
    assert render_template("{{identity.groups.ids.g.id}}", with_group) == "g"


def test_empty_entity_fields_are_unresolvable() -> None:
    ctx = IdentityContext(entity_id="", entity_name="")
    assert render_template("{{identity.entity.id}}", ctx) is None
    assert render_template("{{identity.entity.name}}", ctx) is None


@pytest.mark.parametrize("key", ["slash", "star", "plus"])
def test_forbidden_values(key: str) -> None:
    with pytest.raises(TemplateForbiddenValueError):
        render_template(f"u/{{{{identity.entity.metadata.{key}}}}}", ALICE)


def test_custom_blocklist() -> None:
    assert render_template("{{identity.entity.metadata.slash}}", ALICE, blocked=()) == "a/b"


@pytest.mark.parametrize("path", ["a/{{x", "a/}}", "a/{{x}}/{{y", "a/{{x}}}}", "}}{{x}}"])
def test_unbalanced(path: str) -> None:
    with pytest.raises(TemplateSyntaxError):
        has_template(path)


def test_expressions() -> None:
    assert template_expressions("a/{{ x.y }}/{{z}}") == ["x.y", "z"]
    assert template_expressions("plain") == []
    assert has_template("a/{{x}}") and not has_template("a/b")
