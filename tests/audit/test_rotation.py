"""Log rotation, crashes between the write and the head update, torn lines."""

from __future__ import annotations

from pathlib import Path

from vab_client.audit_chain import ChainHead, seal_line, verify_lines

from tests.audit.conftest import Server, entries


def chain(server: Server, device: str = "file") -> tuple[bytes, ChainHead]:
    info = server.call("GET", f"sys/audit/{device}/chain-key").data
    return bytes.fromhex(info["key"]), ChainHead(**info["head"])


def verify(path: Path, key: bytes, head: ChainHead | None):
    with path.open("rb") as handle:
        return verify_lines(handle, key, head)


def test_a_rotated_file_continues_the_chain(server: Server) -> None:
    path = server.enable("file")
    server.call("GET", "sys/mounts")
    rotated = path.with_suffix(".log.1")
    path.rename(rotated)  # as logrotate does; the server notices on its next write
    server.call("GET", "sys/mounts")
    key, head = chain(server)
    first_new = entries(path)[0]["chain"]
    last_old = entries(rotated)[-1]["chain"]
    assert first_new["seq"] == last_old["seq"] + 1 and first_new["prev"] == last_old["hmac"]
    assert verify(path, key, head).ok
    assert verify(rotated, key, head).ok  # ends exactly where the current file begins
    lines = rotated.read_bytes().splitlines(keepends=True)
    rotated.write_bytes(b"".join(lines[:-1]))
    result = verify(rotated, key, head)
    assert not result.ok and result.problem == "truncated"


def test_a_file_emptied_in_place_starts_a_new_segment(server: Server) -> None:
    path = server.enable("file")
    path.write_bytes(b"")
    server.call("GET", "sys/mounts")
    key, head = chain(server)
    assert verify(path, key, head).ok
    assert entries(path)[0]["chain"]["seq"] > 1


def test_a_line_written_before_a_crash_is_adopted(server: Server) -> None:
    path = server.enable("file")
    key, _ = chain(server)
    # a line written by a worker that died before recording it as the head: the next seq,
    # chained to the file's last line
    last = entries(path)[-1]["chain"]
    body = b'{"time":"2025-01-01T00:00:00Z","type":"response","request":{"id":"crash"}}'
    line, _ = seal_line(b"", body, key, last["seq"] + 1, last["hmac"], False)
    with path.open("ab") as handle:
        handle.write(line)
    store = server.core.hooks["audit"].find("file").store
    state = store.load()
    assert state.seq == last["seq"]  # the head does not know the line
    server.call("GET", "sys/mounts")
    key, head = chain(server)
    assert verify(path, key, head).ok
    assert any(e["request"].get("id") == "crash" for e in entries(path))


def test_a_torn_line_is_reported_and_writing_goes_on(server: Server) -> None:
    path = server.enable("file")
    with path.open("ab") as handle:
        handle.write(b'{"time":"2025-01-01T00:00:00Z","type":"req')  # a write cut by a crash
    server.call("GET", "sys/mounts")
    key, head = chain(server)
    lines = path.read_bytes().splitlines(keepends=True)
    torn = next(i for i, line in enumerate(lines, 1) if b'"type":"req\n' in line)
    result = verify(path, key, head)
    assert not result.ok and result.failed_line == torn and result.problem == "truncated"
    assert lines[-1].endswith(b"}}\n")  # the lines after it are whole
