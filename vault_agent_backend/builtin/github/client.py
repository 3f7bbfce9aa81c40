"""The few GitHub REST API calls the github auth method makes, with ``requests``.

As Vault's go-github client: ``Authorization: Bearer <token>`` (no header without a
token), ``per_page=100`` list pages followed through the ``Link: <...>; rel="next"`` header,
an empty body read as nothing, and errors worded ``GET <url>: <status> <message> []``. The
personal token is only ever put in the request header: never in a URL, an error message
or a log line.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import requests

__all__ = ["DEFAULT_BASE_URL", "GitHubClient", "GitHubError"]

DEFAULT_BASE_URL = "https://api.github.com/"
PER_PAGE = 100
MAX_PAGES = 1000
"""A bound on list pages (100 000 orgs or teams), against a server that never ends a list."""
TIMEOUT = (10.0, 60.0)
"""Connect and read timeouts (s): a GitHub that does not answer must not hold a worker."""
USER_AGENT = "vault-agent-backend (github auth method)"

_NEXT_RE = re.compile(r'<([^>]*)>\s*;\s*rel="?next"?')


class GitHubError(Exception):
    """A failed GitHub API call; the message names the method, URL and status only."""


class GitHubClient:
    """GitHub's API at ``base_url`` (which ends in ``/``), authenticated by ``token``."""

    def __init__(self, token: str, base_url: str = "", session: requests.Session | None = None):
        self._token = token
        self.base_url = base_url or DEFAULT_BASE_URL
        self._session = session
        """A session to reuse (tests); without one each call opens and closes its own."""

    def __repr__(self) -> str:  # never shows the token
        return f"GitHubClient(base_url={self.base_url!r})"

    def _url(self, path: str, query: dict[str, Any] | None = None) -> str:
        if not urlsplit(self.base_url).path.endswith("/"):
            raise GitHubError(f'BaseURL must have a trailing slash, but "{self.base_url}" does not')
        url = self.base_url + path
        if query:
            url += "?" + urlencode(sorted(query.items()))
        return url

    def _get(self, url: str) -> tuple[Any, requests.Response]:
        headers = {"Accept": "application/vnd.github.v3+json", "User-Agent": USER_AGENT}
        if self._token:
            headers["Authorization"] = "Bearer " + self._token
        try:
            getter = self._session.get if self._session is not None else requests.get
            response = getter(url, headers=headers, timeout=TIMEOUT)
        except requests.RequestException as exc:
            raise GitHubError(f'Get "{url}": {type(exc).__name__}') from None
        body: Any = None
        if response.content.strip():
            try:
                body = response.json()
            except ValueError:
                body = None
                if response.ok:
                    raise GitHubError(f"GET {url}: invalid JSON in the response") from None
        if not response.ok:
            message = body.get("message", "") if isinstance(body, dict) else ""
            errors = body.get("errors") if isinstance(body, dict) else None
            raise GitHubError(f"GET {url}: {response.status_code} {message} {errors or []}")
        return body, response

    def _object(self, path: str) -> dict[str, Any]:
        body, _ = self._get(self._url(path))
        return body if isinstance(body, dict) else {}

    def _list(self, path: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        page = 0
        for _ in range(MAX_PAGES):
            query: dict[str, Any] = {"per_page": PER_PAGE}
            if page:
                query["page"] = page
            body, response = self._get(self._url(path, query))
            if isinstance(body, list):
                items.extend(item for item in body if isinstance(item, dict))
            page = _next_page(response.headers.get("Link", ""))
            if not page:
                break
        return items

    def organization(self, name: str) -> dict[str, Any]:
        """``GET orgs/:org``."""
        return self._object("orgs/" + quote(name, safe=""))

    def user(self) -> dict[str, Any]:
        """``GET user``: the token's owner."""
        return self._object("user")

    def organizations(self) -> list[dict[str, Any]]:
        """``GET user/orgs``, every page."""
        return self._list("user/orgs")

    def teams(self) -> list[dict[str, Any]]:
        """``GET user/teams``, every page."""
        return self._list("user/teams")


def _next_page(link: str) -> int:
    """The page number of a ``Link`` header's ``rel="next"`` entry (0: none)."""
    for part in link.split(","):
        match = _NEXT_RE.search(part)
        if not match:
            continue
        values = parse_qs(urlsplit(match.group(1)).query).get("page")
        if values and values[0].isdigit():
            return int(values[0])
    return 0
