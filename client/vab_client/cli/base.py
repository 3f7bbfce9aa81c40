"""Command classes and the options every ``vab`` command shares.

* :class:`VabCommand` / :class:`VabGroup` accept Go-style boolean flags with a value
  (``-orphan=true``, ``-renewable=false``) besides the bare flag.
* :func:`http_options`, :func:`format_option` and :func:`field_option` add vault's
  common flags (``-address``, ``-namespace``, TLS, ``-format``, ``-field``); their values
  land in the :class:`State` shared by the ``vab`` group and the command (a command's
  flag wins over the same flag given to ``vab`` itself).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from .api import API, APIError, RequestError
from .client import Settings, build_api, parse_bool
from .errors import EXIT_API, Failure
from .gofmt import parse_duration
from .output import FORMATS, check_format, err, output_secret

F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")


@dataclass
class State:
    """Settings of one invocation, shared by the group and the command contexts."""

    settings: Settings = field(default_factory=Settings)
    field: str = ""

    @property
    def format(self) -> str:
        """The output format (``table`` unless -format or VAULT_FORMAT say otherwise)."""
        return self.settings.resolved_format()

    def checked_format(self, allow_raw: bool = False) -> str:
        """The output format, failing with vault's message if it is not supported."""
        fmt = self.format
        check_format(fmt, allow_raw=allow_raw)
        return fmt

    def api(self, token: str | None = None) -> API:
        """A request layer for the configured server (see :func:`client.build_api`)."""
        return build_api(self.settings, token)


pass_state = click.make_pass_decorator(State, ensure=True)


class BoolFlag(click.Option):
    """A boolean flag that also accepts ``--flag=true|false`` (Go's flag package does)."""


class VabCommand(click.Command):
    """A command whose boolean flags accept an explicit value."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Rewrite ``--flag=VALUE`` of boolean flags before click parses the line."""
        return super().parse_args(ctx, _rewrite_bool_flags(self.params, args))

    def invoke(self, ctx: click.Context) -> Any:
        """Refuse an unknown output format (e.g. from VAULT_FORMAT) before doing anything."""
        fmt = ctx.ensure_object(State).format
        if fmt not in FORMATS:
            raise Failure(f"Invalid output format: {fmt}")
        return super().invoke(ctx)


class VabGroup(click.Group):
    """A command group whose subcommands are :class:`VabCommand`/:class:`VabGroup`."""

    command_class = VabCommand
    group_class = type

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Rewrite the group's own ``--flag=VALUE`` boolean flags (up to the command)."""
        head: list[str] = []
        for index, arg in enumerate(args):
            if not arg.startswith("-"):
                head = _rewrite_bool_flags(self.params, args[:index]) + args[index:]
                break
        else:
            head = _rewrite_bool_flags(self.params, args)
        return super().parse_args(ctx, head)


def _rewrite_bool_flags(params: list[click.Parameter], args: list[str]) -> list[str]:
    flags = [p for p in params if isinstance(p, BoolFlag)]
    if not flags:
        return args
    out: list[str] = []
    for index, arg in enumerate(args):
        if arg == "--":
            return out + args[index:]
        name, sep, value = arg.partition("=")
        option = next((p for p in flags if name in p.opts or name in p.secondary_opts), None)
        if option is None or not sep:
            out.append(arg)
            continue
        try:
            wanted = parse_bool(value)
        except ValueError:
            raise click.BadParameter(
                f"invalid boolean value {value!r} for {name}", param=option
            ) from None
        if name in option.secondary_opts:
            wanted = not wanted
        if wanted:
            out.append(option.opts[0])
        elif option.secondary_opts:
            out.append(option.secondary_opts[0])
    return out


