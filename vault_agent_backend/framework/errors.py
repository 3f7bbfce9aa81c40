"""Errors a backend raises; the HTTP layer turns each into Vault's error body and status."""

from __future__ import annotations


class VaultError(Exception):
    """An error answered as ``{"errors": [...]}`` with an HTTP status."""

    status: int = 500
    multierror: bool = False
    """Vault wraps errors coming out of a backend route as ``N error(s) occurred:`` text."""

    def __init__(
        self,
        *messages: str,
        status: int | None = None,
        data: dict | None = None,
        multierror: bool | None = None,
    ):
        super().__init__(*(messages or ("",)))
        self.messages: list[str] = [m for m in messages if m]
        if status is not None:
            self.status = status
        if multierror is not None:
            self.multierror = multierror
        self.data = data

    def body_errors(self) -> list[str]:
        """The ``errors`` list of the HTTP body."""
        if self.multierror and self.messages:
            count = len(self.messages)
            head = "1 error occurred" if count == 1 else f"{count} errors occurred"
            items = "".join(f"\t* {m}\n" for m in self.messages)
            return [f"{head}:\n{items}\n"]
        return list(self.messages)

    def __str__(self) -> str:
        return "; ".join(self.messages)


class InvalidRequest(VaultError):
    """400: the request is malformed or asks for something impossible."""

    status = 400


class PermissionDenied(VaultError):
    """403: the token may not do this."""

    status = 403
    multierror = True

    def __init__(self, *reasons: str, multierror: bool | None = None):
        super().__init__("permission denied", *reasons, multierror=multierror)


class InvalidToken(PermissionDenied):
    """403: the token is missing, unknown, expired or revoked (plain ``permission denied``)."""

    multierror = False


class NotFound(VaultError):
    """404 with an empty errors list unless a message is given."""

    status = 404


class UnsupportedOperation(VaultError):
    """405: the path exists but not for this operation."""

    status = 405
    multierror = True


class UnsupportedMediaType(VaultError):
    """415: a PATCH without the merge-patch content type."""

    status = 415


class PreconditionFailed(VaultError):
    """412: a precondition (e.g. an index) is not met."""

    status = 412


class RequestTooLarge(VaultError):
    """413: the request body is larger than allowed."""

    status = 413


class Sealed(VaultError):
    """503: the server is sealed."""

    status = 503

    def __init__(self, *messages: str):
        super().__init__(*(messages or ("Vault is sealed",)))


class InternalError(VaultError):
    """500: a real internal fault (never caused by input)."""

    status = 500
