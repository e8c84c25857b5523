"""Serving a ``MockFiles`` over a real socket: ``MockServer`` and ``serve``.

The life cycle is pytest-httpserver's (port 0, a background thread, start/stop, ``url_for``),
kept without it: every part of it the fake used was overridden (the request handler, the entry
point, the stop). Under it is the serving layer of ``mockfiles.serving``: HTTP/1.1 framed by
h11, kept-alive connections, idle timeouts, bounded draining, transport faults, and a
``stop()`` that returns at once. Requests go straight to the attached fake's ``FilesApp``,
their bodies streamed (see ``docs/serving.md``).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from mockfiles.http.render import json_response
from mockfiles.serving.http11 import HTTP11Connection
from mockfiles.serving.listener import Listener
from mockfiles.serving.wire import Timeouts

if TYPE_CHECKING:
    from mockfiles.facade import MockFiles

__all__ = ["MockServer", "Timeouts", "serve"]


class MockServer:
    """A threaded HTTP/1.1 server in front of whichever ``MockFiles`` is attached to it.

    ``timeout``: how long a client may send nothing before its connection is closed (a
    number, or ``Timeouts(head=..., body=...)``; by default 5 s for a request's head and
    between requests, 30 s between pieces of a body).
    """

    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, timeout: float | Timeouts | None = None
    ) -> None:
        self.host = host
        self.port = port
        self.timeouts = Timeouts.of(timeout)
        self._mock: MockFiles | None = None
        self._listener: Listener | None = None

    def __repr__(self) -> str:
        return f"<MockServer host={self.host} port={self.port}>"

    @property
    def base_url(self) -> str:
        """The URL an OpenAI client takes as ``base_url`` (ends in ``/v1``)."""
        return self.url_for("/v1")

    def url_for(self, suffix: str) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/{suffix.lstrip('/')}"

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

    def is_running(self) -> bool:
        return self._listener is not None

    @property
    def open_connections(self) -> int:
        """How many connections are being served now."""
        listener = self._listener
        return 0 if listener is None else listener.open_connections

    def start(self) -> None:
        if self._listener is not None:
            raise RuntimeError("The server is already running.")
        listener = Listener(self.host, self.port, self._serve_connection)
        self.port = listener.address[1]  # the one picked, when port 0 was asked for
        self._listener = listener
        listener.start()

    def stop(self) -> None:
        """Stop accepting and end the connections being served; returns at once."""
        listener, self._listener = self._listener, None
        if listener is None:
            raise RuntimeError("The server is not running.")
        listener.close()

    def application(self, request: Request) -> Response:
        """The answer to one request: the attached fake's, or a JSON 503 when none is."""
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

    def _serve_connection(self, connection: socket.socket, address: tuple[Any, ...]) -> None:
        listener = self._listener
        HTTP11Connection(
            connection,
            address,
            self.application,
            self.timeouts,
            (self.host, self.port),
            stopping=lambda: listener is None or listener.closing,
        ).serve()


@contextmanager
def serve(
    mock: MockFiles | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    timeout: float | Timeouts | None = None,
    **options: Any,
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
    server = MockServer(host=host, port=port, timeout=timeout)
    server.start()
    try:
        server.attach(fake)
        yield fake
    finally:
        server.detach()
        server.stop()
