"""Building the hvac client from the environment and flags, and the token helper.

Settings come, in order of precedence, from the command's flags, the ``vab`` group's
flags and the environment: ``VAULT_*`` variables first, ``BAO_*`` as a fallback
(``VAULT_ADDR``, ``VAULT_TOKEN``, ``VAULT_FORMAT``, ``VAULT_NAMESPACE``,
``VAULT_CACERT``, ``VAULT_CAPATH``, ``VAULT_CLIENT_CERT``, ``VAULT_CLIENT_KEY``,
``VAULT_SKIP_VERIFY``, ``VAULT_CLIENT_TIMEOUT``). Without a token in the environment the
token stored by ``vab login`` in ``~/.vault-token`` is used, as ``vault`` does.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import hvac
from hvac.adapters import RawAdapter

from .api import API
from .errors import EXIT_LOCAL, Failure
from .gofmt import parse_duration

DEFAULT_ADDRESS = "https://127.0.0.1:8200"
DEFAULT_TIMEOUT = 60
TOKEN_FILE = "~/.vault-token"
ENV_PREFIXES = ("VAULT_", "BAO_")
_TRUE = {"1", "t", "true"}
_FALSE = {"0", "f", "false"}


def getenv(name: str) -> str | None:
    """``VAULT_<name>`` if set and non-empty, else ``BAO_<name>``, else None."""
    for prefix in ENV_PREFIXES:
        value = os.environ.get(prefix + name)
        if value:
            return value
    return None


def parse_bool(text: str) -> bool:
    """Parse a boolean the way Go's ``strconv.ParseBool`` does; ValueError otherwise."""
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"invalid boolean value {text!r}")


@dataclass
class Settings:
    """Connection and output settings of one ``vab`` invocation (None = not given)."""

    address: str | None = None
    namespace: str | None = None
    ca_cert: str | None = None
    ca_path: str | None = None
    client_cert: str | None = None
    client_key: str | None = None
    tls_skip_verify: bool | None = None
    format: str | None = None
    non_interactive: bool = False

    def resolved_address(self) -> str:
        """The server address: flag, then VAULT_ADDR/BAO_ADDR, then the default."""
        return self.address or getenv("ADDR") or DEFAULT_ADDRESS

    def resolved_format(self) -> str:
        """The output format: flag, then VAULT_FORMAT/BAO_FORMAT, then ``table``."""
        return (self.format or getenv("FORMAT") or "table").strip().lower()

    def verify(self) -> bool | str:
        """The ``verify`` argument for requests: False, a CA bundle/dir, or True."""
        skip = self.tls_skip_verify
        if skip is None:
            env = getenv("SKIP_VERIFY")
            skip = _env_bool(env) if env else False
        if skip:
            return False
        return self.ca_cert or getenv("CACERT") or self.ca_path or getenv("CAPATH") or True

    def client_certificate(self) -> tuple[str, str] | None:
        """Client certificate and key for mutual TLS, if configured."""
        cert = self.client_cert or getenv("CLIENT_CERT")
        key = self.client_key or getenv("CLIENT_KEY")
        return (cert, key) if cert and key else None

    def timeout(self) -> int:
        """Request timeout in seconds (VAULT_CLIENT_TIMEOUT, default 60)."""
        raw = getenv("CLIENT_TIMEOUT")
        if raw:
            with contextlib.suppress(ValueError):
                return max(parse_duration(raw), 1)
        return DEFAULT_TIMEOUT


def _env_bool(value: str) -> bool:
    try:
        return parse_bool(value)
    except ValueError:
        return False


class TokenHelper:
    """Vault's internal token helper: the token lives in ``~/.vault-token``.

    ``VAULT_TOKEN_PATH`` (or OpenBao's ``BAO_TOKEN_PATH``) points it elsewhere.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        raw = path or getenv("TOKEN_PATH") or TOKEN_FILE
        self.path = Path(os.path.expanduser(str(raw)))

    def get(self) -> str:
        """The stored token, "" if there is none."""
        try:
            return self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return ""

    def store(self, token: str) -> None:
        """Store ``token`` atomically, readable by the owner only (mode 0600)."""
        directory = self.path.parent
        fd, tmp_name = tempfile.mkstemp(prefix=".vault-token.", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(token)
            os.chmod(tmp_name, 0o600)
            os.replace(tmp_name, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp_name)
            raise

    def erase(self) -> None:
        """Remove the stored token (no error if there is none)."""
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()


def resolve_token() -> str:
    """The token to use: VAULT_TOKEN/BAO_TOKEN, else the token helper's."""
    return getenv("TOKEN") or TokenHelper().get()


def _checked_address(address: str) -> str:
    """The server address if it is an http(s) URL with a host; a local error otherwise, as
    ``vault`` refuses it before sending anything."""
    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError as exc:
        raise Failure(f'failed to create client: parse "{address}": {exc}', EXIT_LOCAL) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Failure(
            f'failed to create client: parse "{address}": the address must be an http:// or '
            "https:// URL with a host (e.g. http://127.0.0.1:8200)",
            EXIT_LOCAL,
        )
    return address


def build_client(settings: Settings, token: str | None = None) -> hvac.Client:
    """An ``hvac.Client`` for ``settings`` (raw adapter: responses are never raised).

    ``token`` None means "the usual token" (environment, then token helper); pass ""
    for an unauthenticated client (logins).
    """
    return hvac.Client(
        url=_checked_address(settings.resolved_address()),
        token=resolve_token() if token is None else token,
        verify=settings.verify(),
        cert=settings.client_certificate(),
        namespace=settings.namespace or getenv("NAMESPACE"),
        timeout=settings.timeout(),
        adapter=RawAdapter,
    )


def build_api(settings: Settings, token: str | None = None) -> API:
    """The request layer over :func:`build_client`."""
    return API(build_client(settings, token))
