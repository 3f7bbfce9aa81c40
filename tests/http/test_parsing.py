"""JSON bodies decoded as Go's ``encoding/json`` decodes them (see ``http/parsing.py``)."""

from __future__ import annotations

import pytest

from tests.kv.inprocess import KVServer

ROOT = {"X-Vault-Token": "root", "Content-Type": "application/json"}
FFFD = "\ufffd"


@pytest.fixture
def vab() -> KVServer:
    """A dev core with ``secret/`` (KV v2) behind Flask's test client."""
    return KVServer()


@pytest.mark.parametrize(
    ("body", "stored"),
    [
        (rb'{"data":{"a":"\ud800"}}', {"a": "\ufffd"}),
        (rb'{"data":{"a":"\uDBFF\uDFFF"}}', {"a": "\U0010ffff"}),
        (rb'{"data":{"a":"\udc00\ud800"}}', {"a": "\ufffd\ufffd"}),
        (rb'{"data":{"a":"\ud800\ud800\udc00"}}', {"a": "\ufffd\U00010000"}),
        (rb'{"data":{"a":"\ud800\u0041"}}', {"a": "\ufffdA"}),
        (rb'{"data":{"a":"\\ud800"}}', {"a": "\\ud800"}),
        (rb'{"data":{"a":"\\\ud800"}}', {"a": "\\\ufffd"}),
        (rb'{"data":{"\ud800":1,"\udc00":2,"\ud800":3}}', {"\ufffd": 3}),
        (rb'{"data":{"a":["\udfff",{"\udbff":"\ud800"}]}}', {"a": [FFFD, {FFFD: FFFD}]}),
        (b'{"data":{"a":"\xed\xa0\x80"}}', {"a": "\ufffd" * 3}),
        (b'{"data":{"a":"\xe6\x97A\xf0\x9f\x98\xff"}}', {"a": "\ufffd\ufffdA" + "\ufffd" * 4}),
        ('{"data":{"a":"\u00e9\U0001f600"}}'.encode(), {"a": "\u00e9\U0001f600"}),
    ],
    ids=[
        "lone",
        "pair",
        "reversed",
        "high-then-pair",
        "high-then-letter",
        "escaped-backslash",
        "escaped-backslash-then-lone",
        "duplicate-keys",
        "nested-and-keys",
        "utf8-surrogate",
        "bad-utf8",
        "good-utf8",
    ],
)
def test_strings_decode_as_in_go(vab: KVServer, body: bytes, stored: dict) -> None:
    """Lone surrogate escapes and bytes that are not UTF-8 become U+FFFD (one per byte)."""
    response = vab.client.post("/v1/secret/data/s", data=body, headers=ROOT)
    assert response.status_code == 200, response.get_json()
    assert vab.call("GET", "secret/data/s").data["data"] == stored


@pytest.mark.parametrize(
    "body",
    [
        '{"data":{"a":"x"}}'.encode("utf-16"),
        '{"data":{"a":"x"}}'.encode("utf-32-le"),
        b'\xef\xbb\xbf{"data":{"a":"x"}}',
        b'{"data":{"a":"x"}}\xff',
    ],
    ids=["utf-16", "utf-32", "bom", "trailing-byte"],
)
def test_only_utf8_json_is_read(vab: KVServer, body: bytes) -> None:
    """Go detects no other encoding (Python's ``json.loads`` would read UTF-16/32)."""
    response = vab.client.post("/v1/secret/data/s", data=body, headers=ROOT)
    assert response.status_code == 400
    assert response.get_json()["errors"][0].startswith("failed to parse JSON input")
