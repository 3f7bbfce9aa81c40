"""``cubbyhole/`` and ``sys/tools/*`` (answers checked against OpenBao 2.7)."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.system.conftest import Sys
from vault_agent_backend.builtin.system.tools import decode_std_base64

MULTI = "1 error occurred:\n\t* {}\n\n"


def test_cubbyhole_crud_and_listing(sysv: Sys) -> None:
    assert sysv.post("cubbyhole/a/b", {"k": "v"}).status == 204
    assert sysv.post("cubbyhole/a/c", {"n": {"x": [1, 2]}, "ttl": "1h"}).status == 204
    assert sysv.get("cubbyhole/a/b").data == {"k": "v"}
    assert sysv.get("cubbyhole/a/c").body["lease_duration"] == 0
    assert sysv.list("cubbyhole/").data == {"keys": ["a/"]}
    assert sysv.list("cubbyhole/a").data == {"keys": ["b", "c"]}
    assert sysv.get("cubbyhole/a?list=true").data == {"keys": ["b", "c"]}
    assert sysv.get("cubbyhole/a").status == 404
    assert sysv.list("cubbyhole/zz").status == 404
    assert sysv.delete("cubbyhole/a/b").status == 204
    assert sysv.delete("cubbyhole/zz").status == 204
    assert sysv.get("cubbyhole/a/b").status == 404


def test_cubbyhole_errors(sysv: Sys) -> None:
    empty = sysv.post("cubbyhole/x", {})
    assert (empty.status, empty.errors) == (400, [MULTI.format("missing data fields")])
    assert sysv.call("POST", "cubbyhole/x", raw=b"").errors == [MULTI.format("missing data fields")]
    slash = sysv.post("cubbyhole/x/", {"k": "v"})
    assert (slash.status, slash.errors) == (400, ["cannot write to a path ending in '/'"])
    assert sysv.get("cubbyhole/").errors == [MULTI.format("missing path")]
    patch = sysv.call(
        "PATCH", "cubbyhole/x", raw=b'{"a":1}', content_type="application/merge-patch+json"
    )
    assert patch.status == 405
    assert sysv.get("cubbyhole/x", token=None).errors == ["permission denied"]


def test_cubbyhole_is_private_and_dies_with_the_token(sysv: Sys) -> None:
    child, _ = sysv.token(["default"])
    assert sysv.post("cubbyhole/secret", {"v": "child"}, token=child).status == 204
    assert sysv.get("cubbyhole/secret").status == 404
    assert sysv.get("cubbyhole/secret", token=child).data == {"v": "child"}
    assert sysv.post("auth/token/revoke", {"token": child}).status == 204
    other, _ = sysv.token(["default"])
    assert sysv.list("cubbyhole/", token=other).status == 404


def test_cubbyhole_read_warns_about_unknown_query_parameters(sysv: Sys) -> None:
    sysv.post("cubbyhole/q", {"k": "v"})
    reply = sysv.get("cubbyhole/q?x=1")
    assert reply.warnings == ["Endpoint ignored these unrecognized parameters: [x]"]


@pytest.mark.parametrize(
    ("path", "body", "expected"),
    [
        ("sys/tools/hash", {"input": "aGVsbG8="}, hashlib.sha256(b"hello").hexdigest()),
        ("sys/tools/hash", {}, hashlib.sha256(b"").hexdigest()),
        (
            "sys/tools/hash/sha2-512",
            {"input": "aGVsbG8=", "format": "base64"},
            base64.b64encode(hashlib.sha512(b"hello").digest()).decode(),
        ),
        (
            "sys/tools/hash",
            {"input": "aGVsbG8=", "algorithm": "sha3-256"},
            hashlib.sha3_256(b"hello").hexdigest(),
        ),
        (
            "sys/tools/hash/sha2-224",
            {"input": "aGVsbG8=", "algorithm": "sha3-256"},
            hashlib.sha224(b"hello").hexdigest(),
        ),
        ("sys/tools/hash/sha3-224", {"input": "aGVsbG8="}, hashlib.sha3_224(b"hello").hexdigest()),
        ("sys/tools/hash/sha3-384", {"input": "aGVsbG8="}, hashlib.sha3_384(b"hello").hexdigest()),
        ("sys/tools/hash/sha3-512", {"input": "aGVsbG8="}, hashlib.sha3_512(b"hello").hexdigest()),
        ("sys/tools/hash/sha2-384", {"input": "aGVsbG8="}, hashlib.sha384(b"hello").hexdigest()),
    ],
)
def test_hash(sysv: Sys, path: str, body: dict, expected: str) -> None:
    reply = sysv.post(path, body)
    assert reply.status == 200 and reply.data == {"sum": expected}


@pytest.mark.parametrize(
    ("path", "body", "error"),
    [
        ("sys/tools/hash", {"input": "hello"}, "illegal base64 data at input byte 4"),
        ("sys/tools/hash", {"input": 123}, "illegal base64 data at input byte 0"),
        ("sys/tools/hash/md5", {"input": "aGVsbG8="}, "unsupported algorithm md5"),
        ("sys/tools/hash/sha2-256/x", {}, "unsupported algorithm sha2-256/x"),
        ("sys/tools/hash", {"format": "hexx"}, 'unsupported encoding format hexx; must be "hex"'),
        ("sys/tools/random", {"bytes": 0}, "'bytes' cannot be less than 1"),
        ("sys/tools/random", {"bytes": -1}, "'bytes' cannot be less than 1"),
        ("sys/tools/random", {"bytes": 131073}, "'bytes' should be less than 131072"),
        ("sys/tools/random/0", {}, "'bytes' cannot be less than 1"),
        ("sys/tools/random/abc", {}, 'strconv.Atoi: parsing "abc": invalid syntax'),
        ("sys/tools/random/foo/8", {}, 'unsupported entropy source "foo"'),
        ("sys/tools/random", {"format": "b32"}, 'unsupported encoding format "b32"'),
        ("sys/tools/random", {"bytes": "abc"}, 'error converting input for field "bytes"'),
    ],
)
def test_tools_errors(sysv: Sys, path: str, body: dict, error: str) -> None:
    reply = sysv.post(path, body)
    assert reply.status == 400 and error in reply.errors[0], reply.text


@pytest.mark.parametrize(
    ("path", "body", "size", "warned"),
    [
        ("sys/tools/random", {}, 32, False),
        ("sys/tools/random/8", {"format": "hex"}, 8, False),
        ("sys/tools/random/platform/8", {}, 8, False),
        ("sys/tools/random/all/8", {}, 8, False),
        ("sys/tools/random/seal/8", {}, 8, True),
        ("sys/tools/random/platform", {"bytes": 4}, 4, False),
        ("sys/tools/random/8", {"bytes": 16}, 8, False),
        ("sys/tools/random/-1", {}, 32, False),
        ("sys/tools/random", {"bytes": 131072}, 131072, False),
        ("sys/tools/random", {"bytes": "12"}, 12, False),
    ],
)
def test_random(sysv: Sys, path: str, body: dict, size: int, warned: bool) -> None:
    reply = sysv.post(path, body)
    assert reply.status == 200, reply.text
    text = reply.data["random_bytes"]
    raw = bytes.fromhex(text) if body.get("format") == "hex" else base64.b64decode(text)
    assert len(raw) == size
    assert bool(reply.warnings) == warned


def test_tools_need_update(sysv: Sys) -> None:
    assert sysv.get("sys/tools/hash").status == 405
    token, _ = sysv.token(["default"])
    assert sysv.post("sys/tools/hash/sha2-512", {}, token=token).status == 200
    assert sysv.post("sys/tools/random", {}, token=token).status == 403


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("aGVsbG8=", None),
        ("aGVs\nbG8=", None),
        ("aGVsbA==", None),
        ("", None),
        ("hello", "illegal base64 data at input byte 4"),
        ("123", "illegal base64 data at input byte 0"),
        ("aGVs=bG8=", "illegal base64 data at input byte 4"),
        ("aGVsbA=", "illegal base64 data at input byte 7"),
        ("aGVsbA=x", "illegal base64 data at input byte 6"),
        ("aGVsbG8=x", "illegal base64 data at input byte 8"),
        ("aG!s", "illegal base64 data at input byte 2"),
        ("aGVsbG8", "illegal base64 data at input byte 4"),
    ],
)
def test_go_base64_errors(text: str, error: str | None) -> None:
    if error is None:
        assert decode_std_base64(text) == base64.b64decode(text.replace("\n", ""))
    else:
        with pytest.raises(ValueError, match=error):
            decode_std_base64(text)
