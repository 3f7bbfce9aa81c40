"""Where a file device writes: a file, ``stdout`` or nowhere (``discard``).

One append is, under a per-sink thread lock and an exclusive ``flock`` (so threads and worker
processes take turns): read the chain head from storage, write the chained line, ``fdatasync``,
record the new head. If anything fails the file is cut back to its previous size, so no
torn or unrecorded line is left behind, and the caller sees the error (fail closed).

A file replaced or removed behind our back (log rotation: renamed away, or removed) is
noticed on the next write and reopened; the first line of a new, empty file starts a new
segment of the same chain (its line carries ``prev``). The head in storage names the file
(device and inode) its last line went to, so that a file emptied or cut *in place* (the same
inode, smaller than the offset we last wrote to -- ``: > audit.log``, or logrotate's
``copytruncate``) is told apart from a new file: that is not a rotation, the chain simply
continues, and ``vab audit verify`` reports the lines that were removed. (The old file is kept
open until the new one is, so that the new file cannot be given the old one's inode number.)
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import stat
import tempfile
import threading

from vab_client.audit_chain import chain_mac, parse_line, seal_line

from .chain import ChainState, ChainStore, chain_id
from .options import DeviceOptions

__all__ = ["DeviceClosed", "FileSink"]

log = logging.getLogger(__name__)

_OPEN_FLAGS = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
_RECOVER_LIMIT = 1 << 20
_SYNC = getattr(os, "fdatasync", os.fsync)
"""``fdatasync`` where there is one: the data and the new size reach the disk (what a reader
after a crash needs), without the other metadata an ``fsync`` also writes."""


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        if written <= 0:
            raise OSError("short write to the audit file")
        view = view[written:]


class DeviceClosed(Exception):
    """The device was disabled while a request was being audited (nothing written)."""


class FileSink:
    """Appends chained lines for one device (see the module docstring)."""

    def __init__(self, options: DeviceOptions):
        self.options = options
        self.target = options.file_path
        self.prefix = options.prefix.encode()
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._ident: tuple[int, int] | None = None
        self._lock_fd: int | None = None
        self._closed = False

    # ----- opening -----------------------------------------------------------------------------

    def check(self) -> None:
        """Open the target now (the sanity check when a device is enabled); raises OSError."""
        if self.target in ("stdout", "discard"):
            return
        with self._lock:
            self._open()

    def _open(self) -> int:
        path = self.target
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = os.open(path, _OPEN_FLAGS, self.options.mode or 0o600)
        try:
            st = os.fstat(fd)
            mode = self.options.mode
            if mode and stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) != mode:
                os.fchmod(fd, mode)
        except OSError:
            os.close(fd)
            raise
        self._close_fd()
        self._fd, self._ident = fd, (st.st_dev, st.st_ino)
        return fd

    def _close_fd(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
        self._fd, self._ident = None, None

    def _locked_file(self) -> int:
        """Our fd, opened and exclusively locked, still naming the file at our path."""
        for _ in range(5):
            fd = self._fd if self._fd is not None else self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(self.target)
                if (current.st_dev, current.st_ino) == self._ident:
                    return fd
            except FileNotFoundError:
                pass
            fcntl.flock(fd, fcntl.LOCK_UN)
            # rotated or removed: open (and create) the path; ``_open`` closes the old file
            # only once the new one is open, so the new one cannot reuse its inode number
            self._open()
        raise OSError(f"{self.target} keeps being replaced")

    def _stream_lock(self) -> int:
        if self._lock_fd is None:
            name = f"vab-audit-{chain_id(self.target)}.lock"
            self._lock_fd = os.open(
                os.path.join(tempfile.gettempdir(), name), _OPEN_FLAGS & ~os.O_APPEND, 0o600
            )
        fcntl.flock(self._lock_fd, fcntl.LOCK_EX)
        return self._lock_fd

    # ----- appending ---------------------------------------------------------------------------

    def append(self, body: bytes, key: bytes, store: ChainStore) -> None:
        """Write one entry (its JSON ``body``) as the next line of the chain."""
        if self.target == "discard":
            return
        with self._lock:
            if self._closed:
                raise DeviceClosed(self.target)
            if self.target == "stdout":
                lock_fd = self._stream_lock()
                try:
                    self._append(1, False, body, key, store)
                finally:
                    fcntl.flock(lock_fd, fcntl.LOCK_UN)
                return
            fd = self._locked_file()
            try:
                regular = stat.S_ISREG(os.fstat(fd).st_mode)
                self._append(fd, regular, body, key, store)
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _append(self, fd: int, regular: bool, body: bytes, key: bytes, store: ChainStore) -> None:
        st = os.fstat(fd) if regular else None
        size = st.st_size if st is not None else 0
        ident = (st.st_dev, st.st_ino) if st is not None else (0, 0)
        state = store.load()
        if regular and state.seq and size > state.offset:
            state = _recover(fd, state, size, key, ident)
        pad = b""
        if regular and size > 0 and os.pread(fd, 1, size - 1) != b"\n":
            pad = b"\n"  # end a line torn by a crash: the verifier reports it, we go on
        seq = state.seq + 1
        same = regular and _same_file(state, ident)
        start = seq == 1 or (regular and size == 0 and not same)
        if same and state.seq and size < state.offset:
            log.warning(
                "audit file %s was cut in place (%d bytes, %d expected): not a rotation, the "
                "chain continues and verification will report the removed lines",
                self.target, size, state.offset,
            )  # fmt: skip
        elif start and seq > 1:
            log.info("audit file %s is a new file: seq %d starts a new segment", self.target, seq)
        line, mac = seal_line(self.prefix, body, key, seq, state.hmac, start)
        data = pad + line
        try:
            _write_all(fd, data)
            if regular:
                _SYNC(fd)
            store.save(
                ChainState(
                    seq=seq,
                    hmac=mac,
                    offset=size + len(data) if regular else 0,
                    segment_seq=seq if start else state.segment_seq,
                    segment_prev=state.hmac if start else state.segment_prev,
                    dev=ident[0],
                    ino=ident[1],
                )
            )
        except BaseException:
            if regular:
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, size)
            raise

    def close(self) -> None:
        """Close the file for good (waits for a write in progress)."""
        with self._lock:
            self._closed = True
            self._close_fd()
            if self._lock_fd is not None:
                with contextlib.suppress(OSError):
                    os.close(self._lock_fd)
                self._lock_fd = None


def _same_file(state: ChainState, ident: tuple[int, int]) -> bool:
    """Whether the chain's last line went to this file (so an empty file was emptied in
    place). A head that names no file (recorded before files were identified) counts as the
    same file: when in doubt, the chain continues and verification reports what is missing,
    rather than a new segment hiding it."""
    if not state.ino:
        return state.offset > 0
    return (state.dev, state.ino) == ident


def _recover(
    fd: int, state: ChainState, size: int, key: bytes, ident: tuple[int, int]
) -> ChainState:
    """Adopt a line written after the head but never recorded (a crash between the write and
    the head update): exactly one complete line that verifies as the next one."""
    extra = size - state.offset
    if state.offset <= 0 or extra > _RECOVER_LIMIT:
        return state
    chunk = os.pread(fd, extra, state.offset)
    if not chunk.endswith(b"\n") or chunk.count(b"\n") != 1:
        return state
    parsed = parse_line(chunk[:-1])
    if parsed is None or parsed.seq != state.seq + 1:
        return state
    if parsed.start and parsed.prev != state.hmac:
        return state
    if chain_mac(key, parsed.seq, state.hmac, parsed.start, parsed.signed) != parsed.hmac:
        return state
    return ChainState(
        seq=parsed.seq,
        hmac=parsed.hmac,
        offset=size,
        segment_seq=parsed.seq if parsed.start else state.segment_seq,
        segment_prev=state.hmac if parsed.start else state.segment_prev,
        dev=ident[0],
        ino=ident[1],
    )
