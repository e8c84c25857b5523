"""Official ``openai`` clients pointed at a fake, over a socket or in-process.

openai 3.x speaks through ``httpx2``, the 1.x and 2.x lines through ``httpx``; the module is
found from the SDK itself, so one code path serves both. In-process, requests go straight into
the fake's WSGI app: no socket, no thread for sync clients, one worker thread per request for
async ones (so an async test's event loop never blocks on the fake).
"""

from __future__ import annotations

import functools
import importlib
import time
from types import ModuleType
from typing import TYPE_CHECKING, Any

from mockfiles.http.app import TransportFault

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from openai import AsyncOpenAI, OpenAI

#: The base URL of in-process clients. The host is never resolved: the transport hands the
#: request to the app directly.
IN_PROCESS_BASE_URL = "http://mockfiles.in-process/v1"


def sdk_httpx() -> ModuleType:
    """The HTTP library the installed ``openai`` SDK is built on (``httpx2`` or ``httpx``)."""
    import openai

    for cls in openai.DefaultHttpxClient.__mro__:
        root = cls.__module__.partition(".")[0]
        if root in ("httpx2", "httpx"):
            return importlib.import_module(root)
    raise RuntimeError("cannot tell which httpx the installed openai SDK uses")


@functools.cache
def _in_process_transport_classes(httpx: ModuleType) -> tuple[type[Any], type[Any]]:
    """Sync and async transports that hand requests to a WSGI app, and turn the fake's
    transport faults into the exceptions ``httpx`` raises for a real broken connection."""
    import anyio.to_thread

    class InProcessTransport(httpx.BaseTransport):  # type: ignore[misc,name-defined]
        def __init__(self, app: WSGIApplication) -> None:
            self._wsgi = httpx.WSGITransport(app=app)

        def handle_request(self, request: Any) -> Any:
            try:
                return self._wsgi.handle_request(request)
            except TransportFault as fault:
                return _as_if_over_a_socket(httpx, request, fault)

    class AsyncInProcessTransport(httpx.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        # httpx has no async WSGI transport: each request runs in a worker thread, so the
        # test's event loop never blocks on the fake (nor on a delay fault).
        def __init__(self, app: WSGIApplication) -> None:
            self._sync = InProcessTransport(app)

        async def handle_async_request(self, request: Any) -> Any:
            await request.aread()

            def call() -> Any:
                response = self._sync.handle_request(request)
                response.read()
                return response

            response = await anyio.to_thread.run_sync(call)
            return httpx.Response(
                response.status_code, headers=response.headers, content=response.content
            )

    return InProcessTransport, AsyncInProcessTransport


def _as_if_over_a_socket(httpx: ModuleType, request: Any, fault: TransportFault) -> Any:
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
    # delay and slow_body: the answer comes late; past the read timeout, the client gives up.
    timeout = (request.extensions.get("timeout") or {}).get("read")
    if timeout is not None and fault.seconds >= timeout:
        time.sleep(timeout)
        raise httpx.ReadTimeout("The read operation timed out", request=request)
    time.sleep(fault.seconds)
    response = fault.response
    return httpx.Response(
        response.status_code,
        headers=list(response.headers.items()),
        content=response.iter_encoded(),  # streamed, as the socket server streams it
    )


def _http_client_for(base_url: str | None, app: WSGIApplication, asynchronous: bool) -> Any:
    """The SDK's default HTTP client, in-process into ``app`` when ``base_url`` is ``None``."""
    import openai

    factory = openai.DefaultAsyncHttpxClient if asynchronous else openai.DefaultHttpxClient
    if base_url is None:
        in_process = _in_process_transport_classes(sdk_httpx())[1 if asynchronous else 0]
        return factory(transport=in_process(app))
    # Plain HTTP to loopback: no certificates to load (loading them costs ~40 ms).
    return factory(verify=False)


def make_client(
    *,
    base_url: str | None,
    app: WSGIApplication,
    api_key: str,
    strict: bool,
    **kwargs: Any,
) -> OpenAI:
    """A sync client: over a socket to ``base_url``, or in-process into ``app`` when
    ``base_url`` is ``None``. An ``http_client`` given in ``kwargs`` is used as it is."""
    import openai

    if "http_client" not in kwargs:
        kwargs["http_client"] = _http_client_for(base_url, app, asynchronous=False)
    return openai.OpenAI(
        api_key=api_key,
        base_url=base_url or IN_PROCESS_BASE_URL,
        _strict_response_validation=strict,
        **kwargs,
    )


def make_async_client(
    *,
    base_url: str | None,
    app: WSGIApplication,
    api_key: str,
    strict: bool,
    **kwargs: Any,
) -> AsyncOpenAI:
    """The async twin of ``make_client``."""
    import openai

    if "http_client" not in kwargs:
        kwargs["http_client"] = _http_client_for(base_url, app, asynchronous=True)
    return openai.AsyncOpenAI(
        api_key=api_key,
        base_url=base_url or IN_PROCESS_BASE_URL,
        _strict_response_validation=strict,
        **kwargs,
    )
