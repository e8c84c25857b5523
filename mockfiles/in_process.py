"""The in-process transport: requests handed to a fake's WSGI app in this process, as streams.

No socket and no thread for sync clients; one worker thread per request for async ones, so an
async test's event loop never blocks on the fake. The request body reaches the app chunk by
chunk through ``wsgi.input`` and the answer streams back, so an in-process upload is held once
and an over-limit one is dropped as it arrives. Transport faults become the exceptions the
SDK's httpx raises for a real broken connection.
"""

from __future__ import annotations

import functools
import importlib
import io
import sys
import time
import urllib.parse
from collections.abc import AsyncIterator, Iterable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING, Any

from mockfiles.http.app import TransportFault

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication


def sdk_httpx() -> ModuleType:
    """The HTTP library the installed ``openai`` SDK is built on (``httpx2`` or ``httpx``)."""
    import openai

    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.partition(".")[0]
        if root in ("httpx2", "httpx"):
            return importlib.import_module(root)
    raise RuntimeError("cannot tell which httpx the installed openai SDK uses")


def in_process_transport(app: WSGIApplication, *, asynchronous: bool = False) -> Any:
    """A transport of the SDK's httpx that hands each request to ``app`` in this process
    (``httpx.Client(transport=...)``, or ``AsyncClient`` when ``asynchronous``)."""
    return _in_process_transport_classes(sdk_httpx())[1 if asynchronous else 0](app)


