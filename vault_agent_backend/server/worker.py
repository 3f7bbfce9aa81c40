"""gunicorn's threaded worker with Vault's listener read timeouts.

gunicorn's ``gthread`` worker reads a request's head and body with blocking reads in a pool
thread, without any time limit: a client that sends half a request holds a thread for ever,
and as many such clients as there are threads freeze the server. Vault's listener bounds
both reads (Go's ``ReadHeaderTimeout``/``ReadTimeout``): ``http_read_header_timeout``
(default 10 s) for the request line and headers, ``http_read_timeout`` (default 30 s) for
the whole request, body included; 0 disables one. :class:`VabThreadWorker` applies them:

* each accepted socket is a :class:`DeadlineSocket` (a TLS one a
  :class:`DeadlineSSLSocket`, through the SSL context's ``sslsocket_class``) whose reads and
  TLS handshake are bounded by the deadlines of the request the current thread is serving;
* :meth:`VabThreadWorker.handle` starts both deadlines when a thread takes the connection
  up (a kept-alive connection waits in gunicorn's poller, not in a thread, so idle time
  does not count); :meth:`VabThreadWorker.handle_request` (the head is parsed) ends the
  header deadline;
* gunicorn's own error answers (malformed HTTP: 400, 431, ...) are plain text, as Go's
  server writes them (``400 Bad Request``), not gunicorn's HTML page
  (:meth:`VabThreadWorker.handle_error`);
* a read past a deadline raises :class:`RequestReadTimeout`: during the head the connection
  is closed without an answer (as Go does), during the body the application sees a failed
  read (a 400); the connection is then shut down at once;
* a connection that ends (an error answer, ``Connection: close``) lingers for the client's
  end in its pool thread, not in gunicorn's main loop, where a few clients that never close
  would stall every other connection for 2 s each.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable
from typing import Any

from gunicorn import util
from gunicorn.http.errors import InvalidHTTPVersion, NoMoreData
from gunicorn.workers.gthread import ThreadWorker

DEFAULT_READ_HEADER_TIMEOUT = 10.0
DEFAULT_READ_TIMEOUT = 30.0

_request = threading.local()
"""Per pool thread: ``header``/``read`` deadlines (``time.monotonic()``) and ``timed_out``."""


class RequestReadTimeout(NoMoreData, TimeoutError):
    """Reading the request took longer than the listener allows.

    A :class:`~gunicorn.http.errors.NoMoreData` (gunicorn drops the connection quietly) and a
    :class:`TimeoutError` (gunicorn's body drain gives up on it); raised from a body read in
    the application, ``code``/``description`` make the app's error handler answer a 400."""

    code = 400
    description = "failed to read the request body: i/o timeout"

    def __str__(self) -> str:
        return "read timeout: i/o timeout"


def _remaining() -> float | None:
    """Seconds left before the nearest deadline of this thread's request, or None."""
    deadlines = [
        d for d in (getattr(_request, "header", None), getattr(_request, "read", None)) if d
    ]
    if not deadlines:
        return None
    return min(deadlines) - time.monotonic()


class _DeadlineReads:
    """Bounds blocking reads by the current request's deadlines (see the module doc)."""

    __slots__ = ()

    def _bounded(self, call: Callable[..., Any], *args: Any) -> Any:
        remaining = _remaining()
        prior = self.gettimeout()  # type: ignore[attr-defined]
        if remaining is None or prior == 0.0:  # no deadline, or a non-blocking read
            return call(*args)
        if remaining <= 0:
            _request.timed_out = True
            raise RequestReadTimeout()
        own = prior is None or remaining < prior
        self.settimeout(remaining if own else prior)  # type: ignore[attr-defined]
        try:
            return call(*args)
        except TimeoutError:
            if not own:  # the caller's own, shorter timeout (gunicorn's body drain)
                raise
            _request.timed_out = True
            raise RequestReadTimeout() from None
        finally:
            with contextlib.suppress(OSError):
                self.settimeout(prior)  # type: ignore[attr-defined]


class DeadlineSocket(_DeadlineReads, socket.socket):
    """An accepted plain TCP connection whose reads honour the request deadlines."""

    __slots__ = ()

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        return self._bounded(super().recv, bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        return self._bounded(super().recv_into, buffer, nbytes, flags)


class DeadlineSSLSocket(_DeadlineReads, ssl.SSLSocket):
    """A TLS connection whose handshake and reads honour the request deadlines."""

    def recv(self, buflen: int = 1024, flags: int = 0) -> bytes:
        return self._bounded(super().recv, buflen, flags)

    def recv_into(self, buffer: Any, nbytes: int | None = None, flags: int = 0) -> int:
        return self._bounded(super().recv_into, buffer, nbytes, flags)

    def do_handshake(self, block: bool = False) -> None:
        return self._bounded(super().do_handshake, block)


def ssl_context(config: Any, default_ssl_context_factory: Callable[[], ssl.SSLContext]) -> Any:
    """gunicorn's ``ssl_context`` hook: TLS connections are :class:`DeadlineSSLSocket`."""
    context = default_ssl_context_factory()
    context.sslsocket_class = DeadlineSSLSocket
    return context


class _Listener:
    """A listening socket whose accepted connections are :class:`DeadlineSocket`."""

    def __init__(self, listener: Any):
        self._listener = listener

    def accept(self) -> tuple[socket.socket, Any]:
        sock, addr = self._listener.accept()
        try:
            wrapped = DeadlineSocket(sock.family, sock.type, sock.proto, fileno=sock.fileno())
        except OSError:
            sock.close()
            raise
        sock.detach()
        return wrapped, addr

    def __getattr__(self, name: str) -> Any:
        return getattr(self._listener, name)


LINGER = 2.0
"""Seconds a closing connection waits for the client's end (gunicorn's graceful close)."""


def _end_connection(sock: Any, linger: bool) -> None:
    """Half-close, wait (``linger``, bounded) for the client to close its end or drain what
    it still sends, as gunicorn's graceful close does, then shut both ways (a timed-out
    client that stalls gets no linger, as Go closes it)."""
    with contextlib.suppress(OSError):
        if linger:
            sock.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER
            drained = 0
            while drained < 65536 and (remaining := deadline - time.monotonic()) > 0:
                sock.settimeout(remaining)
                data = sock.recv(4096)
                if not data:
                    break
                drained += len(data)
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _Captured:
    """Stands in for the client socket to catch the answer gunicorn's handle_error writes."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # "non-blocking": gunicorn writes at once

    def sendall(self, data: bytes) -> None:
        self.data += bytes(data)


def plain_error(status: int, reason: str) -> bytes:
    """An error answer in the words and form of Go's HTTP server (OpenBao, Vault)."""
    text = f"{status} {reason}"
    return (
        f"HTTP/1.1 {text}\r\nContent-Type: text/plain; charset=utf-8\r\n"
        f"Connection: close\r\nContent-Length: {len(text)}\r\n\r\n{text}"
    ).encode("latin-1", "replace")


class VabThreadWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker with read deadlines; see the module doc."""

    read_header_timeout: float = DEFAULT_READ_HEADER_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT

    def accept(self, listener: Any) -> None:
        super().accept(_Listener(listener))

    def handle(self, conn: Any) -> Any:
        now = time.monotonic()
        _request.header = now + self.read_header_timeout if self.read_header_timeout > 0 else None
        _request.read = now + self.read_timeout if self.read_timeout > 0 else None
        _request.timed_out = False
        try:
            result = super().handle(conn)
            timed_out = _request.timed_out
        finally:
            _request.header = _request.read = None
            _request.timed_out = False
        if timed_out or not result:
            # gunicorn closes the connection gracefully on its main loop, which then waits
            # (up to 2 s) for the client to close too: a few clients that keep a refused or
            # timed-out connection open would stall every other connection. The linger is
            # done here, in this pool thread; the main loop then closes at once.
            _end_connection(conn.sock, linger=not timed_out)
            return False
        return result

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        """gunicorn chooses the status (and logs); the answer is Go's plain text."""
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)
        status, reason = 500, "Internal Server Error"
        parts = captured.data.split(b"\r\n", 1)[0].split(b" ", 2)
        if len(parts) == 3 and parts[1].isdigit():
            status, reason = int(parts[1]), parts[2].decode("latin-1")
        if isinstance(exc, InvalidHTTPVersion):
            status, reason = 505, "HTTP Version Not Supported: unsupported protocol version"
        try:
            util.write_nonblock(client, plain_error(status, reason))
        except Exception:
            self.log.debug("Failed to send error message.")

    def handle_request(self, req: Any, conn: Any) -> Any:
        _request.header = None  # the head is read; the body has the read timeout
        return super().handle_request(req, conn)


def worker_class(read_header_timeout: float, read_timeout: float) -> type[VabThreadWorker]:
    """A :class:`VabThreadWorker` with these timeouts (seconds; 0 disables one)."""
    return type(
        "VabThreadWorker",
        (VabThreadWorker,),
        {
            "read_header_timeout": float(read_header_timeout),
            "read_timeout": float(read_timeout),
            "__module__": __name__,
        },
    )
