"""The paths of an ``agent`` auth mount.

Unauthenticated by Vault token, answered in raw RFC JSON: ``token`` (RFC 6749/8693),
``introspect`` (RFC 7662), ``revoke`` (RFC 7009), ``jwks``, ``.well-known/...``.
``login`` is the token endpoint answered as a Vault login (``auth.client_token``).
Vault-token paths: ``config`` (signing algorithm), ``keys`` and ``keys/rotate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest, PermissionDenied
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path
from ...framework.request import Caller, Operation, Request
from ...framework.response import Auth, RawResponse, Response
from .introspection import introspect, revoke_token
from .keys import ALGORITHMS
from .metadata import metadata_document
from .oauth import OAuthError, Params, invalid_request, ok

if TYPE_CHECKING:
    from . import AgentAuthBackend

__all__ = ["paths"]


def _string(description: str) -> Field:
    return Field(FieldType.STRING, description=description)


_CLIENT_FIELDS = {
    "client_id": _string("The agent's registration id."),
    "client_secret": _string("client_secret_post: the agent's client secret."),
    "client_assertion_type": _string(
        "private_key_jwt: urn:ietf:params:oauth:client-assertion-type:jwt-bearer."
    ),
    "client_assertion": _string("private_key_jwt: the signed client assertion (RFC 7523)."),
}
_TOKEN_FIELDS = {
    **_CLIENT_FIELDS,
    "grant_type": _string("urn:ietf:params:oauth:grant-type:token-exchange or client_credentials."),
    "subject_token": _string("Token exchange: a delegation id, or an access token of ours."),
    "subject_token_type": _string(
        "urn:vab:params:oauth:token-type:delegation or "
        "urn:ietf:params:oauth:token-type:access_token."
    ),
    "delegation_id": _string("Shorthand for a delegation subject_token."),
    "requested_token_type": _string("urn:ietf:params:oauth:token-type:access_token."),
    "actor_token": _string("Not supported: the authenticated client is the actor."),
    "actor_token_type": _string("Not supported."),
    "authorization_details": Field(
        FieldType.SLICE,
        description="RFC 9396 array (a JSON-encoded string in forms) for this transaction.",
    ),
    "ttl": _string("Requested lifetime (capped by the agent's max_ttl)."),
    "audience": _string("Requested aud (one of the built-in profile's audiences)."),
    "txn": _string("Transaction id carried into the token (generated when absent)."),
    "purpose": _string("Purpose carried into the token (default: the delegation's)."),
    "scope": _string("Ignored: authorization_details say what the token may do."),
}
_TOKEN_PARAM_FIELDS = {
    **_CLIENT_FIELDS,
    "token": _string("The access token."),
    "token_type_hint": _string("access_token (the only kind this server issues)."),
}


def paths(backend: AgentAuthBackend) -> list[Path]:
    """Every path of the mount."""

    def audiences(name: str) -> list[str]:
        issuer = backend.issuer
        return [f"{issuer}/token", issuer, f"{issuer}/{name}"]

    def token(req: Request, data: FieldData) -> Response:
        params = Params(req.data)
        try:
            client = backend.client_auth.authenticate(req.headers, params, audiences("token"))
            issued = backend.issuer_service.issue(client, params)
        except OAuthError as exc:
            return exc.response()
        body: dict[str, Any] = {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
        }
        if issued.issued_token_type:
            body["issued_token_type"] = issued.issued_token_type
        if "authorization_details" in issued.claims:
            body["authorization_details"] = issued.claims["authorization_details"]
        return ok(body)

    def login(req: Request, data: FieldData) -> Response:
        params = Params(req.data)
        try:
            client = backend.client_auth.authenticate(req.headers, params, audiences("login"))
            issued = backend.issuer_service.issue(client, params, login=True)
        except OAuthError as exc:
            raise InvalidRequest(f"{exc.error}: {exc.description}") from None
        claims = issued.claims
        metadata = {
            "agent_registration_id": client.client_id,
            "agent_display_name": str(client.registration.get("display_name", "")),
            "jti": claims["jti"],
            "txn": claims["txn"],
        }
        if "delegation_id" in claims:
            metadata["delegation_id"] = claims["delegation_id"]
        auth = Auth(
            client_token=issued.token,
            accessor="",
            policies=[],
            metadata=metadata,
            display_name=f"agent-{metadata['agent_display_name']}",
            ttl=issued.expires_in,
            renewable=False,
            entity_id=claims["sub"],
            token_type="service",
            orphan=True,
            lease_duration=issued.expires_in,
        )
        return Response(auth=auth)

    def operator(req: Request) -> bool:
        """A Vault token (not an agent JWT) with ``update`` on this path."""
        caller: Caller | None = req.caller
        if caller is None or caller.kind != "token":
            return False
        return bool(caller.acl.authorize("update", req.path, {}, 0, False).allowed)

    def client_or_operator(req: Request, params: Params, name: str) -> Any:
        """None for an operator; else the authenticated client (or an OAuth error)."""
        presented = backend.client_auth.presented(req.headers, params)
        if not presented and operator(req):
            return None
        if not presented and req.caller is not None and req.caller.kind == "token":
            raise PermissionDenied()
        return backend.client_auth.authenticate(
            req.headers, params, audiences(name), require_active=False
        )

    def introspection(req: Request, data: FieldData) -> Response:
        params = Params(req.data)
        try:
            client = client_or_operator(req, params, "introspect")
            value = params.text("token")
            if not value:
                raise invalid_request("token is required")
        except OAuthError as exc:
            return exc.response()
        return ok(introspect(backend, value, client))

    def revocation(req: Request, data: FieldData) -> Response:
        params = Params(req.data)
        try:
            client = client_or_operator(req, params, "revoke")
            value = params.text("token")
            if not value:
                raise invalid_request("token is required")
            revoke_token(backend, value, client)
        except OAuthError as exc:
            return exc.response()
        return Response(raw=RawResponse(200, "", headers={"Pragma": "no-cache"}))

    def jwks(req: Request, data: FieldData) -> Response:
        return Response(raw=RawResponse(200, backend.keys.jwks()))

    def oauth_metadata(req: Request, data: FieldData) -> Response:
        return Response(raw=RawResponse(200, metadata_document(backend.issuer)))

    def oidc_metadata(req: Request, data: FieldData) -> Response:
        return Response(raw=RawResponse(200, metadata_document(backend.issuer, oidc=True)))

    def read_config(req: Request, data: FieldData) -> Response:
        return Response(data=backend.config_view())

    def write_config(req: Request, data: FieldData) -> None:
        alg, given = data.get_ok("signing_algorithm")
        if given:
            backend.set_signing_algorithm(alg)
        return None

    def read_keys(req: Request, data: FieldData) -> Response:
        return Response(data=backend.keys.info())

    def rotate(req: Request, data: FieldData) -> Response:
        alg = data.get("algorithm") or backend.signing_algorithm()
        overlap, given = data.get_ok("overlap")
        needed = backend.longest_token_lifetime()
        warnings = []
        if not given:
            overlap = needed
        elif overlap < needed:
            warnings.append(
                f"overlap {overlap}s is shorter than the longest token lifetime ({needed}s): "
                "tokens signed by the previous key may stop verifying before they expire"
            )
        new_key = backend.rotate(alg, overlap)
        response = Response(
            data={"current": new_key.kid, "algorithm": new_key.alg, **backend.keys.info()}
        )
        for warning in warnings:
            response.add_warning(warning)
        return response

    return [
        Path(
            "token",
            {Operation.UPDATE: token},
            fields=_TOKEN_FIELDS,
            take_unknown_fields=True,
            help_synopsis="OAuth 2.0 token endpoint (RFC 6749, RFC 8693 token exchange).",
        ),
        Path(
            "login",
            {Operation.UPDATE: login},
            fields=_TOKEN_FIELDS,
            take_unknown_fields=True,
            help_synopsis="The token endpoint answered as a Vault login (auth.client_token).",
        ),
        Path(
            "introspect",
            {Operation.UPDATE: introspection},
            fields=_TOKEN_PARAM_FIELDS,
            take_unknown_fields=True,
            help_synopsis="RFC 7662 token introspection.",
        ),
        Path(
            "revoke",
            {Operation.UPDATE: revocation},
            fields=_TOKEN_PARAM_FIELDS,
            take_unknown_fields=True,
            help_synopsis="RFC 7009 token revocation.",
        ),
        Path("jwks", {Operation.READ: jwks}, help_synopsis="The issuer's JWKS (RFC 7517)."),
        Path(
            r"\.well-known/oauth-authorization-server",
            {Operation.READ: oauth_metadata},
            help_synopsis="RFC 8414 authorization server metadata.",
        ),
        Path(
            r"\.well-known/openid-configuration",
            {Operation.READ: oidc_metadata},
            help_synopsis="The metadata in OpenID Connect discovery form.",
        ),
        Path(
            "config",
            {Operation.READ: read_config, Operation.UPDATE: write_config},
            fields={
                "signing_algorithm": Field(
                    FieldType.STRING,
                    description="EdDSA or ES256 (used by the next rotation).",
                    allowed_values=ALGORITHMS,
                )
            },
            help_synopsis="The authorization server's settings.",
        ),
        Path("keys", {Operation.READ: read_keys}, help_synopsis="The signing keys (public)."),
        Path(
            "keys/rotate",
            {Operation.UPDATE: rotate},
            fields={
                "algorithm": Field(
                    FieldType.STRING,
                    description="EdDSA or ES256 (default: the configured algorithm).",
                ),
                "overlap": Field(
                    FieldType.DURATION,
                    description="How long the previous key stays published (default: the "
                    "longest token lifetime any agent may get, plus a minute).",
                ),
            },
            help_synopsis="Rotate the signing key; the previous one stays valid for its tokens.",
        ),
    ]
