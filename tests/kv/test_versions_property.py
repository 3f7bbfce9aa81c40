"""Property: any sequence of put / patch / delete / undelete / destroy / metadata-delete leaves
a KV v2 secret in the same version states as a small reference model."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.kv.inprocess import KVServer

_SERVER: KVServer | None = None
_COUNTER = itertools.count()


def server() -> KVServer:
    """One in-process server for all examples (each example uses its own secret path)."""
    global _SERVER
    if _SERVER is None:
        _SERVER = KVServer()
    return _SERVER


@dataclass
class Version:
    data: dict[str, str]
    deleted: bool = False
    destroyed: bool = False

    @property
    def live(self) -> bool:
        return not (self.deleted or self.destroyed)


@dataclass
class Model:
    """What Vault's KV v2 keeps for one secret."""

    keep: int = 10
    exists: bool = False
    current: int = 0
    oldest: int = 0
    versions: dict[int, Version] = field(default_factory=dict)

    def _add(self, data: dict[str, str]) -> None:
        self.exists = True
        self.current += 1
        self.versions[self.current] = Version(dict(data))
        if self.current - self.oldest >= self.keep:
            last = self.current - self.keep
            for number in range(self.oldest, last + 1):
                self.versions.pop(number, None)
            self.oldest = last + 1

    def put(self, data: dict[str, str], cas: int | None) -> int:
        if cas is not None and cas != self.current:
            return 400
        self._add(data)
        return 200

    def patch(self, patch: dict[str, str | None]) -> int:
        version = self.versions.get(self.current)
        if not self.exists or version is None or not version.live:
            return 404
        merged = dict(version.data)
        for key, value in patch.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        self._add(merged)
        return 200

    def delete_latest(self) -> int:
        version = self.versions.get(self.current)
        if version is not None and version.live:
            version.deleted = True
        return 204

    def delete(self, numbers: list[int]) -> int:
        for number in numbers:
            version = self.versions.get(number)
            if version is not None and version.live:
                version.deleted = True
        return 204

    def undelete(self, numbers: list[int]) -> int:
        for number in numbers:
            version = self.versions.get(number)
            if version is not None and not version.destroyed:
                version.deleted = False
        return 204

    def destroy(self, numbers: list[int]) -> int:
        for number in numbers:
            if number in self.versions:
                self.versions[number].destroyed = True
        return 204

    def delete_metadata(self) -> int:
        self.exists, self.current, self.oldest, self.versions = False, 0, 0, {}
        return 204


values = st.text("xyz", min_size=1, max_size=2)
data_st = st.dictionaries(st.sampled_from("abc"), values, max_size=3)
patch_st = st.dictionaries(st.sampled_from("abcd"), st.none() | values, max_size=3)
KINDS = [
    "put",
    "put",
    "patch",
    "delete_latest",
    "delete",
    "undelete",
    "destroy",
    "delete_metadata",
]


def draw_operation(draw: st.DrawFn, model: Model) -> tuple[Any, ...]:
    """One operation, with version numbers mostly among the ones the secret has."""
    kind = draw(st.sampled_from(KINDS))
    if kind == "put":
        cas = draw(st.none() | st.none() | st.integers(0, model.current + 1))
        return (kind, draw(data_st), cas)
    if kind == "patch":
        return (kind, draw(patch_st))
    if kind in ("delete", "undelete", "destroy"):
        near = st.integers(0, model.current + 1)
        known = st.sampled_from(sorted(model.versions)) if model.versions else near
        return (kind, draw(st.lists(known | known | near, min_size=1, max_size=3)))
    return (kind,)


def apply(vab: KVServer, path: str, op: tuple[Any, ...]) -> int:
    """Send one operation to the server; return the status."""
    kind = op[0]
    if kind == "put":
        return vab.put(path, op[1], cas=op[2]).status
    if kind == "patch":
        return vab.call("PATCH", f"secret/data/{path}", {"data": op[1]}).status
    if kind == "delete_latest":
        return vab.call("DELETE", f"secret/data/{path}").status
    if kind in ("delete", "undelete", "destroy"):
        return vab.call("POST", f"secret/{kind}/{path}", {"versions": op[1]}).status
    return vab.call("DELETE", f"secret/metadata/{path}").status


def check_state(vab: KVServer, path: str, model: Model) -> None:
    """The server's metadata and every version's readability match the model."""
    meta = vab.metadata(path)
    if not model.exists:
        assert meta.status == 404
        return
    assert meta.status == 200
    assert meta.data["current_version"] == model.current
    assert meta.data["oldest_version"] == model.oldest
    assert sorted(int(n) for n in meta.data["versions"]) == sorted(model.versions)
    for number, version in model.versions.items():
        shown = meta.data["versions"][str(number)]
        assert shown["destroyed"] == version.destroyed
        assert (shown["deletion_time"] != "") == version.deleted
        read = vab.get(path, version=number)
        if version.live:
            assert (read.status, read.data["data"]) == (200, version.data)
        else:
            assert read.status == 404
            assert read.data["metadata"]["destroyed"] == version.destroyed
    latest = vab.get(path)
    current = model.versions.get(model.current)
    assert latest.status == (200 if current is not None and current.live else 404)


@settings(deadline=None, derandomize=True, max_examples=50)
@given(keep=st.sampled_from([0, 2, 3]), steps=st.integers(3, 20), data=st.data())
def test_version_states_follow_the_model(keep: int, steps: int, data: st.DataObject) -> None:
    vab = server()
    path = f"prop/{next(_COUNTER)}"
    model = Model(keep=keep or 10)
    if keep:
        assert vab.call("POST", f"secret/metadata/{path}", {"max_versions": keep}).status == 204
        model.exists = True
    for _ in range(steps):
        op = data.draw(st.composite(lambda draw: draw_operation(draw, model))())
        expected = getattr(model, op[0])(*op[1:])
        if op[0] == "delete_metadata":
            model.keep = 10  # the secret's own max_versions goes away with its metadata
        assert apply(vab, path, op) == expected, op
        check_state(vab, path, model)
