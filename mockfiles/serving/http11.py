"""One connection's requests, framed per RFC 9112 by h11, answered by the fake's app.

h11 (the sans-IO HTTP/1.1 parser httpx and httpcore are built on) parses each request's head
and decodes chunked bodies; this module decides what happens to the connection:

- a head h11 refuses (a Content-Length that is not 1*DIGIT or several that differ, a
  Transfer-Encoding other than ``chunked``, a malformed request line or header) is answered
  with a JSON 400 (431 or 414 for sizes) and the connection closes;
- with both Content-Length and Transfer-Encoding, the chunked coding frames the body and the
  connection closes after the answer (RFC 9112 §6.1): the two disagree on where the next
  request starts, so no next request is read;
- a chunked body is read ahead (``PREFETCH_BYTES``) before the app runs, so malformed framing
  is refused before any operation sees the request; chunk extensions and trailers are ignored;
- empty lines before a request line are skipped (RFC 9112 §2.2);
- after the answer, at most ``DRAIN_BYTES`` of a body the app left unread are read and
  dropped; a longer one closes the connection instead.

Answers are written by hand, head and (small) body in one write: the app's headers are already
checked by werkzeug, and the transport faults need exact control of what is sent.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from email.utils import formatdate
from typing import Any
from urllib.parse import unquote_to_bytes, urlsplit

import h11
from werkzeug.wrappers import Request, Response

from mockfiles.http.app import TransportFault
from mockfiles.serving.breaks import break_connection, linger_and_close
from mockfiles.serving.wire import RequestBody, Timeouts, Wire, WireStalled

#: A request head (request line and headers) larger than this is refused with a 431.
HEAD_BYTES = 256 * 1024
#: A request line or one header line longer than this is refused (414, 431), as
#: ``http.server`` did.
LINE_BYTES = 64 * 1024
#: More headers than this are refused with a 431, as ``http.server`` did.
MAX_HEADERS = 100
#: How much of a chunked body is read before the app runs, to check its framing.
PREFETCH_BYTES = 64 * 1024
#: How much unread body is read and dropped after an answer to keep the connection.
DRAIN_BYTES = 1024 * 1024
#: Answers whose body is at most this long go out in one write with their head.
ONE_WRITE_BYTES = 64 * 1024

#: What answers a request: ``MockServer.application``.
App = Callable[[Request], Response]


class Refusal(Exception):  # noqa: N818 - an answer, not an error of the server
    """A request refused before the app sees it; the connection closes after the answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class HTTP11Connection:
    """Serves the requests of one accepted connection, one after the other."""

    def __init__(
        self,
        sock: socket.socket,
        address: tuple[Any, ...],
        app: App,
        timeouts: Timeouts,
        server_address: tuple[str, int],
        stopping: Callable[[], bool],
    ) -> None:
        self._wire = Wire(sock, timeouts.body)
        self._address = address
        self._app = app
        self._timeouts = timeouts
        self._server_address = server_address
        self._stopping = stopping

    def serve(self) -> None:
        sock = self._wire.sock
        # Several writes an answer at most; without this, Nagle's algorithm holds the last one
        # back until the client's delayed ACK (40 ms a request).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            while self._serve_one() and not self._stopping():
                pass
        except OSError:  # the client went away while being answered
            pass
        except Exception:  # noqa: BLE001 - a bug of the serving layer: say so, end the connection
            print("mockfiles: a bug in the server:", traceback.format_exc(), file=sys.stderr)
            self._send_refusal(Refusal(500, "The server had an error processing your request."))
        finally:
            with contextlib.suppress(OSError):
                sock.close()

    # -- one request ---------------------------------------------------------------------

    def _serve_one(self) -> bool:
        """Serve the next request; whether the connection may carry another."""
        parser = h11.Connection(h11.SERVER, max_incomplete_event_size=HEAD_BYTES)
        try:
            head = self._read_head(parser)
            if head is None:
                return False
            body, close = self._body_of(head, parser)
        except Refusal as refusal:
            self._send_refusal(refusal)
            linger_and_close(self._wire)
            return False
        environ = self._environ(head, body)
        try:
            response = self._app(Request(environ))
        except TransportFault as fault:
            close = self._must_close(body, close)
            if not break_connection(self._wire, fault, environ, self._write_answer, close):
                return False
        else:
            close = self._must_close(body, close)
            status, headers, app_iter = _wsgi_answer(response, environ)
            try:
                close = self._write_answer(status, headers, app_iter, close, environ)
            finally:
                response.close()
        if not close and not body.finished:
            close = not body.drain(DRAIN_BYTES)
        if close:
            if not body.finished and body.broken is None:
                linger_and_close(self._wire)
            return False
        return True

    def _read_head(self, parser: h11.Connection) -> h11.Request | None:
        """The next request's head, or ``None`` when the client ends (or leaves idle) a
        connection between requests."""
        started = False
        skipped = 0
        while True:
            try:
                data = self._wire.recv(self._timeouts.head)
            except WireStalled:
                if not started:
                    return None
                raise Refusal(
                    408, "The request's head did not arrive within the idle timeout."
                ) from None
            if not data:
                if not started:
                    return None
                raise Refusal(400, "The connection ended in the middle of the request's head.")
            if not started:
                # Empty lines before the request line are skipped (RFC 9112 §2.2).
                stripped = data.lstrip(b"\r\n")
                skipped += len(data) - len(stripped)
                if skipped > HEAD_BYTES:
                    raise Refusal(400, "Only empty lines were sent, no request line.")
                if not stripped:
                    continue
                data, started = stripped, True
            parser.receive_data(data)
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as error:
                status = 431 if error.error_status_hint == 431 else 400
                raise Refusal(status, f"Invalid request: {error}.") from None
            if isinstance(event, h11.Request):
                self._check_sizes(event)
                return event

    @staticmethod
    def _check_sizes(head: h11.Request) -> None:
        if head.http_version not in (b"1.0", b"1.1"):
            version = head.http_version.decode("ascii")
            raise Refusal(400, f"Invalid request: HTTP/{version} is not supported.")
        if len(head.target) > LINE_BYTES:
            raise Refusal(414, f"Invalid request: the request line is over {LINE_BYTES} bytes.")
        if len(head.headers) > MAX_HEADERS:
            raise Refusal(431, f"Invalid request: more than {MAX_HEADERS} headers.")
        for name, value in head.headers:
            if len(name) + len(value) > LINE_BYTES:
                raise Refusal(431, f"Invalid request: a header line is over {LINE_BYTES} bytes.")

    def _body_of(self, head: h11.Request, parser: h11.Connection) -> tuple[RequestBody, bool]:
        """The request's body, and whether the connection must close after the answer."""
        length: int | None = None
        chunked = False
        close = head.http_version == b"1.0"
        for name, value in head.headers:
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = True  # h11 takes nothing but "chunked"
            elif name == b"connection":
                close = close or b"close" in value.lower()
        # Both: the chunked coding frames the body (h11 reads it so), but the sender's idea of
        # where this request ends cannot be trusted, so nothing more is read (RFC 9112 §6.1).
        close = close or (chunked and length is not None)
        ask = None
        if parser.client_is_waiting_for_100_continue and (chunked or length):
            ask = self._ask_for_body
        timeout = self._timeouts.body
        if chunked:
            body = RequestBody(self._wire, timeout, chunked=parser, on_first_read=ask)
            body.prefetch(PREFETCH_BYTES)
            if body.broken is not None:
                raise Refusal(body.broken.status, f"Invalid request: {body.broken.description}.")
        else:
            self._wire.unread(parser.trailing_data[0])
            body = RequestBody(self._wire, timeout, length=length, on_first_read=ask)
        return body, close

    def _ask_for_body(self) -> None:
        self._wire.send(b"HTTP/1.1 100 Continue\r\n\r\n")

    def _must_close(self, body: RequestBody, close: bool) -> bool:
        if close or body.broken is not None or self._stopping():
            return True
        if body.finished:
            return False
        # The client was never asked for its body, or more is left than a drain may read.
        unread = body.unread_length
        return not body.started or (unread is not None and unread > DRAIN_BYTES)

    # -- the environ -------------------------------------------------------------------

    def _environ(self, head: h11.Request, body: RequestBody) -> dict[str, Any]:
        target = head.target.decode("latin-1")
        if target.startswith("/"):
            # As sent: a leading "//" is a path, not an authority.
            path, _, query = target.partition("?")
            host = None
        else:  # absolute-form ("http://host/path"), or "*" and authority-form
            parts = urlsplit(target)
            path, query = (parts.path or "/", parts.query) if parts.netloc else (target, "")
            host = parts.netloc or None
        environ: dict[str, Any] = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": body,
            "wsgi.input_terminated": True,
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "werkzeug.socket": self._wire.sock,
            "SERVER_SOFTWARE": "mockfiles",
            "REQUEST_METHOD": head.method.decode("latin-1"),
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote_to_bytes(path).decode("latin-1"),
            "QUERY_STRING": query,
            "REQUEST_URI": target,
            "RAW_URI": target,
            "REMOTE_ADDR": str(self._address[0]) if self._address else "",
            "REMOTE_PORT": int(self._address[1]) if len(self._address) > 1 else 0,
            "SERVER_NAME": self._server_address[0],
            "SERVER_PORT": str(self._server_address[1]),
            "SERVER_PROTOCOL": "HTTP/" + head.http_version.decode("ascii"),
        }
        for raw_name, value in head.headers.raw_items():
            name = raw_name.decode("latin-1").upper()
            if "_" in name:  # "Content_Type" must not pass for Content-Type (werkzeug's rule)
                continue
            key = name.replace("-", "_")
            if key == "CONTENT_LENGTH" and body.unread_length is None:
                continue  # the body is chunked: a Content-Length beside it means nothing
            if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                key = "HTTP_" + key
            text = value.decode("latin-1")
            environ[key] = f"{environ[key]},{text}" if key in environ else text
        if host is not None:
            environ["HTTP_HOST"] = host
        return environ

    # -- answers -----------------------------------------------------------------------

    def _write_answer(
        self,
        status: str,
        headers: list[tuple[str, str]],
        body: Iterable[bytes],
        close: bool,
        environ: dict[str, Any],
        pause: float = 0.0,
    ) -> bool:
        """Write an answer; whether the connection must close after it (a body of unknown
        length to an HTTP/1.0 client ends with the connection)."""
        lines = [f"HTTP/1.1 {status}"]
        names = set()
        for name, value in headers:
            lines.append(f"{name}: {value}")
            names.add(name.lower())
        code = int(status[:3])
        has_body = environ["REQUEST_METHOD"] != "HEAD" and code not in (204, 304)
        chunked = has_body and "content-length" not in names
        if chunked and environ["SERVER_PROTOCOL"] == "HTTP/1.0":
            chunked, close = False, True
        if chunked:
            lines.append("Transfer-Encoding: chunked")
        if "date" not in names:
            lines.append("Date: " + _http_date())
        if close:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        if not has_body:
            self._wire.send(head)
            return close
        small = isinstance(body, list | tuple) and not chunked and not pause
        if small and sum(len(piece) for piece in body) <= ONE_WRITE_BYTES:
            self._wire.send(b"".join([head, *body]))
            return close
        self._wire.send(head)
        for piece in body:
            if pause:
                time.sleep(pause)
            if not piece:
                continue
            if chunked:
                self._wire.send(b"%x\r\n%s\r\n" % (len(piece), piece))
            else:
                self._wire.send(piece)
        if chunked:
            self._wire.send(b"0\r\n\r\n")
        return close

    def _send_refusal(self, refusal: Refusal) -> None:
        status = refusal.status
        body = b'{"error":{"message":%s,"type":"%s","param":null,"code":null}}' % (
            _json_string(refusal.message),
            b"server_error" if status >= 500 else b"invalid_request_error",
        )
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Bad Request')}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"x-request-id: req_{secrets.token_hex(16)}\r\n"
            f"Date: {_http_date()}\r\n"
            "Connection: close\r\n\r\n"
        )
        with contextlib.suppress(OSError):  # the client is gone: nobody to tell
            self._wire.send(head.encode("latin-1") + body)


_REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    414: "URI Too Long",
    431: "Request Header Fields Too Large",
    500: "Internal Server Error",
}


def _wsgi_answer(
    response: Response, environ: dict[str, Any]
) -> tuple[str, list[tuple[str, str]], Iterable[bytes]]:
    """What werkzeug's ``get_wsgi_response`` gives, without its copies for the common answer:
    JSON bytes with their length already set, no redirect to make absolute."""
    plain = response.status_code not in (204, 304) and "Location" not in response.headers
    if response.is_sequence and plain:
        head_only = environ["REQUEST_METHOD"] == "HEAD"
        chunks: Iterable[bytes] = () if head_only else response.response  # type: ignore[assignment]
        return response.status, response.headers.to_wsgi_list(), chunks
    app_iter, status, headers = response.get_wsgi_response(environ)
    return status, headers, app_iter


_date_cache: tuple[int, str] = (0, "")


def _http_date() -> str:
    """The ``Date`` header's value, made once a second."""
    global _date_cache
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache = (now, formatdate(now, usegmt=True))
    return _date_cache[1]


def _json_string(text: str) -> bytes:
    return json.dumps(text).encode("ascii")
