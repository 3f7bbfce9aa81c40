"""``users/:username`` (CRUD, LIST), ``users/:username/password`` and ``.../policies``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ...framework.errors import InvalidRequest
from ...framework.fields import Field, FieldData, FieldType, pagination_fields
from ...framework.path import Path, name_regex
from ...framework.request import Operation, Request
from ...framework.response import Response
from ...framework.tokenutil import (
    TokenParams,
    deprecation_text,
    parse_cidrs,
    parse_policies,
    token_fields,
    upgrade_value,
)
from .passwords import hash_password

if TYPE_CHECKING:
    from . import UserpassBackend


@dataclass
class UserEntry(TokenParams):
    """A stored user: token settings, the password hash and the deprecated fields."""

    password_hash: str = ""
    policies: list[str] = field(default_factory=list)
    ttl: int = 0
    max_ttl: int = 0
    bound_cidrs: list[str] = field(default_factory=list)

    def upgraded(self) -> UserEntry:
        """Fill empty ``token_*`` values from the deprecated ones (as Vault reads users)."""
        if not self.token_ttl and self.ttl > 0:
            self.token_ttl = self.ttl
        if not self.token_max_ttl and self.max_ttl > 0:
            self.token_max_ttl = self.max_ttl
        if not self.token_policies and self.policies:
            self.token_policies = list(self.policies)
        if not self.token_bound_cidrs and self.bound_cidrs:
            self.token_bound_cidrs = list(self.bound_cidrs)
        return self


def _password_problem(password: str, password_hash: str) -> str:
    if password and password_hash:
        return "only one of password or password_hash may be provided"
    if not password and not password_hash:
        return "must provide either password or password_hash"
    return ""


def set_password(entry: UserEntry, password: str, password_hash: str) -> None:
    """Hash and store a new password; 400 for bad input."""
    problem = _password_problem(password, password_hash)
    if problem:
        raise InvalidRequest(problem)
    if password_hash:
        raise InvalidRequest(
            "password_hash is not supported by this server (bcrypt hashes are not accepted); "
            "provide password instead"
        )
    entry.password_hash = hash_password(password)


def paths(backend: UserpassBackend) -> list[Path]:
    """The user management paths of a userpass mount."""

    def exists(req: Request, data: FieldData) -> bool:
        return backend.user(data.get("username")) is not None

    def list_users(req: Request, data: FieldData) -> Response:
        keys = backend.storage.list("user/")
        after = data.get("after")
        if after:
            keys = [k for k in keys if k > after]
        limit = data.get("limit")
        if limit > 0:
            keys = keys[:limit]
        return Response(data={"keys": keys} if keys else {})

    def read(req: Request, data: FieldData) -> Response | None:
        user = backend.user(data.get("username"))
        if user is None:
            return None
        out: dict[str, Any] = {}
        user.populate_data(out)
        if user.ttl > 0:
            out["ttl"] = user.ttl
        if user.max_ttl > 0:
            out["max_ttl"] = user.max_ttl
        if user.policies:
            out["policies"] = out["token_policies"]
        if user.bound_cidrs:
            out["bound_cidrs"] = list(user.bound_cidrs)
        return Response(data=out)

    def write(req: Request, data: FieldData) -> None:
        password = data.get("password")
        password_hash = data.get("password_hash")
        if req.operation == Operation.CREATE:
            problem = _password_problem(password, password_hash)
            if problem:
                raise InvalidRequest(problem)
        username = data.get("username").lower()
        with backend.lock:
            user = backend.user(username) or UserEntry()
            user.parse(data)
            if password or password_hash:
                set_password(user, password, password_hash)
            upgrade_value(data, "policies", "token_policies", user, "policies")
            upgrade_value(data, "ttl", "token_ttl", user, "ttl")
            upgrade_value(data, "max_ttl", "token_max_ttl", user, "max_ttl")
            upgrade_value(data, "bound_cidrs", "token_bound_cidrs", user, "bound_cidrs")
            backend.save_user(username, user)
        return None

    def delete(req: Request, data: FieldData) -> None:
        backend.storage.delete("user/" + data.get("username").lower())
        return None

    def update_password(req: Request, data: FieldData) -> None:
        username = data.get("username").lower()
        with backend.lock:
            user = backend.user(username)
            if user is None:
                raise InvalidRequest("username does not exist")
            set_password(user, data.get("password"), data.get("password_hash"))
            backend.save_user(username, user)
        return None

    def update_policies(req: Request, data: FieldData) -> None:
        username = data.get("username").lower()
        with backend.lock:
            user = backend.user(username)
            if user is None:
                raise InvalidRequest("username does not exist")
            token_policies, has_token = data.get_ok("token_policies")
            policies, has_legacy = data.get_ok("policies")
            if not has_token:
                if has_legacy:
                    user.policies = parse_policies(policies)
                    user.token_policies = list(user.policies)
            else:
                user.token_policies = parse_policies(token_policies)
                user.policies = list(user.token_policies) if has_legacy else []
            backend.save_user(username, user)
        return None

    username = Field(FieldType.STRING, "Username for this user.")
    password = Field(FieldType.STRING, "Password for this user.")
    password_hash = Field(
        FieldType.STRING,
        "Pre-hashed bcrypt password (OpenBao); not supported here, use password.",
    )
    user_fields = {
        "username": username,
        "password": password,
        "password_hash": password_hash,
        "policies": Field(
            FieldType.COMMA_STRING_SLICE, deprecation_text("token_policies"), deprecated=True
        ),
        "ttl": Field(FieldType.DURATION, deprecation_text("token_ttl"), deprecated=True),
        "max_ttl": Field(FieldType.DURATION, deprecation_text("token_max_ttl"), deprecated=True),
        "bound_cidrs": Field(
            FieldType.COMMA_STRING_SLICE, deprecation_text("token_bound_cidrs"), deprecated=True
        ),
        **token_fields(),
    }
    return [
        Path(
            "users/?",
            {Operation.LIST: list_users},
            fields=pagination_fields(),
            help_synopsis="Manage users allowed to authenticate.",
        ),
        Path(
            f"users/{name_regex('username')}/password",
            {Operation.UPDATE: update_password},
            fields={"username": username, "password": password, "password_hash": password_hash},
            help_synopsis="Reset user's password.",
        ),
        Path(
            f"users/{name_regex('username')}/policies",
            {Operation.UPDATE: update_policies},
            fields={
                "username": username,
                "policies": Field(
                    FieldType.COMMA_STRING_SLICE,
                    deprecation_text("token_policies"),
                    deprecated=True,
                ),
                "token_policies": Field(
                    FieldType.COMMA_STRING_SLICE, "Comma-separated list of policies"
                ),
            },
            help_synopsis="Update the policies associated with the username.",
        ),
        Path(
            f"users/{name_regex('username')}",
            {
                Operation.READ: read,
                Operation.CREATE: write,
                Operation.UPDATE: write,
                Operation.DELETE: delete,
            },
            fields=user_fields,
            existence_check=exists,
            help_synopsis="Manage users allowed to authenticate.",
            help_description=(
                "Create, read, update and delete the users that may log in. Deleting a user "
                "does not revoke tokens it already obtained."
            ),
        ),
    ]


__all__ = ["UserEntry", "parse_cidrs", "paths", "set_password"]
