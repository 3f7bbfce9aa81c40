"""Policy invariants checked through our real server process (hypothesis, a few seconds).

Random small policies over a KV v1 mount are written into two slot policies held by one
token; after each write (which must take effect on the very next request):

* what ``sys/capabilities`` reports is exactly what real requests may do -- ``read`` a GET of
  an existing key, ``update`` a POST to it, ``create`` a POST once it is gone, ``delete`` a
  DELETE, and ``list`` (reported for ``dir/``) a LIST of ``dir``;
* an exact-path ``deny``, in the same or in another policy, always wins on that path.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.processes import ServerProcess

SETTINGS = dict(
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
SEGMENTS = ["a", "b", "c"]
GRANTS = ["create", "read", "update", "delete", "list", "sudo"]
KEYS = ["a", "b", "a/b", "a/c", "b/c", "a/b/c"]
DIRS = ["", "a", "b", "a/b"]


@dataclass
class Bench:
    """The session server seen by a root client and one token holding two slot policies."""

    url: str
    root: str
    mount: str
    slots: tuple[str, str]
    token: str
    http: requests.Session

    def call(
        self, method: str, path: str, data: dict[str, Any] | None = None, *, root: bool = False
    ) -> requests.Response:
        headers = {"X-Vault-Token": self.root if root else self.token}
        kwargs: dict[str, Any] = {"headers": headers, "timeout": 30}
        if data is not None:
            kwargs["json"] = data
        return self.http.request(method, f"{self.url}/v1/{path}", **kwargs)

    def must(self, method: str, path: str, data: dict[str, Any] | None = None) -> Any:
        resp = self.call(method, path, data, root=True)
        assert resp.status_code < 400, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.json() if resp.content else None

    def load(self, *texts: str) -> None:
        """Write the slot policies (an empty text deletes the slot)."""
        for slot, text in zip(self.slots, texts, strict=True):
            if text:
                self.must("PUT", f"sys/policies/acl/{slot}", {"policy": text})
            else:
                self.must("DELETE", f"sys/policies/acl/{slot}")

    def capabilities(self, paths: list[str]) -> dict[str, list[str]]:
        body = {"token": self.token, "paths": paths}
        return self.must("POST", "sys/capabilities", body)["data"]

    def allowed(self, method: str, path: str, data: dict[str, Any] | None = None) -> bool:
        """Make a request with the token: False on 403, True on anything but a 5xx."""
        resp = self.call(method, path, data)
        assert resp.status_code < 500, f"{method} {path}: {resp.status_code} {resp.text}"
        return resp.status_code != 403


@pytest.fixture(scope="module")
def bench(vab_server: ServerProcess) -> Iterator[Bench]:
    uniq = secrets.token_hex(4)
    http = requests.Session()
    b = Bench(vab_server.url, vab_server.root_token, f"pp-{uniq}", ("", ""), "", http)
    b.must("POST", f"sys/mounts/{b.mount}", {"type": "kv", "options": {"version": "1"}})
    b.slots = (f"pp-{uniq}-0", f"pp-{uniq}-1")
    created = b.must(
        "POST", "auth/token/create", {"policies": list(b.slots), "no_default_policy": True}
    )
    b.token = created["auth"]["client_token"]
    yield b
    http.close()


@st.composite
def rule_paths(draw: st.DrawFn) -> str:
    parts = draw(st.lists(st.sampled_from([*SEGMENTS, "+"]), min_size=1, max_size=3))
    path = "/".join(parts)
    ending = draw(st.sampled_from(["", "", "*", "/", "/*"]))
    if ending.startswith("*") and path.endswith("+"):
        ending = ""  # '+*' is invalid
    return path + ending


@st.composite
def policies(draw: st.DrawFn) -> list[tuple[str, tuple[str, ...]]]:
    """1-4 stanzas (relative to the mount); about one in six is a deny."""
    rules = []
    for _ in range(draw(st.integers(1, 4))):
        path = draw(rule_paths())
        if draw(st.integers(0, 5)) == 0:
            rules.append((path, ("deny",)))
        else:
            caps = draw(st.lists(st.sampled_from(GRANTS), max_size=4, unique=True))
            rules.append((path, tuple(caps)))
    return rules


def render(mount: str, rules: list[tuple[str, tuple[str, ...]]]) -> str:
    out = []
    for path, caps in rules:
        quoted = ", ".join(f'"{c}"' for c in caps)
        out.append(f'path "{mount}/{path}" {{\n  capabilities = [{quoted}]\n}}\n')
    return "".join(out)


def _observed_key(b: Bench, key: str) -> dict[str, bool]:
    """What the token may do on an existing key, then on the same key once gone."""
    path = f"{b.mount}/{key}"
    b.must("PUT", path, {"seed": "1"})
    seen = {"read": b.allowed("GET", path), "update": b.allowed("POST", path, {"v": "1"})}
    seen["delete"] = b.allowed("DELETE", path)
    b.must("DELETE", path)
    seen["create"] = b.allowed("POST", path, {"v": "2"})
    return seen


@settings(max_examples=12, **SETTINGS)
@given(rules=policies())
def test_reported_capabilities_match_real_requests(
    bench: Bench, rules: list[tuple[str, tuple[str, ...]]]
) -> None:
    bench.load(render(bench.mount, rules), "")
    keys = [f"{bench.mount}/{k}" for k in KEYS]
    dirs = [f"{bench.mount}/{d}/" if d else f"{bench.mount}/" for d in DIRS]
    reported = bench.capabilities(keys + dirs)
    for key, path in zip(KEYS, keys, strict=True):
        seen = _observed_key(bench, key)
        expected = {op: op in reported[path] for op in seen}
        assert seen == expected, (key, reported[path], render(bench.mount, rules))
    for d, path in zip(DIRS, dirs, strict=True):
        listing = bench.allowed("LIST", f"{bench.mount}/{d}".rstrip("/"))
        assert listing == ("list" in reported[path]), (d, reported[path])


@settings(max_examples=10, **SETTINGS)
@given(
    rules=policies(),
    victim=st.sampled_from(KEYS),
    same_policy=st.booleans(),
)
def test_exact_deny_always_wins(
    bench: Bench, rules: list[tuple[str, tuple[str, ...]]], victim: str, same_policy: bool
) -> None:
    deny = render(bench.mount, [(victim, ("deny",))])
    grants = render(bench.mount, rules)
    if same_policy:
        bench.load(grants + deny, "")
    else:
        bench.load(grants, deny)
    path = f"{bench.mount}/{victim}"
    assert bench.capabilities([path])[path] == ["deny"], grants
    bench.must("PUT", path, {"seed": "1"})
    for method, data in (("GET", None), ("POST", {"v": "1"}), ("DELETE", None)):
        assert not bench.allowed(method, path, data), (method, grants)
    if not any(rule == victim + "/" for rule, _ in rules):
        # LIST asks about `victim/`; with no rule for exactly that, the deny of `victim` wins
        assert bench.capabilities([path + "/"])[path + "/"] == ["deny"], grants
        assert not bench.allowed("LIST", path), grants
