"""The chain format and its verifier (``vab_client.audit_chain``), without a server."""

from __future__ import annotations

import io
import json
import secrets

from hypothesis import given, settings
from hypothesis import strategies as st
from vab_client.audit_chain import (
    GENESIS,
    ChainHead,
    chain_mac,
    parse_line,
    seal_line,
    verify_lines,
)

KEY = bytes.fromhex("11" * 32)


def build(count: int, key: bytes = KEY, prefix: bytes = b"", start_seq: int = 1,
          prev: str = GENESIS) -> tuple[list[bytes], ChainHead]:  # fmt: skip
    """``count`` chained lines (the first one starts the file), and the head after them."""
    lines: list[bytes] = []
    mac = prev
    for index in range(count):
        seq = start_seq + index
        body = json.dumps({"time": f"t{seq}", "type": "request", "n": seq}).encode()
        line, mac = seal_line(prefix, body, key, seq, mac, index == 0)
        lines.append(line)
    return lines, ChainHead(start_seq + count - 1, mac, start_seq, prev)


def check(
    lines: list[bytes], key: bytes = KEY, head: ChainHead | None = None, rotated: bool = False
):
    return verify_lines(io.BytesIO(b"".join(lines)), key, head, rotated=rotated)


def test_lines_are_json_with_the_chain_member_last() -> None:
    lines, head = build(3, prefix=b"AUDIT ")
    first = json.loads(lines[0][len(b"AUDIT ") :])
    assert list(first)[-1] == "chain"
    assert first["chain"] == {"seq": 1, "prev": GENESIS, "hmac": first["chain"]["hmac"]}
    second = json.loads(lines[1][len(b"AUDIT ") :])
    assert set(second["chain"]) == {"seq", "hmac"}
    assert check(lines, head=head).ok
    parsed = parse_line(lines[1][:-1])
    assert parsed is not None and parsed.signed.startswith(b"AUDIT {")
    assert chain_mac(KEY, 2, first["chain"]["hmac"], False, parsed.signed) == parsed.hmac


def test_a_valid_file_verifies_with_and_without_the_head() -> None:
    lines, head = build(10)
    result = check(lines, head=head)
    assert result.ok and result.head_checked and (result.first_seq, result.last_seq) == (1, 10)
    assert check(lines).ok and not check(lines).head_checked


def test_an_edited_line_fails_at_that_line() -> None:
    lines, head = build(6)
    lines[3] = lines[3].replace(b'"n": 4', b'"n": 5')
    result = check(lines, head=head)
    assert not result.ok and result.failed_line == 4 and result.problem == "edited"


def test_an_edited_chain_member_fails_at_that_line() -> None:
    lines, _ = build(6)
    lines[2] = lines[2].replace(b'"seq":3', b'"seq":9')
    result = check(lines)
    assert not result.ok and result.failed_line == 3


def test_a_deleted_line_fails_where_it_was() -> None:
    lines, head = build(6)
    del lines[2]
    result = check(lines, head=head)
    assert not result.ok and result.failed_line == 3 and result.problem == "missing"


def test_deleting_the_first_line_is_detected() -> None:
    lines, _ = build(4)
    result = check(lines[1:])
    assert not result.ok and result.failed_line == 1 and result.problem == "missing"


def test_reordered_lines_fail_at_the_first_moved_line() -> None:
    lines, head = build(6)
    lines[2], lines[3] = lines[3], lines[2]
    result = check(lines, head=head)
    assert not result.ok and result.failed_line == 3
    lines, _ = build(6)
    lines.append(lines[1])  # a repeated line
    result = check(lines)
    assert not result.ok and result.failed_line == 7 and result.problem == "reordered"


def test_a_cut_tail_is_detected_with_the_head_only() -> None:
    lines, head = build(8)
    result = check(lines[:5], head=head)
    assert not result.ok and result.failed_line == 6 and result.problem == "truncated"
    assert check(lines[:5]).ok  # without the head a clean cut cannot be seen
    torn = [*lines[:5], lines[5][:-10]]
    result = check(torn)
    assert not result.ok and result.failed_line == 6 and result.problem == "truncated"


