"""``vab login``: authenticate and keep the token in the token helper (~/.vault-token).

Auth methods are pluggable: :func:`register_auth_method` maps a ``-method`` name to a
function ``(api, config, non_interactive) -> Secret`` whose secret carries ``auth``.
Built in: ``token`` (the default: checks the token with ``lookup-self``), ``userpass``
and ``ldap`` (``auth/<mount>/login/<username>`` with a password) and ``github``
(``auth/<mount>/login`` with a GitHub token).
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable

import click

from .api import API, APIError, RequestError, Secret
from .base import BoolFlag, State, command, common_options, pass_state, sanitize_path, stdin_text
from .client import TokenHelper, getenv, parse_bool
from .errors import EXIT_API, Failure
from .kvargs import KVArgError, as_strings, parse_kv_args
from .output import err, out, output_secret, print_field, wrap

AuthHandler = Callable[[API, dict[str, str], bool], Secret]
AUTH_METHODS: dict[str, AuthHandler] = {}


class AuthError(Exception):
    """A login could not be performed (printed after "Error authenticating: ")."""


def register_auth_method(name: str, handler: AuthHandler) -> None:
    """Make ``vab login -method=NAME`` use ``handler``."""
    AUTH_METHODS[name] = handler


def _prompt(label: str, non_interactive: bool, missing: str) -> str:
    if non_interactive:
        raise AuthError(f"{missing} and refusing to pull from stdin")
    if not sys.stdin.isatty():
        raise AuthError(f"{missing} and stdin is not a terminal to ask for it")
    return getpass.getpass(f"{label} (will be hidden): ", stream=sys.stderr)


def token_login(api: API, config: dict[str, str], non_interactive: bool) -> Secret:
    """``-method=token``: verify the token with ``lookup-self`` and describe it."""
    lookup = True
    if "lookup" in config:
        try:
            lookup = parse_bool(config["lookup"])
        except ValueError:
            raise AuthError('Failed to parse "lookup" as boolean') from None
    if "token" in config:
        token = config["token"]
    else:
        token = _prompt("Token", non_interactive, "'token' not supplied")
    token = token.strip()
    if not token:
        raise AuthError("a token must be passed to auth, please view the help for more information")
    if not lookup:
        return Secret({"auth": {"client_token": token}})
    api.token = token
    try:
        secret = api.send("GET", "auth/token/lookup-self")
    except (APIError, RequestError) as exc:
        raise AuthError(f"error looking up token: {exc}") from None
    if secret is None or secret.data is None:
        raise AuthError("empty response from lookup-self")
    data = secret.data
    token_policies = data.get("policies") or None
    identity_policies = data.get("identity_policies") or None
    policies = [*(token_policies or []), *(identity_policies or [])] or None
    return Secret(
        {
            "auth": {
                "client_token": data.get("id") or token,
                "accessor": data.get("accessor") or "",
                "policies": policies,
                "token_policies": token_policies,
                "identity_policies": identity_policies,
                "metadata": data.get("meta"),
                "lease_duration": data.get("ttl") or 0,
                "renewable": bool(data.get("renewable")),
            }
        }
    )


def password_login(api: API, config: dict[str, str], non_interactive: bool) -> Secret:
    """``-method=userpass`` / ``ldap``: ``auth/<mount>/login/<username>`` with a password."""
    username = config.get("username", "")
    if not username:
        raise AuthError("'username' must be specified")
    password = config.get("password", "")
    if not password:
        password = _prompt("Password", non_interactive, "'password' must be specified")
    mount = sanitize_path(config.get("mount", ""))
    api.token = ""
    try:
        secret = api.write(f"auth/{mount}/login/{username}", {"password": password})
    except (APIError, RequestError) as exc:
        raise AuthError(str(exc)) from None
    if secret is None:
        raise AuthError("empty response from credential provider")
    return secret


def github_login(api: API, config: dict[str, str], non_interactive: bool) -> Secret:
    """``-method=github``: ``auth/<mount>/login`` with a GitHub personal access token
    (``token=``, else ``$VAULT_AUTH_GITHUB_TOKEN``, else asked for)."""
    token = config.get("token", "") or getenv("AUTH_GITHUB_TOKEN") or ""
    if not token:
        token = _prompt(
            "GitHub Personal Access Token", non_interactive, "'token' must be specified"
        )
    mount = sanitize_path(config.get("mount", ""))
    api.token = ""
    try:
        secret = api.write(f"auth/{mount}/login", {"token": token.strip()})
    except (APIError, RequestError) as exc:
        raise AuthError(str(exc)) from None
    if secret is None:
        raise AuthError("empty response from credential provider")
    return secret


register_auth_method("token", token_login)
register_auth_method("github", github_login)
register_auth_method("userpass", password_login)
register_auth_method("ldap", password_login)


@command("login")
@click.option(
    "--method",
    default="token",
    show_default=True,
    help="Auth method type (token, userpass, ldap, github); not the mount path, see -path.",
)
@click.option("--path", "mount", default="", help="Mount path of the auth method.")
@click.option(
    "--no-store", cls=BoolFlag, is_flag=True, help="Do not save the token in ~/.vault-token."
)
@click.option("--no-print", cls=BoolFlag, is_flag=True, help="Save the token but do not print it.")
@click.option(
    "--token-only",
    cls=BoolFlag,
    is_flag=True,
    help="Print only the token and save nothing (same as -field=token -no-store).",
)
@common_options(field=True)
@click.argument("args", nargs=-1, metavar="[TOKEN | K=V...]")
@pass_state
def login_command(
    state: State,
    method: str,
    mount: str,
    no_store: bool,
    no_print: bool,
    token_only: bool,
    args: tuple[str, ...],
) -> None:
    """Authenticate and save the token in ~/.vault-token.

    Later commands use the saved token.

    With the default token method the argument is the token ("-" reads it from
    stdin); other methods take KEY=VALUE arguments. A password that is not given is
    asked for when stdin is a terminal. VAULT_TOKEN, when set, still takes precedence
    over the saved token.

    \b
    Examples:
      vab login s.XXXXXXXX
      vab login -method=userpass username=alice
      vab login -method=userpass -path=people username=alice password=s3cret
      vab login -no-store -field=token -method=userpass username=ci password=-
      vab login -method=github token=ghp_XXXXXXXX
    """
    fmt = state.checked_format()
    if token_only:
        no_store = True
        state.field = "token"
    if no_store and no_print:
        raise Failure(wrap("-no-store and -no-print cannot be used together"))
    method = sanitize_path(method) or "token"
    handler = AUTH_METHODS.get(method)
    if handler is None:
        raise Failure(
            wrap(
                f'Unknown auth method: {method}. Use "vab read sys/auth" to see the enabled '
                f"auth methods; vab logs in with: {', '.join(sorted(AUTH_METHODS))}."
            )
        )
    values = list(args)
    if method == "token" and values and "=" not in values[0]:
        values[0] = "token=" + values[0]
    try:
        config = as_strings(parse_kv_args(values, lambda: stdin_text(state)))
    except KVArgError as exc:
        raise Failure(f"Error parsing configuration: {exc}") from None
    if not config.get("mount"):
        config["mount"] = mount or method + "/"
    api = state.api(token="")
    try:
        secret = handler(api, config, state.settings.non_interactive)
    except AuthError as exc:
        raise Failure(f"Error authenticating: {exc}", EXIT_API) from None
    if secret.auth is None:
        raise Failure(wrap("The server returned a secret without authentication data."), 2)
    token = str(secret.auth.get("client_token") or "")
    if not no_store:
        try:
            TokenHelper().store(token)
        except OSError as exc:
            err(f"Error storing token: {exc}")
            err(
                wrap(
                    "Authentication was successful, but the token was not saved. It is "
                    "shown below for your records."
                )
                + "\n"
            )
            output_secret(fmt, secret)
            raise Failure("", EXIT_API) from None
        _warn_env_token()
    elif not token_only:
        err(
            wrap(
                "The token was not stored in token helper. Set the VAULT_TOKEN environment "
                "variable or pass the token below with each request to Vault."
            )
            + "\n"
        )
    if no_print:
        return
    if state.field:
        print_field(fmt, secret, state.field)
        return
    if fmt == "table":
        out(
            wrap(
                "Success! You are now authenticated. The token information displayed below "
                'is already stored in the token helper. You do NOT need to run "vab login" '
                "again. Future Vault requests will automatically use this token."
            )
            + "\n"
        )
    output_secret(fmt, secret)


def _warn_env_token() -> None:
    if getenv("TOKEN"):
        err(
            wrap(
                "WARNING! The VAULT_TOKEN environment variable is set! This takes "
                "precedence over the value set by this command. To use the value set by "
                "this command, unset the VAULT_TOKEN environment variable or set it to the "
                "token displayed below."
            )
            + "\n"
        )


COMMANDS = [login_command]
