"""The accept loop: one daemon thread per connection, and a stop that takes effect at once.

The loop waits on the listening socket and on one end of a socket pair; ``close`` writes to the
other end, so the loop wakes and returns at once instead of noticing a flag at its next poll.
"""

from __future__ import annotations

import _thread
import contextlib
import selectors
import socket
import threading
from collections.abc import Callable
from typing import Any

#: Connections the kernel queues while the loop is busy accepting.
BACKLOG = 1024

Handler = Callable[[socket.socket, tuple[Any, ...]], None]


class Listener:
    """Listens on ``host:port`` (port 0: a free one) and hands every connection to
    ``handle`` in a thread of its own, tracked so that ``close`` can end it."""

    def __init__(self, host: str, port: int, handle: Handler) -> None:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        self._socket = socket.create_server((host, port), family=family, backlog=BACKLOG)
        self._socket.setblocking(False)
        self.address: tuple[str, int] = self._socket.getsockname()[:2]
        self._handle = handle
        self._wake, self._waker = socket.socketpair()
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._socket, selectors.EVENT_READ)
        self._selector.register(self._wake, selectors.EVENT_READ)
        self._closing = False
        #: The connections being served (a set: adding and discarding are atomic).
        self._connections: set[socket.socket] = set()
        self._thread = threading.Thread(target=self._loop, name="mockfiles-accept", daemon=True)

    @property
    def closing(self) -> bool:
        return self._closing

    @property
    def open_connections(self) -> int:
        return len(self._connections)

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stop accepting, then end every connection being served: a client's pooled
        connection must not go on being served (nor its thread outlive the server)."""
        self._closing = True
        with contextlib.suppress(OSError):
            self._waker.send(b"\0")
        self._thread.join()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):  # already closed by its client
                connection.shutdown(socket.SHUT_RDWR)
        self._connections.clear()
        self._selector.close()
        for sock in (self._socket, self._wake, self._waker):
            sock.close()

    def _loop(self) -> None:
        while not self._closing:
            for key, _ in self._selector.select():
                if key.fileobj is self._wake:
                    return
                try:
                    connection, address = self._socket.accept()
                except OSError:  # another wake-up, or a client that left the queue
                    continue
                connection.setblocking(True)
                self._connections.add(connection)
                try:
                    # Not threading.Thread: its start() waits until the new thread runs, which
                    # under load holds up every accept behind the last one's start.
                    _thread.start_new_thread(self._serve, (connection, address))
                except RuntimeError:  # no thread to be had: this client is turned away
                    self._connections.discard(connection)
                    connection.close()

    def _serve(self, connection: socket.socket, address: tuple[Any, ...]) -> None:
        try:
            self._handle(connection, address)
        finally:
            self._connections.discard(connection)
