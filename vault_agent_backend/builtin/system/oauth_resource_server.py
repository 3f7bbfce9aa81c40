"""``sys/config/oauth-resource-server``, the activation flag and the unauthenticated RAR
discovery endpoints (Vault 2.x's OAuth resource server API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.errors import NotFound
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from ..oauth_resource_server import FEATURE, resource_server
from ..oauth_resource_server.keys import KeyLoadError
from ..oauth_resource_server.rar_types import TYPES, catalog, schema, type_detail

if TYPE_CHECKING:
    from . import SystemBackend

KNOWN_FEATURES = (FEATURE,)

PROFILE_FIELDS: dict[str, Field] = {
    "name": Field(FieldType.STRING, description="Name of the profile."),
    "issuer_id": Field(FieldType.STRING, description="Expected iss claim (normalised)."),
    "local": Field(FieldType.BOOL, description="Cluster-local profile (immutable)."),
    "use_jwks": Field(FieldType.BOOL, description="Fetch keys from jwks_uri.", default=True),
    "jwks_uri": Field(FieldType.STRING, description="JWKS URI (use_jwks=true)."),
    "jwks_ca_pem": Field(FieldType.STRING, description="CA certificate for the JWKS URI."),
    "public_keys": Field(
        FieldType.SLICE, description="Static keys: objects with key_id and pem (use_jwks=false)."
    ),
    "audiences": Field(FieldType.COMMA_STRING_SLICE, description="Accepted aud values."),
    "no_default_policy": Field(FieldType.BOOL, description="Do not add the default policy."),
    "optional_authorization_details": Field(
        FieldType.BOOL, description="Accept JWTs without authorization_details."
    ),
    "user_claim": Field(FieldType.STRING, description="Claim naming the user.", default="sub"),
    "actor_claim": Field(
        FieldType.STRING, description="Claim naming the actor.", default="act.sub"
    ),
    "unique_id_claim": Field(
        FieldType.STRING, description="Claim identifying a JWT (immutable).", default="jti"
    ),
    "supported_algorithms": Field(
        FieldType.COMMA_STRING_SLICE, description="Accepted signing algorithms (empty: any)."
    ),
    "jwt_type": Field(
        FieldType.STRING, description="access_token or transaction_token.", default="access_token"
    ),
    "clock_skew_leeway": Field(
        FieldType.DURATION, description="Leeway in seconds for exp, nbf and iat."
    ),
    "enabled": Field(FieldType.BOOL, description="Whether the profile is used.", default=True),
}
_TYPE = r"(?P<type>[^/]+)"


def paths(backend: SystemBackend) -> list[Path]:
    """The OAuth resource server paths of ``sys/``."""
    core = backend.core
    service = resource_server(core)
    store = service.profiles

    def list_profiles(req: Request, data: FieldData) -> Response:
        return Response(data={"keys": store.names()})

    def read_profile(req: Request, data: FieldData) -> Response:
        profile = store.get(data.get("name"))
        if profile is None:
            raise NotFound("profile not found")
        return Response(data=profile.to_api())

    def read_by_id(req: Request, data: FieldData) -> Response:
        profile = store.by_config_id(data.get("config_id"))
        if profile is None:
            raise NotFound("profile not found")
        return Response(data=profile.to_api())

    def write_profile(req: Request, data: FieldData) -> Response | None:
        profile, warnings, uri_changed = store.write(data.get("name"), data)
        if uri_changed and profile.enabled:
            try:
                service.jwks.candidates(profile.jwks_uri, profile.jwks_ca_pem, None)
            except KeyLoadError as exc:
                warnings.append(f"JWKS URI could not be reached: {exc}")
        if warnings:
            return Response(warnings=warnings)
        return None

    def profile_exists(req: Request, data: FieldData) -> bool:
        return store.get(data.get("name")) is not None

    def delete_profile(req: Request, data: FieldData) -> None:
        store.delete(data.get("name"))
        return None

    def flags(req: Request, data: FieldData) -> Response:
        activated = service.activated_features()
        return Response(
            data={
                "activated": activated,
                "unactivated": [f for f in KNOWN_FEATURES if f not in activated],
            }
        )

    def activate(req: Request, data: FieldData) -> Response:
        service.activate(FEATURE)
        return flags(req, data)

    def list_types(req: Request, data: FieldData) -> Response:
        return Response(data={"keys": sorted(TYPES)})

    def read_catalog(req: Request, data: FieldData) -> Response:
        return Response(data=catalog())

    def read_type(req: Request, data: FieldData) -> Response:
        detail = type_detail(data.get("type"))
        if detail is None:
            raise NotFound("type not found")
        return Response(data=detail)

    def read_schema(req: Request, data: FieldData) -> Response:
        body = schema(data.get("type"))
        if body is None:
            raise NotFound("type not found")
        return Response(data=body)

    def metadata(req: Request, data: FieldData) -> Response:
        return Response(data=service.protected_resource_metadata())

    type_field = {"type": Field(FieldType.STRING, description="authorization_details type.")}
    return [
        Path(
            "config/oauth-resource-server/?",
            {Operation.LIST: list_profiles},
            help_synopsis="List OAuth resource server profiles.",
        ),
        Path(
            f"config/oauth-resource-server/id/{name_regex('config_id')}",
            {Operation.READ: read_by_id},
            fields={"config_id": Field(FieldType.STRING, description="Profile config_id.")},
            help_synopsis="Read an OAuth resource server profile by config_id.",
        ),
        Path(
            f"config/oauth-resource-server/{name_regex('name')}",
            {
                Operation.READ: read_profile,
                Operation.UPDATE: write_profile,
                Operation.DELETE: delete_profile,
            },
            fields=PROFILE_FIELDS,
            existence_check=profile_exists,
            help_synopsis="Create, read, update or delete an OAuth resource server profile.",
        ),
        Path(
            "activation-flags/?",
            {Operation.READ: flags},
            help_synopsis="Activated and unactivated features.",
        ),
        Path(
            f"activation-flags/{FEATURE}/activate",
            {Operation.UPDATE: activate},
            help_synopsis="Activate the OAuth resource server (idempotent; always usable).",
        ),
        Path(
            "oauth-resource-server/authorization-details-types/?",
            {Operation.LIST: list_types, Operation.READ: read_catalog},
            help_synopsis="Supported authorization_details types (RFC 9396).",
        ),
        Path(
            f"oauth-resource-server/authorization-details-types/{_TYPE}",
            {Operation.READ: read_type},
            fields=type_field,
            help_synopsis="One authorization_details type.",
        ),
        Path(
            f"oauth-resource-server/authorization-details-types/{_TYPE}/schema",
            {Operation.READ: read_schema},
            fields=type_field,
            help_synopsis="The JSON Schema of an authorization_details type.",
        ),
        Path(
            "oauth-resource-server/protected-resource-metadata",
            {Operation.READ: metadata},
            help_synopsis="OAuth protected resource metadata (RFC 9728).",
        ),
    ]
