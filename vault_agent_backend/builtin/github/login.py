"""``login``: a GitHub personal token to a Vault token, after GitHub vouches for the user."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...framework.errors import InternalError, PermissionDenied
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Operation, Request
from ...framework.response import Alias, Auth, Response
from ...framework.tokenutil import address_allowed
from .client import GitHubError
from .config import GitHubConfig, set_organization_id

if TYPE_CHECKING:
    from . import GitHubBackend

log = logging.getLogger(__name__)

NOT_IN_ORG = "user is not part of required org"


@dataclass
class Verified:
    """What GitHub said about a token's owner (Vault's verifyCredentialsResp)."""

    username: str
    org_login: str
    policies: list[str]
    team_names: list[str]
    config: GitHubConfig
    warnings: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def verify_credentials(backend: GitHubBackend, token: str, remote_addr: str | None) -> Verified:
    """Ask GitHub who owns ``token``, check the organization, gather the mapped policies.

    Failures are Vault's: 500 with the error (no configuration, GitHub refusing the token,
    the user outside the organization), 403 for a client outside ``token_bound_cidrs``
    (not checked when ``remote_addr`` is None: a renewal, whose token carries the CIDRs).
    """
    cfg = backend.load_config()
    if cfg is None:
        raise InternalError("configuration has not been set")
    if (
        remote_addr is not None
        and cfg.token_bound_cidrs
        and not address_allowed(remote_addr, cfg.token_bound_cidrs)
    ):
        raise PermissionDenied(multierror=False)
    client = backend.client(token, cfg.base_url)
    if cfg.organization_id == 0:
        # Trust on first use, as Vault: a configuration without the ID gets it now.
        set_organization_id(backend, cfg, token)
        with backend.lock:
            stored = backend.load_config()
            if stored is not None and stored.organization_id == 0:
                stored.organization_id = cfg.organization_id
                backend.save_config(stored)
        log.info("github: set organization_id %s on first use", cfg.organization_id)
    try:
        user = client.user()
        orgs = client.organizations()
        org = next((o for o in orgs if _id(o.get("id")) == cfg.organization_id), None)
        if org is None:
            raise InternalError(NOT_IN_ORG)
        teams = client.teams()
    except GitHubError as exc:
        raise InternalError(str(exc)) from None
    username = _text(user.get("login"))
    org_login = _text(org.get("login"))
    warnings = []
    if org_login != cfg.organization:
        warnings.append(
            f'the organization name has changed to "{org_login}". It is recommended to verify '
            f"and update the organization name in the config: "
            f"organization_id={cfg.organization_id}"
        )
    team_names: list[str] = []
    for team in teams:
        team_org = team.get("organization")
        if not isinstance(team_org, dict) or _id(team_org.get("id")) != cfg.organization_id:
            continue
        name, slug = _text(team.get("name")), _text(team.get("slug"))
        team_names.append(name)
        if name != slug:
            team_names.append(slug)
    policies = [
        *backend.team_map.policies(team_names),
        *backend.user_map.policies([username] if username else []),
    ]
    return Verified(username, org_login, policies, team_names, cfg, warnings)


def paths(backend: GitHubBackend) -> list[Path]:
    """The (unauthenticated) login path of a github mount."""

    def login(req: Request, data: FieldData) -> Response:
        token = data.get("token")
        verified = verify_credentials(backend, token, req.remote_addr)
        username = verified.username
        auth = Auth(
            metadata={"username": username, "org": verified.org_login},
            display_name=username,
            alias=Alias(name=username),
            internal={"token": token},
        )
        verified.config.populate_auth(auth, req)
        auth.policies = [*auth.policies, *verified.policies]
        return Response(auth=auth, warnings=list(verified.warnings))

    return [
        Path(
            "login",
            {Operation.UPDATE: login},
            fields={"token": Field(FieldType.STRING, "GitHub personal API token")},
            help_synopsis="Log in with a GitHub personal API token.",
            help_description=(
                "GitHub is asked who owns the token, whether they belong to the configured "
                "organization and which of its teams they are in; the token's policies are "
                "the configured token_policies plus those mapped to the teams and the user."
            ),
        ),
    ]
