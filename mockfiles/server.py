"""Serving a ``MockFiles`` over a real socket, on pytest-httpserver's ``HTTPServer``.

pytest-httpserver gives the life cycle (port 0, a background thread, start/stop, ``url_for``).
Three things are changed for the fake:

* requests go straight to the attached fake's ``FilesApp``: the stock entry point reads every
  body into memory first and keeps every request in a log;
* connections are kept alive between requests (HTTP/1.1): werkzeug's request handler closes
  every connection and, after each answer, reads whatever the client sends next and throws it
  away, which a kept-alive connection cannot survive;
* ``stop()`` returns within a few hundredths of a second instead of waiting out a 0.5 s poll.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import socket
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from pytest_httpserver import HTTPServer
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Request, Response

from mockfiles.http.app import BODY_DRAINED, TransportFault
from mockfiles.http.render import json_response

if TYPE_CHECKING:
    from mockfiles.facade import MockFiles

#: How often the accept loop looks for a stop request; the upper bound on ``stop()``.
POLL_INTERVAL = 0.02

#: The largest piece a ``slow_body`` fault sends at a time.
SLOW_PIECE_MAX = 1024 * 1024


class KeepAliveRequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, answering the way HTTP/1.1 clients expect: the connection
    stays open when the request body has been read to its end, so the next request on it finds
    the stream at its first byte."""

    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # A kept-alive connection answers in several writes; without this, Nagle's algorithm
        # holds the last one back until the client's delayed ACK (40 ms a request).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connections = getattr(self.server, "open_connections", None)
        if connections is not None:
            connections.add(self.connection)

    def finish(self) -> None:
        connections = getattr(self.server, "open_connections", None)
        if connections is not None:
            connections.discard(self.connection)
        super().finish()

    def make_environ(self) -> dict[str, Any]:
        environ = super().make_environ()
        # http.server folds a leading "//" of the target into "/" before werkzeug sees it;
        # keep the target as the client sent it, so the answer can echo it.
        words = self.requestline.split()
        if len(words) >= 2:
            environ["RAW_URI"] = environ["REQUEST_URI"] = words[1]
        return environ

    def run_wsgi(self) -> None:
        # "Expect: 100-continue" was answered by http.server while it parsed the request.
        environ = self.environ = self.make_environ()
        started: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], object]:
            started[:] = [status, headers]
            return self.wfile.write

        try:
            body = self.server.app(environ, start_response)
        except TransportFault as fault:
            self._break(environ, fault)
            return
        try:
            self._send(environ, started[0], started[1], body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()

    def _break(self, environ: dict[str, Any], fault: TransportFault) -> None:
        """Carry out a fault of the connection (see ``mockfiles.faults``)."""
        self.close_connection = True
        if fault.kind == "reset":
            # Linger zero: closing sends a TCP reset instead of an orderly end.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            os.close(self.connection.detach())
            return
        if fault.kind == "disconnect":
            self.connection.shutdown(socket.SHUT_RDWR)  # an empty reply
            return
        body, status, headers = fault.response.get_wsgi_response(environ)
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            self._send(environ, status, headers, body)
            return
        # The body streams (a file without bytes may be terabytes): its length is the header's.
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        if fault.kind == "truncate":
            # Headers that promise more body than is sent, then the end of the connection.
            promised = [(k, v) for k, v in headers if k.lower() != "content-length"]
            promised.append(("Content-Length", str(2 * length + 1)))
            self._send(environ, status, promised, body)
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        # slow_body: the body trickles out in about 20 pieces over the fault's seconds.
        size = max(1, min(SLOW_PIECE_MAX, -(-length // 20)))
        count = max(1, -(-length // size))
        self._send(environ, status, headers, _pieces(body, size), pause=fault.seconds / count)

    def _send(
        self,
        environ: dict[str, Any],
        status: str,
        headers: list[tuple[str, str]],
        body: Iterable[bytes],
        pause: float = 0.0,
    ) -> None:
        code_text, _, reason = status.partition(" ")
        code = int(code_text)
        self.send_response(code, reason)
        names = set()
        for name, value in headers:
            self.send_header(name, value)
            names.add(name.lower())
        has_body = self.command != "HEAD" and code not in (204, 304)
        chunked = has_body and "content-length" not in names
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        if not environ.get(BODY_DRAINED):
            # Unread body bytes would be taken for the next request line.
            self.send_header("Connection", "close")
        self.end_headers()
        if has_body:
            for data in body:
                if pause:
                    self.wfile.flush()
                    time.sleep(pause)
                if not data:
                    continue
                if chunked:
                    self.wfile.write(b"%x\r\n" % len(data))
                    self.wfile.write(data)
                    self.wfile.write(b"\r\n")
                else:
                    self.wfile.write(data)
            if chunked:
                self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Answer a request http.server refused before the app saw it (a request line or a
        header too long, a malformed request line, an unknown HTTP version) in the API's JSON
        shape, never an HTML page. Such a request cannot be trusted to frame the next one, so
        the connection is closed."""
        status = HTTPStatus(code) if 400 <= code < 500 else HTTPStatus.BAD_REQUEST
        text = message or status.phrase
        body = json.dumps(
            {
                "error": {
                    "message": f"Invalid request: {text}",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": None,
                }
            }
        ).encode()
        self.close_connection = True
        head = (
            f"HTTP/1.1 {status.value} {status.phrase}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-request-id: req_{secrets.token_hex(16)}\r\n"
            "Connection: close\r\n\r\n"
        )
        # Written whole, status line included: for a request line http.server could not
        # parse, its own writer would send no status line at all.
        self.wfile.write(head.encode("latin-1") + body)
        self.wfile.flush()

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: the fake's journal, not an access log, says what happened."""


class MockServer(HTTPServer):
    """A threaded HTTP server in front of whichever ``MockFiles`` is attached to it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port, threaded=True)
        self._mock: MockFiles | None = None
        #: The connections being served (a set: adding and discarding are atomic).
        self._connections: set[socket.socket] = set()

    @property
    def base_url(self) -> str:
        """The URL an OpenAI client takes as ``base_url`` (ends in ``/v1``)."""
        return self.url_for("/v1")

    @property
    def mock(self) -> MockFiles | None:
        return self._mock

    def attach(self, mock: MockFiles) -> None:
        """Serve ``mock`` from now on (replacing whichever was attached)."""
        self._mock = mock
        mock._served_by(self)

    def detach(self) -> None:
        mock, self._mock = self._mock, None
        if mock is not None:
            mock._served_by(None)

    def application(self, request: Request) -> Response:
        mock = self._mock
        if mock is None:
            return json_response(
                {
                    "error": {
                        "message": "No mockfiles fake is attached to this server.",
                        "type": "server_error",
                        "param": None,
                        "code": None,
                    }
                },
                status=503,
            )
        return mock.app.respond(request)

    def thread_target(self) -> None:
        assert self.server is not None
        self.server.RequestHandlerClass = KeepAliveRequestHandler
        self.server.open_connections = self._connections  # type: ignore[attr-defined]
        self.server.serve_forever(poll_interval=POLL_INTERVAL)

    def stop(self) -> None:
        """Stop accepting, then end the kept-alive connections too: a client's pooled
        connection must not go on being served (nor its thread outlive the server)."""
        super().stop()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)
        self._connections.clear()


@contextmanager
def serve(
    mock: MockFiles | None = None, *, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> Iterator[MockFiles]:
    """Serve a fake on a socket for the length of a ``with`` block::

    with mockfiles.serve(seed=1, limits={"file_bytes": 100}) as mock:
        client = mock.client()

    ``options`` are ``MockFiles``' keyword arguments; an existing ``MockFiles`` may be given
    instead.
    """
    from mockfiles.facade import MockFiles

    if mock is not None and options:
        raise TypeError("serve() takes a MockFiles or MockFiles' keyword options, not both")
    fake = mock if mock is not None else MockFiles(**options)
    server = MockServer(host=host, port=port)
    server.start()
    try:
        server.attach(fake)
        yield fake
    finally:
        server.detach()
        server.stop()


def _pieces(body: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``body`` again, in pieces of ``size`` bytes (the last may be shorter)."""
    pending = bytearray()
    for chunk in body:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    yield bytes(pending)
