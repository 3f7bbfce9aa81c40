"""Playing policy cases against one server: setup, policy slots, capabilities, requests.

Every case set (one policy set plus what to ask about it) is played the same way on both
servers, in the same order, so the servers' state stays in step:

* :meth:`PolicySide.setup` mounts a KV v1 engine at :data:`MOUNT`, enables userpass at
  :data:`USERPASS` and builds the entity of ``tests.policy.cases.IDENTITY`` (same names,
  metadata, alias custom metadata and groups; ids and accessor are the server's own and are
  kept in :attr:`PolicySide.identity` for :func:`~tests.policy.cases.materialize`);
* three tokens for the whole session: ``plain`` (no entity) and ``identity`` (a userpass
  login) both hold the *slot* policies :data:`SLOTS` -- the first directly, the second
  through its entity -- and ``default`` holds the server's built-in ``default`` policy;
* :meth:`PolicySide.load` writes a case set's policy texts into the slots (deleting unused
  slots), so a policy change must take effect on the very next request;
* :meth:`PolicySide.capabilities` asks ``sys/capabilities`` and ``sys/capabilities-accessor``
  (and ``sys/capabilities-self`` for the ``default`` token, the only one allowed to);
  :meth:`PolicySide.send` makes one real request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.policy.cases import IDENTITY, materialize

MOUNT = "pdkv"
"""KV v1 mount the request cases read, write, list and delete."""
USERPASS = "pd-userpass"
SLOTS = ("pd-slot-0", "pd-slot-1", "pd-slot-2")
TOKEN_KINDS = ("plain", "identity", "default")
CAPABILITY_ENDPOINTS = ("sys/capabilities", "sys/capabilities-self", "sys/capabilities-accessor")
_PASSWORD = "pd-password"


@dataclass(frozen=True)
class Req:
    """One real request. ``data`` is the JSON body of POST/PUT and the query of the other
    methods (a list value becomes a repeated query parameter); ``wrap_ttl`` is sent as
    ``X-Vault-Wrap-TTL``; ``path`` and string values may hold ``<placeholders>``."""

    method: str
    path: str
    data: Mapping[str, Any] | None = None
    wrap_ttl: str | None = None
    token: str = "plain"

    def key(self) -> str:
        """A short, stable description (used in test ids)."""
        text = f"{self.method} {self.path}"
        if self.data is not None:
            text += " " + ",".join(f"{k}={v!r}" for k, v in self.data.items())
        if self.wrap_ttl is not None:
            text += f" wrap={self.wrap_ttl}"
        return text


@dataclass(frozen=True)
class Answer:
    """What a server answered to one real request."""

    status: int
    errors: tuple[str, ...] = ()

    @property
    def denied(self) -> bool:
        """A 403 permission denied (the ACL said no)."""
        return self.status == 403 and any("permission denied" in e for e in self.errors)


@dataclass
class CaseSet:
    """Policies loaded once, then capability questions and real requests about them."""

    key: str
    policies: Sequence[str]
    identity: bool = False
    paths: Sequence[str] = ()
    requests: Sequence[Req] = ()
    seed: Sequence[str] = ()
    """KV keys (below :data:`MOUNT`) written as root before the requests."""
    token: str | None = None
    """Token kind for the capability questions (default: by ``identity``)."""


@dataclass
class SideResult:
    """Everything one server answered, keyed by case set key and path / request key."""

    capabilities: dict[tuple[str, str], dict[str, list[str]]] = field(default_factory=dict)
    answers: dict[tuple[str, str], Answer] = field(default_factory=dict)
    policy_writes: dict[str, list[int]] = field(default_factory=dict)


def request_id(index: int, req: Req) -> str:
    """The id of the ``index``-th request of a case set (unique within the set)."""
    return f"{index:03d} {req.key()}"


class SideError(RuntimeError):
    """A setup step the cases depend on failed on one server."""


class PolicySide:
    """One server seen through the slot policies and the session's three tokens."""

    def __init__(self, label: str, url: str, root_token: str) -> None:
        self.label = label
        self.base = url.rstrip("/") + "/v1/"
        self.root = root_token
        self.http = requests.Session()
        self.tokens: dict[str, str] = {}
        self.accessors: dict[str, str] = {}
        self.identity: dict[str, Any] = {}
        self.identity_error: str | None = None
        """Why the entity could not be set up (its case sets then answer only this)."""
        self._slots_present: set[str] = set()

    # -- plumbing ---------------------------------------------------------------------------

    def call(
        self,
        method: str,
        path: str,
        data: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """One request below ``/v1/`` (root token unless ``token``); redirects not followed."""
        head = {"X-Vault-Token": token or self.root, **(headers or {})}
        kwargs: dict[str, Any] = {"headers": head, "timeout": 30, "allow_redirects": False}
        if method in ("POST", "PUT", "PATCH"):
            kwargs["json"] = dict(data or {})
        elif data:
            kwargs["params"] = dict(data)
        return self.http.request(method, self.base + path, **kwargs)

    def must(self, method: str, path: str, data: Mapping[str, Any] | None = None) -> Any:
        """A root request that has to succeed; its JSON body (or None)."""
        resp = self.call(method, path, data)
        if resp.status_code >= 400:
            raise SideError(f"{self.label}: {method} {path} -> {resp.status_code} {resp.text}")
        return resp.json() if resp.content else None

    # -- setup ------------------------------------------------------------------------------

    def setup(self) -> None:
        """Mount, identity and the three session tokens (see the module docstring)."""
        self.must("POST", f"sys/mounts/{MOUNT}", {"type": "kv", "options": {"version": "1"}})
        created = self.must(
            "POST", "auth/token/create", {"policies": list(SLOTS), "no_default_policy": True}
        )
        self.tokens["plain"] = created["auth"]["client_token"]
        self.accessors["plain"] = created["auth"]["accessor"]
        created = self.must("POST", "auth/token/create", {"policies": ["default"]})
        self.tokens["default"] = created["auth"]["client_token"]
        self.accessors["default"] = created["auth"]["accessor"]
        try:
            self._setup_identity()
        except (SideError, KeyError, IndexError, TypeError, ValueError) as exc:
            self.identity_error = f"identity setup failed: {exc}"

    def _setup_identity(self) -> None:
        want = IDENTITY
        self.must("POST", f"sys/auth/{USERPASS}", {"type": "userpass"})
        accessor = self.must("GET", "sys/auth")["data"][f"{USERPASS}/"]["accessor"]
        user = want["alias_name"]
        self.must(
            "POST",
            f"auth/{USERPASS}/users/{user}",
            {"password": _PASSWORD, "token_no_default_policy": True},
        )
        login = self.must("POST", f"auth/{USERPASS}/login/{user}", {"password": _PASSWORD})
        token, entity_id = login["auth"]["client_token"], login["auth"]["entity_id"]
        if not entity_id:
            raise SideError(f"{self.label}: userpass login gave no entity")
        self.must(
            "POST",
            f"identity/entity/id/{entity_id}",
            {
                "name": want["entity_name"],
                "metadata": want["entity_metadata"],
                "policies": list(SLOTS),
            },
        )
        entity = self.must("GET", f"identity/entity/id/{entity_id}")["data"]
        alias = entity["aliases"][0]
        self.must(
            "POST",
            f"identity/entity-alias/id/{alias['id']}",
            {
                "canonical_id": entity_id,
                "mount_accessor": accessor,
                "name": alias["name"],
                "custom_metadata": want["alias_custom_metadata"],
            },
        )
        group = self.must(
            "POST",
            "identity/group",
            {
                "name": want["group_name"],
                "member_entity_ids": [entity_id],
                "metadata": want["group_metadata"],
            },
        )["data"]
        parent = self.must(
            "POST",
            "identity/group",
            {"name": want["parent_group_name"], "member_group_ids": [group["id"]]},
        )["data"]
        self.tokens["identity"] = token
        self.accessors["identity"] = login["auth"]["accessor"]
        self.identity = {
            **want,
            "entity_id": entity_id,
            "accessor": accessor,
            "alias_id": alias["id"],
            "group_id": group["id"],
            "parent_group_id": parent["id"],
        }

    # -- playing ----------------------------------------------------------------------------

    def load(self, texts: Sequence[str]) -> list[int]:
        """Write ``texts`` into the slots (materialized for this server), delete the rest;
        the statuses of the writes."""
        if len(texts) > len(SLOTS):
            raise ValueError(f"at most {len(SLOTS)} policies per case set")
        statuses = []
        for slot, text in zip(SLOTS, texts, strict=False):
            body = {"policy": materialize(text, self.identity)}
            statuses.append(self.call("PUT", f"sys/policies/acl/{slot}", body).status_code)
            self._slots_present.add(slot)
        for slot in SLOTS[len(texts) :]:
            if slot in self._slots_present:
                self.must("DELETE", f"sys/policies/acl/{slot}")
                self._slots_present.discard(slot)
        return statuses

    def capabilities(self, kind: str, paths: Sequence[str]) -> dict[str, dict[str, list[str]]]:
        """endpoint -> {path as given: sorted capabilities} for token ``kind``."""
        concrete = [materialize(p, self.identity) for p in paths]
        token = self.tokens[kind]
        by_accessor = {"accessor": self.accessors[kind], "paths": concrete}
        asks: list[tuple[str, dict[str, Any], str | None]] = [
            ("sys/capabilities", {"token": token, "paths": concrete}, None),
            ("sys/capabilities-accessor", by_accessor, None),
        ]
        if kind == "default":  # only the default policy lets a token ask about itself
            asks.append(("sys/capabilities-self", {"paths": concrete}, token))
        out: dict[str, dict[str, list[str]]] = {}
        for endpoint, body, as_token in asks:
            resp = self.call("POST", endpoint, body, token=as_token)
            if resp.status_code != 200:  # keep the status: the comparison shows it
                out[endpoint] = {p: [f"<status {resp.status_code}>"] for p in paths}
                continue
            data = resp.json().get("data") or {}
            out[endpoint] = {
                raw: sorted(data.get(path, ["<missing>"]))
                for raw, path in zip(paths, concrete, strict=True)
            }
        return out

    def send(self, req: Req) -> Answer:
        """Make one real request with the token of ``req.token``."""
        data = None
        if req.data is not None:
            data = {
                k: materialize(v, self.identity) if isinstance(v, str) else v
                for k, v in req.data.items()
            }
        headers = {"X-Vault-Wrap-TTL": req.wrap_ttl} if req.wrap_ttl is not None else None
        path = materialize(req.path, self.identity)
        resp = self.call(req.method, path, data, token=self.tokens[req.token], headers=headers)
        errors: tuple[str, ...] = ()
        if resp.content and resp.headers.get("Content-Type", "").startswith("application/json"):
            body = resp.json()
            if isinstance(body, dict):
                errors = tuple(str(e) for e in body.get("errors") or ())
        return Answer(resp.status_code, errors)

    def play(self, sets: Sequence[CaseSet]) -> SideResult:
        """Play every case set in order; the answers."""
        result = SideResult()
        for case_set in sets:
            kind = case_set.token or ("identity" if case_set.identity else "plain")
            uses_entity = kind == "identity" or any(
                r.token == "identity" for r in case_set.requests
            )
            if uses_entity and self.identity_error:
                self._unplayable(case_set, self.identity_error, result)
                continue
            result.policy_writes[case_set.key] = self.load(case_set.policies)
            for key in case_set.seed:
                self.must("PUT", f"{MOUNT}/{materialize(key, self.identity)}", {"seed": "1"})
            if case_set.paths:
                answers = self.capabilities(kind, case_set.paths)
                for path in case_set.paths:
                    result.capabilities[(case_set.key, path)] = {
                        endpoint: found[path] for endpoint, found in answers.items()
                    }
            for index, req in enumerate(case_set.requests):
                result.answers[(case_set.key, request_id(index, req))] = self.send(req)
        return result

    @staticmethod
    def _unplayable(case_set: CaseSet, why: str, result: SideResult) -> None:
        result.policy_writes[case_set.key] = [-1]
        for path in case_set.paths:
            result.capabilities[(case_set.key, path)] = {"error": [why]}
        for index, req in enumerate(case_set.requests):
            result.answers[(case_set.key, request_id(index, req))] = Answer(-1, (why,))

    def close(self) -> None:
        """Close the HTTP session."""
        self.http.close()