def test_recomputing_the_chain_with_another_key_does_not_pass() -> None:
    lines, head = build(5)
    forged, _ = build(5, key=secrets.token_bytes(32))
    assert not check(forged, head=head).ok
    assert not check(forged).ok
    assert check(forged, head=head).failed_line == 1
    assert not check(lines, key=b"\x00" * 32).ok


def test_a_rotated_file_verifies_against_the_head_of_the_next_segment() -> None:
    old, old_head = build(5)
    new, head = build(4, start_seq=6, prev=old_head.hmac)
    # the new file starts a segment (its first line has prev): it verifies as a rotated file
    assert check(new, head=head, rotated=True).ok
    assert check(new, rotated=True).ok
    assert check(old, head=head).ok  # the old file ends where the current segment begins
    assert not check(old[:-1], head=head).ok  # ... and its own cut tail is still detected


def test_a_file_beginning_after_seq_1_needs_to_be_called_rotated() -> None:
    _, old_head = build(5)
    new, head = build(4, start_seq=6, prev=old_head.hmac)
    for with_head in (head, None):
        result = check(new, head=with_head)
        assert not result.ok and (result.failed_line, result.problem) == (1, "segment")
        assert "seq 1-5 are not in this file" in result.message and "-rotated" in result.message
    forged = [new[0].replace(b'"n": 6', b'"n": 7'), *new[1:]]
    result = check(forged)  # an edited first line is reported as edited
    assert not result.ok and (result.failed_line, result.problem) == (1, "edited")


def test_a_file_cut_at_its_start_fails_even_as_a_rotated_file() -> None:
    lines, head = build(8)
    for cut in (1, 3):
        for with_head in (head, None):
            result = check(lines[cut:], head=with_head, rotated=True)
            assert not result.ok and (result.failed_line, result.problem) == (1, "missing")


def test_the_head_must_be_the_line_in_the_file() -> None:
    lines, head = build(5)
    other = ChainHead(head.seq, "ab" * 32, head.segment_seq, head.segment_prev)
    result = check(lines, head=other)
    assert not result.ok and result.failed_line == 5 and result.problem == "head"


def test_lines_after_the_head_are_accepted() -> None:
    lines, _ = build(8)
    _, early_head = build(5)
    assert check(lines, head=early_head).ok


def test_an_empty_file() -> None:
    assert check([]).ok
    _, head = build(2)
    assert not check([], head=head).ok


def test_garbage_and_foreign_lines_fail() -> None:
    lines, _ = build(3)
    result = check([*lines[:1], b'{"time":"x","type":"request"}\n', *lines[1:]])
    assert not result.ok and result.failed_line == 2 and result.problem == "malformed"
    result = check([b"not json at all\n", *lines])
    assert not result.ok and result.failed_line == 1


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(min_value=2, max_value=12),
    data=st.data(),
)
def test_any_single_change_is_reported_at_the_changed_line(count, data) -> None:
    lines, head = build(count)
    index = data.draw(st.integers(min_value=0, max_value=count - 1))
    action = data.draw(st.sampled_from(["edit", "delete", "swap", "cut", "duplicate"]))
    changed = list(lines)
    if action == "edit":
        line = changed[index]
        pos = data.draw(st.integers(min_value=0, max_value=len(line) - 2))
        new = bytes([line[pos] ^ data.draw(st.integers(min_value=1, max_value=127))])
        if new == b"\n":
            new = b"x"
        changed[index] = line[:pos] + new + line[pos + 1 :]
        expected = index + 1
    elif action == "delete":
        del changed[index]
        expected = index + 1
    elif action == "swap":
        other = data.draw(
            st.integers(min_value=0, max_value=count - 1).filter(lambda i: i != index)
        )
        changed[index], changed[other] = changed[other], changed[index]
        expected = min(index, other) + 1
    elif action == "cut":
        changed = changed[:index]
        expected = index + 1
    else:
        changed.insert(index + 1, changed[index])
        expected = index + 2
    result = check(changed, head=head)
    assert not result.ok
    assert result.failed_line == expected, (action, index, result)
