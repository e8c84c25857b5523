"""The socket of one connection, and the body of the request being served on it.

Every read waits at most an idle timeout: a client that stalls is let go (``WireStalled``),
so no thread waits on it forever. Bytes read past the end of one request (a pipelined next
request) are kept and handed out first.
"""

from __future__ import annotations

import io
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

import h11

from mockfiles.http.bodies import BodyBroken, BodyEndedEarly, BodyFramingInvalid, BodyStalled

#: How much is asked of the socket at a time.
RECV_SIZE = 64 * 1024


@dataclass(frozen=True)
class Timeouts:
    """How long a client may send nothing, in seconds: ``head`` while it sends a request's
    head or keeps an idle connection open, ``body`` between pieces of a request's body."""

    head: float = 5.0
    body: float = 30.0

    @classmethod
    def of(cls, timeout: float | Timeouts | None) -> Timeouts:
        """``None``: the defaults; a number: that idle timeout everywhere."""
        if timeout is None:
            return cls()
        if isinstance(timeout, Timeouts):
            return timeout
        if not timeout > 0:
            raise ValueError(f"A timeout must be a positive number of seconds, not {timeout!r}.")
        return cls(head=float(timeout), body=float(timeout))


class WireStalled(Exception):  # noqa: N818 - a state of the client, not an error of ours
    """The client sent nothing for the whole idle timeout."""


class Wire:
    """A connection's socket with idle timeouts, and the bytes read from it but not used yet."""

    def __init__(self, sock: socket.socket, write_timeout: float) -> None:
        self.sock = sock
        self.write_timeout = write_timeout
        self._unused = b""
        self._timeout: float | None = None
        #: Whether the client has ended its side (an empty read).
        self.ended = False

    def unread(self, data: bytes) -> None:
        """Give back bytes read past the end of a request: the next read hands them out."""
        self._unused = data + self._unused

    @property
    def has_unused(self) -> bool:
        return bool(self._unused)

    def recv(self, timeout: float, size: int = RECV_SIZE) -> bytes:
        """Some bytes (at most ``size``), or ``b""`` once the client has ended its side."""
        if self._unused:
            data, self._unused = self._unused[:size], self._unused[size:]
            return data
        self._wait_at_most(timeout)
        try:
            data = self.sock.recv(size)
        except TimeoutError:
            raise WireStalled() from None
        except OSError:  # reset by the client, or shut down by the server's stop()
            data = b""
        if not data:
            self.ended = True
        return data

    def recv_into(self, view: memoryview, timeout: float) -> int:
        """Like ``recv``, into ``view``; 0 once the client has ended its side."""
        if self._unused:
            count = min(len(view), len(self._unused))
            view[:count] = self._unused[:count]
            self._unused = self._unused[count:]
            return count
        self._wait_at_most(timeout)
        try:
            count = self.sock.recv_into(view)
        except TimeoutError:
            raise WireStalled() from None
        except OSError:
            count = 0
        if not count:
            self.ended = True
        return count

    def send(self, data: bytes) -> None:
        """Write all of ``data``. A client that reads nothing for the write timeout (the body
        timeout: answers may be large, and a client may read them slowly) is let go."""
        self._wait_at_most(self.write_timeout)
        self.sock.sendall(data)

    def _wait_at_most(self, timeout: float) -> None:
        if timeout != self._timeout:  # each change is a system call
            self.sock.settimeout(timeout)
            self._timeout = timeout


class RequestBody(io.RawIOBase):
    """The request body as the app reads it (``wsgi.input``): the bytes of its
    ``Content-Length``, or its chunked coding decoded by h11. It never reads past the body's
    end, and a body that breaks off raises a ``BodyBroken`` (the same again on every later
    read), which the app answers as the client's fault.

    ``drains_after_answer`` tells the app that the server reads what is left of the body after
    the answer is sent, within bounds (see ``drain``), so the app need not."""

    drains_after_answer = True

    def __init__(
        self,
        wire: Wire,
        timeout: float,
        *,
        length: int | None = None,
        chunked: h11.Connection | None = None,
        on_first_read: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._wire = wire
        self._timeout = timeout
        self._left = length or 0
        self._chunked = chunked
        self._on_first_read = on_first_read
        self._pending = memoryview(b"")
        #: The body was read to its end.
        self.finished = chunked is None and not length
        #: Why the body cannot be read to its end, once that is known.
        self.broken: BodyBroken | None = None

    @property
    def unread_length(self) -> int | None:
        """Body bytes not read yet, when the body's length is known."""
        return None if self._chunked is not None else self._left

    @property
    def started(self) -> bool:
        """Whether the client was asked for the body (``Expect: 100-continue`` answered)."""
        return self._on_first_read is None

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` is negative), fewer only at
        the body's end: werkzeug's streams read so, and JSON bodies are read with one call."""
        if size is None or size < 0:
            return self.readall()
        data = bytearray()
        while len(data) < size:
            chunk = super().read(min(size - len(data), RECV_SIZE))
            if not chunk:
                break
            data += chunk
        return bytes(data)

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        if self._pending:
            return self._hand_out(view)
        if self.broken is not None:
            raise type(self.broken)(self.broken.reason)
        if self.finished:
            return 0
        ask = self._on_first_read
        if ask is not None:
            self._on_first_read = None
            ask()
        try:
            return self._read_chunked(view) if self._chunked else self._read_length(view)
        except WireStalled:
            self._break(BodyStalled("stalled: nothing arrived within the idle timeout"))

    def prefetch(self, limit: int) -> None:
        """Read up to ``limit`` bytes of the body ahead, keeping them for the app: a chunked
        body's framing is then checked before the app runs (see ``broken``)."""
        ahead = bytearray()
        try:
            while len(ahead) < limit and (chunk := self.read(limit - len(ahead))):
                ahead += chunk
        except BodyBroken:
            pass
        self._pending = memoryview(bytes(ahead))

    def drain(self, limit: int) -> bool:
        """Read and drop at most ``limit`` more bytes of the body; whether it then ended."""
        scratch = bytearray(min(RECV_SIZE, max(limit, 1)))
        budget = limit
        try:
            while not self.finished and budget > 0:
                budget -= self.readinto(memoryview(scratch)[: min(len(scratch), budget)])
        except BodyBroken:
            return False
        return self.finished

    def _read_length(self, view: memoryview) -> int:
        count = self._wire.recv_into(view[: min(len(view), self._left)], self._timeout)
        if not count:
            return self._break(BodyEndedEarly(f"ended {self._left} bytes before its length"))
        self._left -= count
        self.finished = not self._left
        return count

    def _read_chunked(self, view: memoryview) -> int:
        parser = self._chunked
        assert parser is not None
        while not self._pending:
            try:
                event = parser.next_event()
            except h11.RemoteProtocolError as error:
                if self._wire.ended:
                    return self._break(BodyEndedEarly("ended before its last chunk"))
                return self._break(BodyFramingInvalid(f"has malformed chunked framing ({error})"))
            if event is h11.NEED_DATA:
                parser.receive_data(self._wire.recv(self._timeout))
            elif isinstance(event, h11.Data):
                self._pending = memoryview(event.data)
            else:  # EndOfMessage, trailers and all (they are ignored)
                self.finished = True
                self._wire.unread(parser.trailing_data[0])
                return 0
        return self._hand_out(view)

    def _hand_out(self, view: memoryview) -> int:
        count = min(len(view), len(self._pending))
        view[:count] = self._pending[:count]
        self._pending = self._pending[count:]
        return count

    def _break(self, error: BodyBroken) -> NoReturn:
        self.broken = error
        raise error