def _store(attr: str, on_settings: bool = True) -> Callable[[click.Context, Any, Any], Any]:
    def callback(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        if value is None or value == "" or value == ():
            return value
        state = ctx.ensure_object(State)
        setattr(state.settings if on_settings else state, attr, value)
        return value

    return callback


def _option(*decls: str, attr: str, help: str, on_settings: bool = True, **kw: Any) -> Any:
    return click.option(
        *decls,
        expose_value=False,
        callback=_store(attr, on_settings),
        help=help,
        **kw,
    )


def http_options(f: F) -> F:
    """Add the connection flags (``-address``, ``-namespace``, TLS, ``-non-interactive``)."""
    decorators = [
        _option(
            "--address",
            attr="address",
            metavar="ADDR",
            help="Address of the server (default: $VAULT_ADDR, then https://127.0.0.1:8200).",
        ),
        _option(
            "--namespace",
            "--ns",
            attr="namespace",
            metavar="NS",
            help="Namespace for the request (default: $VAULT_NAMESPACE).",
        ),
        _option("--ca-cert", attr="ca_cert", metavar="FILE", help="CA certificate (PEM)."),
        _option("--ca-path", attr="ca_path", metavar="DIR", help="Directory of CA certs."),
        _option("--client-cert", attr="client_cert", metavar="FILE", help="Client cert."),
        _option("--client-key", attr="client_key", metavar="FILE", help="Client key."),
        _option(
            "--tls-skip-verify",
            attr="tls_skip_verify",
            cls=BoolFlag,
            is_flag=True,
            default=None,
            help="Do not verify the server's TLS certificate (insecure).",
        ),
        _option(
            "--non-interactive",
            attr="non_interactive",
            cls=BoolFlag,
            is_flag=True,
            default=None,
            help="Never prompt (for passwords or tokens).",
        ),
    ]
    for decorator in reversed(decorators):
        f = decorator(f)
    return f


def format_option(f: F) -> F:
    """Add ``-format=table|json|yaml`` (default: $VAULT_FORMAT, then table)."""
    return _option(  # type: ignore[no-any-return]
        "--format",
        attr="format",
        metavar="FORMAT",
        help="Output format: table, json or yaml (default: $VAULT_FORMAT, then table).",
    )(f)


def field_option(f: F) -> F:
    """Add ``-field=NAME``: print only that field, bare (no trailing newline if piped)."""
    return _option(  # type: ignore[no-any-return]
        "--field",
        attr="field",
        on_settings=False,
        metavar="NAME",
        help="Print only the named field, without a trailing newline when piped.",
    )(f)


def detailed_option(help_text: str) -> Callable[[F], F]:
    """The ``-detailed`` flag of the ``list`` commands (``secrets``, ``auth``, ``audit``)."""
    return click.option("--detailed", cls=BoolFlag, is_flag=True, help=help_text)


def common_options(field: bool = False, fmt: bool = True) -> Callable[[F], F]:
    """Decorator adding the HTTP flags, ``-format`` (if ``fmt``) and ``-field``."""

    def decorate(f: F) -> F:
        if field:
            f = field_option(f)
        if fmt:
            f = format_option(f)
        return http_options(f)

    return decorate


# -- argument counting with vault's messages -------------------------------------------------


def expect_args(args: tuple[str, ...], count: int) -> None:
    """Exactly ``count`` arguments, or vault's "Not enough/Too many arguments" error."""
    if len(args) < count:
        raise Failure(f"Not enough arguments (expected {count}, got {len(args)})")
    if len(args) > count:
        raise Failure(f"Too many arguments (expected {count}, got {len(args)})")


def expect_at_least(args: tuple[str, ...], count: int, label: str | None = None) -> None:
    """At least ``count`` arguments; ``label`` replaces the expected count in the message."""
    if len(args) < count:
        raise Failure(f"Not enough arguments (expected {label or count}, got {len(args)})")


def stdin_text(state: State) -> str:
    """All of stdin ("" with -non-interactive, as vault does)."""
    if state.settings.non_interactive:
        return ""
    return click.get_text_stream("stdin").read()


# -- running requests ------------------------------------------------------------------------


def sanitize_path(path: str) -> str:
    """Trim whitespace and leading/trailing slashes (``/secret/foo/`` -> ``secret/foo``)."""
    return path.strip().strip("/")


def call(fmt: str, request: Callable[[], T], context: str = "") -> T:
    """Run ``request``; on failure print ``context: error`` (vault's wording), exit 2.

    When the server answered an error *and* data (a KV v2 write to a deleted version),
    the data is printed too, as vault does.
    """
    try:
        return request()
    except APIError as exc:
        err(f"{context}: {exc}" if context else str(exc))
        if exc.secret is not None:
            output_secret(fmt, exc.secret)
        raise Failure("", EXIT_API) from None
    except RequestError as exc:
        raise Failure(f"{context}: {exc}" if context else str(exc), EXIT_API) from None


def command(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], VabCommand]:
    """``click.command`` producing a :class:`VabCommand`."""
    return click.command(name, cls=VabCommand, **kwargs)  # type: ignore[return-value]


def group(name: str, **kwargs: Any) -> Callable[[Callable[..., Any]], VabGroup]:
    """``click.group`` producing a :class:`VabGroup`."""
    return click.group(name, cls=VabGroup, **kwargs)  # type: ignore[return-value]


# -- parameter types -------------------------------------------------------------------------


class DurationType(click.ParamType):
    """A duration (``30s``, ``5m``, ``1h30m``, ``2d`` or plain seconds) as whole seconds.

    ``system`` means "the system default" and becomes -1, as in vault.
    """

    name = "duration"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        """Parse the duration or fail with a usage error."""
        if isinstance(value, int):
            return value
        if str(value).strip() == "system":
            return -1
        try:
            return parse_duration(str(value))
        except ValueError:
            self.fail(f"invalid duration {value!r} (examples: 30s, 5m, 1h30m)", param, ctx)


class KeyValueType(click.ParamType):
    """``key=value`` for repeatable map flags such as ``-metadata``."""

    name = "key=value"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> tuple[str, str]:
        """Split at the first ``=`` or fail with vault's message."""
        if isinstance(value, tuple):
            return value
        key, sep, val = str(value).partition("=")
        if not sep:
            self.fail(f'missing = in KV pair: "{value}"', param, ctx)
        return key, val


DURATION = DurationType()
KEY_VALUE = KeyValueType()
