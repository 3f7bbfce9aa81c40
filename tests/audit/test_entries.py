"""What the file device writes: Vault's entry shape, hashing, options, what is not audited."""

from __future__ import annotations

from pathlib import Path

from vab_client.audit_chain import verify_lines

from tests.audit.conftest import Server, by_request, entries

SECRET = "s3cr3t-Value-42"


def hash_of(server: Server, device: str, value: str) -> str:
    return server.call("PUT", f"sys/audit-hash/{device}", {"input": value}).data["hash"]


def test_request_and_response_entries_have_vaults_shape(server: Server) -> None:
    path = server.enable("file")
    reply = server.call("PUT", "secret/data/app", {"data": {"password": SECRET, "n": 5}})
    request_id = reply.body["request_id"]
    request, response = by_request(path, request_id)
    assert [request["type"], response["type"]] == ["request", "response"]
    assert list(request)[:4] == ["time", "type", "auth", "request"]
    assert request["time"].endswith("Z") and "T" in request["time"]
    auth = request["auth"]
    assert auth["client_token"] == hash_of(server, "file", "root")
    assert auth["accessor"].startswith("hmac-sha256:")
    assert auth["display_name"] == "token" and auth["policies"] == ["root"]
    assert auth["token_policies"] == ["root"] and auth["token_type"] == "service"
    assert auth["policy_results"] == {
        "allowed": True,
        "granting_policies": [{"name": "root", "namespace_id": "root", "type": "acl"}],
    }
    req = request["request"]
    assert req["id"] == request_id and req["operation"] == "create"
    assert (req["mount_point"], req["mount_type"], req["mount_class"]) == (
        "secret/",
        "kv",
        "secret",
    )
    assert req["mount_accessor"].startswith("kv_")
    assert req["client_token"] == auth["client_token"]
    assert req["client_token_accessor"] == auth["accessor"]
    assert req["namespace"] == {"id": "root"} and req["path"] == "secret/data/app"
    assert req["data"] == {"data": {"password": hash_of(server, "file", SECRET), "n": 5}}
    assert req["remote_address"] == "127.0.0.1"
    assert "error" not in request and "response" not in request
    assert response["request"]["id"] == request_id
    resp = response["response"]
    assert resp["mount_type"] == "kv" and resp["data"]["version"] == 1
    text = path.read_text()
    assert SECRET not in text and '"client_token":"root"' not in text


def test_denied_and_unauthenticated_requests_are_audited(server: Server) -> None:
    path = server.enable("file")
    bogus = server.call("GET", "secret/data/app", token="not-a-token")
    assert bogus.status == 403
    no_token = server.call("GET", "secret/data/app", token=None)
    assert no_token.status == 403
    server.call(
        "PUT", "sys/policies/acl/none", {"policy": 'path "x/*" { capabilities = ["read"] }'}
    )
    limited = server.call("POST", "auth/token/create", {"policies": ["none"]}).body["auth"]
    denied = server.call("GET", "secret/data/app", token=limited["client_token"])
    assert denied.status == 403
    found = [e for e in entries(path) if e["request"].get("path") == "secret/data/app"]
    assert len(found) == 6
    invalid_req, invalid_resp = found[0], found[1]
    assert invalid_req["auth"] == {"token_type": "default"}
    assert invalid_req["error"] == "permission denied"
    assert invalid_req["request"]["client_token"] == hash_of(server, "file", "not-a-token")
    assert invalid_resp["response"]["data"]["error"].startswith("hmac-sha256:")
    assert "client_token" not in found[2]["request"]  # no token at all
    acl_req, acl_resp = found[4], found[5]
    assert acl_req["auth"]["policy_results"] == {"allowed": False}
    assert acl_req["auth"]["policies"] == ["default", "none"]
    assert acl_req["error"] == "permission denied"
    assert "permission denied" in acl_resp["error"]
    text = path.read_text()
    assert "not-a-token" not in text and limited["client_token"] not in text
    assert limited["accessor"] not in text


def test_login_response_tokens_are_hashed(server: Server) -> None:
    path = server.enable("file")
    created = server.call(
        "POST", "auth/token/create", {"policies": ["default"], "meta": {"team": "a"}}
    )
    token, accessor = created.body["auth"]["client_token"], created.body["auth"]["accessor"]
    response = by_request(path, created.body["request_id"])[1]["response"]
    assert response["auth"]["client_token"] == hash_of(server, "file", token)
    assert response["auth"]["accessor"] == hash_of(server, "file", accessor)
    assert response["auth"]["metadata"] == {"team": "a"}  # metadata stays clear, as in Vault
    looked = server.call("POST", "auth/token/lookup", {"token": token})
    lookup = by_request(path, looked.body["request_id"])
    assert lookup[0]["request"]["data"]["token"] == hash_of(server, "file", token)
    assert token not in path.read_text() and accessor not in path.read_text()


