"""Transport faults (see ``mockfiles.faults``), carried out on the socket, and the orderly end
of a connection whose client may still be sending."""

from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from mockfiles.http.app import TransportFault
from mockfiles.serving.wire import Wire, WireStalled

#: The largest piece a ``slow_body`` fault sends at a time.
SLOW_PIECE_MAX = 1024 * 1024
#: After an answer that closes the connection, what is still read (and dropped) so that the
#: client, perhaps still sending its body, reads the answer rather than a reset.
LINGER_BYTES = 16 * 1024 * 1024
LINGER_SECONDS = 2.0


class AnswerWriter(Protocol):
    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        body: Iterable[bytes],
        close: bool,
        environ: dict[str, Any],
        pause: float = 0.0,
    ) -> bool: ...


def break_connection(
    wire: Wire,
    fault: TransportFault,
    environ: dict[str, Any],
    write: AnswerWriter,
    close: bool,
) -> bool:
    """Carry out ``fault``; whether the connection may carry another request."""
    sock = wire.sock
    if fault.kind == "reset":
        # Linger zero: closing sends a TCP reset instead of an orderly end.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
        return False
    if fault.kind == "disconnect":
        sock.shutdown(socket.SHUT_RDWR)  # an empty reply
        return False
    if fault.kind == "timeout":
        hold(wire, fault.seconds)
        return False
    body, status, headers = fault.response.get_wsgi_response(environ)
    if fault.kind == "delay":
        time.sleep(fault.seconds)
        return not write(status, headers, body, close, environ)
    # The body streams (a file without bytes may be terabytes): its length is the header's.
    length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
    if fault.kind == "truncate":
        # Headers that promise more body than is sent, then the end of the connection.
        promised = [(k, v) for k, v in headers if k.lower() != "content-length"]
        promised.append(("Content-Length", str(2 * length + 1)))
        write(status, promised, body, True, environ)
        sock.shutdown(socket.SHUT_RDWR)
        return False
    # slow_body: the body trickles out in about 20 pieces over the fault's seconds.
    size = max(1, min(SLOW_PIECE_MAX, -(-length // 20)))
    count = max(1, -(-length // size))
    return not write(status, headers, _pieces(body, size), close, environ, fault.seconds / count)


def hold(wire: Wire, seconds: float) -> None:
    """Answer nothing until the client closes its connection or ``seconds`` pass (what a
    client sees of a server that never answers: its own read timeout)."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            if not wire.recv(left):  # what it sends meanwhile is dropped
                return
    except WireStalled:
        return


def linger_and_close(wire: Wire) -> None:
    """End our side, then read and drop what the client still sends, for a bounded time and
    number of bytes, before the connection is closed: closing a socket with unread bytes
    resets it, and a reset can destroy the answer before the client has read it."""
    try:
        wire.sock.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + LINGER_SECONDS
        budget = LINGER_BYTES
        while budget > 0 and (left := deadline - time.monotonic()) > 0:
            data = wire.recv(min(left, LINGER_SECONDS))
            if not data:
                return
            budget -= len(data)
    except (OSError, WireStalled):
        return


def _pieces(body: Iterable[bytes], size: int) -> Iterator[bytes]:
    """``body`` again, in pieces of ``size`` bytes (the last may be shorter)."""
    pending = bytearray()
    for chunk in body:
        pending += chunk
        while len(pending) >= size:
            yield bytes(pending[:size])
            del pending[:size]
    yield bytes(pending)
