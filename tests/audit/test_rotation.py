"""Log rotation, crashes between the write and the head update, torn lines."""

from __future__ import annotations

from pathlib import Path

from vab_client.audit_chain import ChainHead, seal_line, verify_lines

from tests.audit.conftest import Server, entries
from vault_agent_backend.audit.sink import FileSink


def chain(server: Server, device: str = "file") -> tuple[bytes, ChainHead]:
    info = server.call("GET", f"sys/audit/{device}/chain-key").data
    return bytes.fromhex(info["key"]), ChainHead(**info["head"])


def verify(path: Path, key: bytes, head: ChainHead | None, rotated: bool = False):
    with path.open("rb") as handle:
        return verify_lines(handle, key, head, rotated=rotated)


def traffic(server: Server, count: int = 3) -> None:
    for index in range(count):
        assert server.call("PUT", f"secret/data/r{index}", {"data": {"v": "x"}}).status == 200


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
    assert (head.segment_seq, head.segment_prev) == (first_new["seq"], last_old["hmac"])
    assert verify(path, key, head, rotated=True).ok
    assert verify(path, key, None, rotated=True).ok
    # not without being told: the lines before it are elsewhere
    result = verify(path, key, head)
    assert not result.ok and (result.failed_line, result.problem) == (1, "segment")
    assert verify(rotated, key, head).ok  # ends exactly where the current file begins
    lines = rotated.read_bytes().splitlines(keepends=True)
    rotated.write_bytes(b"".join(lines[:-1]))
    result = verify(rotated, key, head)
    assert not result.ok and result.problem == "truncated"


def test_a_removed_file_is_followed_by_a_new_segment(server: Server) -> None:
    path = server.enable("file")
    traffic(server)
    path.unlink()
    traffic(server, 1)
    assert "prev" in entries(path)[0]["chain"]  # a new file: the server cannot tell a rotation
    key, head = chain(server)
    result = verify(path, key, head)  # ... so verify does not pass it unless told
    assert not result.ok and (result.failed_line, result.problem) == (1, "segment")
    assert verify(path, key, head, rotated=True).ok


def test_a_file_emptied_in_place_is_not_a_rotation(server: Server) -> None:
    path = server.enable("file")
    traffic(server)
    seq_before = entries(path)[-1]["chain"]["seq"]
    inode = path.stat().st_ino
    with path.open("r+b") as handle:  # `: > audit.log`: the same file, emptied
        handle.truncate(0)
    traffic(server, 1)
    assert path.stat().st_ino == inode
    first = entries(path)[0]["chain"]
    assert first["seq"] == seq_before + 1 and "prev" not in first  # the chain goes on
    key, head = chain(server)
    assert head.segment_seq == 1  # the file still began at seq 1
    for with_head in (head, None):
        for rotated in (False, True):
            result = verify(path, key, with_head, rotated)
            assert not result.ok, (with_head, rotated)
            assert (result.failed_line, result.problem) == (1, "missing"), result


def test_a_file_cut_in_place_is_reported_where_it_was_cut(server: Server) -> None:
    path = server.enable("file")
    traffic(server)
    lines = path.read_bytes().splitlines(keepends=True)
    with path.open("r+b") as handle:
        handle.truncate(len(b"".join(lines[:3])))
    traffic(server, 1)
    key, head = chain(server)
    result = verify(path, key, head, rotated=True)
    assert not result.ok and (result.failed_line, result.problem) == (4, "missing")


def test_another_worker_also_sees_the_file_was_emptied_in_place(server: Server) -> None:
    """The file's identity is in the chain head (storage), not in one process's memory: a
    worker that never had the file open does not take the emptied file for a new one."""
    path = server.enable("file")
    traffic(server)
    path.write_bytes(b"")  # truncates in place (same inode)
    device = server.core.hooks["audit"].find("file")
    other = FileSink(device.config)  # another worker process's sink
    try:
        other.append(b'{"type":"request","request":{"id":"w2"}}', device.chain_key, device.store)
    finally:
        other.close()
    first = entries(path)[0]
    assert first["request"]["id"] == "w2" and "prev" not in first["chain"]
    key, head = chain(server)
    result = verify(path, key, head, rotated=True)
    assert not result.ok and (result.failed_line, result.problem) == (1, "missing")


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