@functools.cache
def _in_process_transport_classes(httpx: ModuleType) -> tuple[type[Any], type[Any]]:
    """Sync and async transports that hand requests to a WSGI app as streams, and turn the
    fake's transport faults into the exceptions ``httpx`` raises for a real broken connection.

    Unlike ``httpx.WSGITransport`` (which reads the whole request into memory first), the
    app reads the request body chunk by chunk as the client produces it, and the answer
    streams back: an in-process upload costs what it costs over a socket.
    """
    import anyio.from_thread
    import anyio.to_thread

    class ResponseBody(httpx.SyncByteStream):  # type: ignore[misc,name-defined]
        def __init__(self, answer: _Answer) -> None:
            self._answer = answer

        def __iter__(self) -> Iterator[bytes]:
            yield from self._answer.chunks()

        def close(self) -> None:
            self._answer.close()

    class AsyncResponseBody(httpx.AsyncByteStream):  # type: ignore[misc,name-defined]
        # The app's iterable is read in a worker thread; what is already at hand (a small
        # answer's whole body) comes without one.
        def __init__(self, answer: _Answer) -> None:
            self._answer = answer

        async def __aiter__(self) -> AsyncIterator[bytes]:
            for ready in self._answer.prefetched:
                yield ready
            while not self._answer.complete:
                chunk = await anyio.to_thread.run_sync(self._answer.next_chunk)
                if chunk is None:
                    return
                yield chunk

        async def aclose(self) -> None:
            self._answer.close()

    class InProcessTransport(httpx.BaseTransport):  # type: ignore[misc,name-defined]
        def __init__(self, app: WSGIApplication) -> None:
            self._app = app

        def handle_request(self, request: Any) -> Any:
            answer = _call_app(httpx, self._app, request, _BodyReader(iter(request.stream)))
            return httpx.Response(
                answer.status, headers=answer.headers, stream=ResponseBody(answer)
            )

    class AsyncInProcessTransport(httpx.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        # httpx has no async WSGI transport: each request runs in a worker thread, so the
        # test's event loop never blocks on the fake (nor on a delay fault).
        def __init__(self, app: WSGIApplication) -> None:
            self._app = app

        async def handle_async_request(self, request: Any) -> Any:
            stream = request.stream
            if isinstance(stream, httpx.SyncByteStream):
                # httpx's own bodies (bytes, forms, files) are also sync streams: the worker
                # reads them itself, and a file is read off the event loop.
                chunks: Iterator[bytes] = iter(stream)
            else:
                chunks = _chunks_from_the_event_loop(stream)

            def call() -> _Answer:
                answer = _call_app(httpx, self._app, request, _BodyReader(chunks))
                answer.prefetch(PREFETCH_BYTES)
                return answer

            answer = await anyio.to_thread.run_sync(call)
            return httpx.Response(
                answer.status, headers=answer.headers, stream=AsyncResponseBody(answer)
            )

    def _chunks_from_the_event_loop(stream: Any) -> Iterator[bytes]:
        """A body only async code can produce, pulled chunk by chunk from the worker thread."""
        iterator = stream.__aiter__()

        async def next_chunk() -> bytes | None:
            try:
                return bytes(await iterator.__anext__())
            except StopAsyncIteration:
                return None

        while (chunk := anyio.from_thread.run(next_chunk)) is not None:
            yield chunk

    return InProcessTransport, AsyncInProcessTransport


#: An async in-process answer up to this size is read in the worker that ran the app, so it
#: needs no second trip to a thread.
PREFETCH_BYTES = 256 * 1024


class _BodyReader(io.RawIOBase):
    """``wsgi.input`` over the request's stream of chunks: each read takes what the client
    has produced, so the body never sits whole in memory."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        with memoryview(buffer) as target, target.cast("B") as out:
            filled = 0
            # Fill the whole buffer when the body allows: fewer, larger reads downstream.
            while filled < len(out):
                if not self._pending:
                    chunk = next(self._chunks, None)
                    if chunk is None:
                        break
                    self._pending = memoryview(chunk).cast("B")
                    continue
                count = min(len(out) - filled, len(self._pending))
                out[filled : filled + count] = self._pending[:count]
                self._pending = self._pending[count:]
                filled += count
            return filled

    def readall(self) -> bytes:
        rest = [bytes(self._pending), *self._chunks]
        self._pending = memoryview(b"")
        return b"".join(rest)


class _Answer:
    """What the app answered: status, headers, and its body as the app's iterable."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]], body: Iterable[bytes]):
        self.status = status
        self.headers = headers
        self._body = body
        self._iterator: Iterator[bytes] | None = iter(body)
        self.prefetched: list[bytes] = []
        #: The whole body is in ``prefetched``.
        self.complete = False

    def next_chunk(self) -> bytes | None:
        while self._iterator is not None:
            chunk = next(self._iterator, None)
            if chunk is None:
                self._iterator = None
            elif chunk:
                return chunk
        return None

    def chunks(self) -> Iterator[bytes]:
        yield from self.prefetched
        self.prefetched = []
        while (chunk := self.next_chunk()) is not None:
            yield chunk

    def prefetch(self, limit: int) -> None:
        """Read a small answer whose length is declared: once that many bytes are at hand, the
        body is complete without asking the app's iterable again (which would cost an async
        client a second trip to a thread). Answers without a length keep streaming."""
        declared = (v for k, v in self.headers if k.lower() == b"content-length" and v.isdigit())
        length = next((int(v) for v in declared), None)
        if length is None or length > limit:
            return
        size = 0
        while size < length and (chunk := self.next_chunk()) is not None:
            self.prefetched.append(chunk)
            size += len(chunk)
        self.complete = True

    def close(self) -> None:
        self._iterator = None
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def _call_app(httpx: ModuleType, app: WSGIApplication, request: Any, body: _BodyReader) -> _Answer:
    """Run ``app`` on ``request`` with ``body`` as its input; a transport fault becomes what a
    client over a socket would meet."""
    url = request.url
    target = url.raw_path.decode("ascii", "replace")
    path = urllib.parse.unquote_to_bytes(target.partition("?")[0]).decode("latin-1")
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme,
        "wsgi.input": body,
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # As a server would: percent-decoded bytes as latin-1 (PEP 3333), and the target as
        # sent for the app that echoes it.
        "PATH_INFO": path,
        "RAW_URI": target,
        "REQUEST_URI": target,
        "QUERY_STRING": url.query.decode("latin-1"),
        "SERVER_NAME": url.host,
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    for raw_name, raw_value in request.headers.raw:
        key = raw_name.decode("latin-1").upper().replace("-", "_")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = "HTTP_" + key
        value = raw_value.decode("latin-1")
        # Repeated headers are folded into one, as HTTP servers hand them to WSGI apps.
        environ[key] = f"{environ[key]},{value}" if key in environ else value
    if "CONTENT_LENGTH" not in environ:
        # No length (a chunked body): the body ends where the client's stream ends.
        environ["wsgi.input_terminated"] = True

    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info and exc_info[0] is not None:
            raise exc_info[1].with_traceback(exc_info[2])
        started[:] = [status, headers]
        return lambda _: None

    try:
        result = app(environ, start_response)
    except TransportFault as fault:
        return _as_if_over_a_socket(httpx, request, fault)
    status, headers = started
    return _Answer(
        int(status.split(None, 1)[0]),
        [(name.encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        result,
    )


def _as_if_over_a_socket(httpx: ModuleType, request: Any, fault: TransportFault) -> _Answer:
    """What a client over a socket would meet: the exception, or a late answer."""
    if fault.kind == "reset":
        raise httpx.ReadError("[Errno 104] Connection reset by peer", request=request)
    if fault.kind == "disconnect":
        raise httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if fault.kind == "timeout":  # the answer is held past any read timeout: give up at once
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    if fault.kind == "truncate":
        raise httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body", request=request
        )
    if fault.kind == "timeout":
        # The client's read timeout, reached at once: in-process there is no wait to sit out.
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    # delay and slow_body: the answer comes late; past the read timeout, the client gives up.
    timeout = (request.extensions.get("timeout") or {}).get("read")
    if timeout is not None and fault.seconds >= timeout:
        time.sleep(timeout)
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    time.sleep(fault.seconds)
    response = fault.response
    return _Answer(
        response.status_code,
        [
            (name.encode("latin-1"), value.encode("latin-1"))
            for name, value in response.headers.items()
        ],
        response.iter_encoded(),  # streamed, as the socket server streams it
    )
