"""A small fake of GitHub's REST API on 127.0.0.1 for the github auth method's tests.

Knows tokens → users; each user has organizations and teams. Serves ``GET orgs/:org``,
``user``, ``user/orgs`` and ``user/teams`` (pages of ``per_page`` items with a
``Link: rel="next"`` header, as GitHub), answers 401 ``Bad credentials`` for an unknown
token and records every request (path and Authorization header).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class FakeUser:
    """A GitHub user: login, id, organizations (login → id) and teams."""

    login: str
    id: int
    orgs: dict[str, int] = field(default_factory=dict)
    teams: list[dict[str, Any]] = field(default_factory=list)
    """Each ``{"name", "slug", "org_id"}``."""


@dataclass
class Seen:
    """One request the fake received."""

    path: str
    authorization: str | None


class FakeGitHub:
    """The fake API server; ``url`` is its base URL (ending in ``/``)."""

    def __init__(self) -> None:
        self.orgs: dict[str, int] = {}
        self.tokens: dict[str, FakeUser] = {}
        self.seen: list[Seen] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                fake.seen.append(Seen(self.path, self.headers.get("Authorization")))
                status, body, headers = fake.answer(self.path, self.headers.get("Authorization"))
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"

    def close(self) -> None:
        """Stop the server."""
        self.server.shutdown()
        self.server.server_close()

    def add_org(self, login: str, org_id: int) -> None:
        """An organization ``GET orgs/:org`` knows."""
        self.orgs[login] = org_id

    def add_user(self, token: str, user: FakeUser) -> FakeUser:
        """A personal token and its owner."""
        self.tokens[token] = user
        return user

    def _page(self, path: str, items: list[Any], query: dict[str, list[str]]) -> tuple:
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            headers["Link"] = (
                f'<{self.url}{path}?page={page + 1}&per_page={per_page}>; rel="next", '
                f"<{self.url}{path}?page={-(-len(items) // per_page)}&per_page={per_page}>; "
                'rel="last"'
            )
        return 200, chunk, headers

    def answer(self, raw_path: str, authorization: str | None) -> tuple:
        """(status, JSON body, headers) for one GET."""
        parts = urlsplit(raw_path)
        path = parts.path.lstrip("/")
        query = parse_qs(parts.query)
        if path.startswith("orgs/"):
            name = path.removeprefix("orgs/")
            if name not in self.orgs:
                return 404, {"message": "Not Found"}, {}
            return 200, {"login": name, "id": self.orgs[name]}, {}
        token = (authorization or "").removeprefix("Bearer ")
        user = self.tokens.get(token) if authorization else None
        if user is None:
            return 401, {"message": "Bad credentials"}, {}
        if path == "user":
            return 200, {"login": user.login, "id": user.id}, {}
        if path == "user/orgs":
            orgs = [{"login": login, "id": oid} for login, oid in user.orgs.items()]
            return self._page(path, orgs, query)
        if path == "user/teams":
            teams = [
                {"name": t["name"], "slug": t["slug"], "organization": {"id": t["org_id"]}}
                for t in user.teams
            ]
            return self._page(path, teams, query)
        return 404, {"message": "Not Found"}, {}