def test_wrapped_and_raw_responses_are_hashed(server: Server) -> None:
    path = server.enable("file")
    resp = server.client.open(
        "/v1/sys/wrapping/wrap",
        method="POST",
        json={"password": SECRET},
        headers={"X-Vault-Token": "root", "X-Vault-Wrap-TTL": "60"},
    )
    wrap = resp.get_json()["wrap_info"]
    logged = entries(path)[-1]["response"]["wrap_info"]
    assert logged["token"] == hash_of(server, "file", wrap["token"])
    assert logged["accessor"] == hash_of(server, "file", wrap["accessor"])
    assert logged["ttl"] == 60
    health_like = server.call("GET", "sys/init")
    assert health_like.status == 200
    text = path.read_text()
    assert wrap["token"] not in text and SECRET not in text


def test_unaudited_paths(server: Server) -> None:
    path = server.enable("file")
    before = len(entries(path))
    for p in ("sys/health", "sys/seal-status", "sys/init", "sys/leader"):
        server.call("GET", p)
    assert len(entries(path)) == before
    server.call("GET", "sys/mounts")
    assert len(entries(path)) == before + 2


def test_hmac_accessor_off_and_log_raw(server: Server) -> None:
    plain = server.enable("plain", hmac_accessor="false")
    raw = server.enable("raw", log_raw="true")
    created = server.call("POST", "auth/token/create", {"policies": ["default"]})
    token, accessor = created.body["auth"]["client_token"], created.body["auth"]["accessor"]
    plain_resp = by_request(plain, created.body["request_id"])[1]
    assert plain_resp["response"]["auth"]["accessor"] == accessor
    assert plain_resp["response"]["auth"]["client_token"] == hash_of(server, "plain", token)
    raw_resp = by_request(raw, created.body["request_id"])[1]
    assert raw_resp["response"]["auth"]["client_token"] == token  # log_raw: nothing hashed
    assert raw_resp["auth"]["client_token"] == "root"


def test_prefix_and_elide_list_responses(server: Server, tmp_path: Path) -> None:
    path = server.enable("file", prefix="@cee: ", elide_list_responses="true")
    server.call("PUT", "secret/data/a", {"data": {"x": "1"}})
    server.call("PUT", "secret/data/b", {"data": {"x": "1"}})
    listed = server.call("LIST", "secret/metadata")
    assert listed.data["keys"] == ["a", "b"]
    response = [
        e for e in entries(path, "@cee: ") if e["request"]["id"] == listed.body["request_id"]
    ]
    assert response[1]["response"]["data"]["keys"] == 2
    key = bytes.fromhex(server.call("GET", "sys/audit/file/chain-key").data["key"])
    with path.open("rb") as handle:
        assert verify_lines(handle, key).ok  # the prefix is covered by the chain


def test_non_hmac_keys_of_a_mount(server: Server) -> None:
    path = server.enable("file")
    server.call("POST", "sys/mounts/kv1", {"type": "kv", "options": {"version": "1"}})
    server.call(
        "POST",
        "sys/mounts/kv1/tune",
        {"audit_non_hmac_request_keys": ["visible"], "audit_non_hmac_response_keys": ["shown"]},
    )
    assert server.call("PUT", "kv1/x", {"visible": "clear-in", "hidden": "secret-in"}).status == 204
    request = next(e["request"] for e in entries(path) if e["request"]["path"] == "kv1/x")
    assert request["data"]["visible"] == "clear-in"
    assert request["data"]["hidden"] == hash_of(server, "file", "secret-in")
    server.call("PUT", "kv1/y", {"shown": "clear-out"})
    read = server.call("GET", "kv1/y")
    response = by_request(path, read.body["request_id"])[1]["response"]
    assert response["data"] == {"shown": "clear-out"}


def test_every_device_gets_every_entry(server: Server) -> None:
    one = server.enable("one")
    two = server.enable("two")
    reply = server.call("GET", "sys/mounts")
    assert len(by_request(one, reply.body["request_id"])) == 2
    assert len(by_request(two, reply.body["request_id"])) == 2
    assert server.call("DELETE", "sys/audit/two").status == 204
    kinds = [
        e["type"]
        for e in entries(two)
        if e["request"].get("path") == "sys/audit/two" and e["request"]["operation"] == "delete"
    ]
    assert kinds == ["request"]  # the disabled device does not get the response entry
    after = server.call("GET", "sys/mounts")
    assert by_request(two, after.body["request_id"]) == []
    assert len(by_request(one, after.body["request_id"])) == 2


def test_wrongly_typed_secrets_stay_out_of_the_error_member(server: Server) -> None:
    """A password or token sent as a list or map is refused (400) with a message naming the
    types, not the value: the message is the entry's ``error``, which is not hashed."""
    path = server.enable("file")
    assert server.call("POST", "sys/auth/userpass", {"type": "userpass"}).status == 204
    assert server.call("POST", "auth/userpass/users/bob", {"password": SECRET}).status == 204
    sent = [
        ("auth/userpass/login/bob", {"password": [SECRET, "x"]}, None),
        ("auth/userpass/login/bob", {"password": {"p": SECRET}}, None),
        ("auth/token/lookup", {"token": [SECRET]}, "root"),
    ]
    for where, body, token in sent:
        reply = server.call("POST", where, body, token=token)
        assert reply.status == 400, reply
        message = reply.errors[0]
        assert "expected type 'string', got unconvertible type" in message, message
        assert SECRET not in message
    text = path.read_text()
    assert "unconvertible type" in text  # the refusals were audited ...
    assert SECRET not in text  # ... without the value
