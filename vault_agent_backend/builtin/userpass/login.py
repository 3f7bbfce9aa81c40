"""``login/:username``: check the password and answer with an auth block and its alias."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...framework.errors import InvalidRequest, PermissionDenied
from ...framework.fields import Field, FieldData, FieldType
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Alias, Auth, Response
from ...framework.tokenutil import address_allowed
from .passwords import burn_time, verify_password

if TYPE_CHECKING:
    from . import UserpassBackend

INVALID = "invalid username or password"


def paths(backend: UserpassBackend) -> list[Path]:
    """The login path of a userpass mount (unauthenticated)."""

    def login(req: Request, data: FieldData) -> Response:
        username = data.get("username").lower()
        password = data.get("password")
        if not password:
            raise InvalidRequest("missing password")
        user = backend.user(username)
        if user is None:
            burn_time(password)
            raise InvalidRequest(INVALID)
        if not user.password_hash or not verify_password(password, user.password_hash):
            raise InvalidRequest(INVALID)
        if user.token_bound_cidrs and not address_allowed(req.remote_addr, user.token_bound_cidrs):
            raise PermissionDenied(multierror=False)
        auth = Auth(
            metadata={"username": username},
            display_name=username,
            alias=Alias(name=username),
            internal={"username": username},
        )
        user.populate_auth(auth, req)
        return Response(auth=auth)

    return [
        Path(
            f"login/{name_regex('username')}",
            {Operation.UPDATE: login},
            fields={
                "username": Field(FieldType.STRING, "Username of the user."),
                "password": Field(FieldType.STRING, "Password for this user."),
            },
            help_synopsis="Log in with a username and password.",
            help_description="This endpoint authenticates using a username and password.",
        ),
    ]
