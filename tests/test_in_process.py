"""The in-process transport streams: the app reads the body while the client still produces
it, the answer comes back chunk by chunk, an upload is held once, an async client's event loop
keeps running, and transport faults become the exceptions a socket would give."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from werkzeug.wrappers import Response

from mockfiles import MockFiles
from mockfiles.client import IN_PROCESS_BASE_URL, in_process_transport, make_client, sdk_httpx
from mockfiles.http.app import TransportFault
from mockfiles.limits import MiB

URL = "http://mockfiles.in-process/echo"
StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class StreamingProbe:
    """A WSGI app that reads the first five bytes of the body, says so, then reads the rest;
    its answer is a head, then (once the client says it has the head) the rest."""

    def __init__(self) -> None:
        self.first_read = threading.Event()
        self.head_received = threading.Event()
        self.environ: dict[str, Any] = {}

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        self.environ = environ
        first = environ["wsgi.input"].read(5)
        self.first_read.set()
        rest = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "text/plain")])
        return self._answer(first, rest)

    def _answer(self, first: bytes, rest: bytes) -> Iterator[bytes]:
        yield first + b"|" + rest + b"|"
        yield b"streamed" if self.head_received.wait(10) else b"held back"


def body_after_the_app_read_its_start(probe: StreamingProbe) -> Iterator[bytes]:
    yield b"first"
    # If the transport read the whole body before calling the app, this waits in vain.
    yield b"second" if probe.first_read.wait(10) else b"read whole"


def test_a_sync_request_and_answer_stream_through_the_app() -> None:
    httpx = sdk_httpx()
    probe = StreamingProbe()
    with (
        httpx.Client(transport=in_process_transport(probe)) as client,
        client.stream("POST", URL, content=body_after_the_app_read_its_start(probe)) as response,
    ):
        chunks = response.iter_bytes()
        assert next(chunks) == b"first|second|"
        probe.head_received.set()
        assert b"".join(chunks) == b"streamed"
    # No length was known: the body ends where the client's stream ends.
    assert "CONTENT_LENGTH" not in probe.environ
    assert probe.environ["wsgi.input_terminated"] is True


def test_an_async_request_and_answer_stream_through_the_app() -> None:
    httpx = sdk_httpx()
    probe = StreamingProbe()

    async def body() -> AsyncIterator[bytes]:
        yield b"first"
        for _ in range(1000):  # the event loop keeps running while the app waits for more
            if probe.first_read.is_set():
                break
            await asyncio.sleep(0.01)
        yield b"second" if probe.first_read.is_set() else b"read whole"

    async def exchange() -> tuple[bytes, bytes]:
        transport = in_process_transport(probe, asynchronous=True)
        async with (
            httpx.AsyncClient(transport=transport) as client,
            client.stream("POST", URL, content=body()) as response,
        ):
            chunks = response.aiter_bytes()
            head = await chunks.__anext__()
            probe.head_received.set()
            return head, b"".join([chunk async for chunk in chunks])

    assert asyncio.run(exchange()) == (b"first|second|", b"streamed")


def test_a_body_of_known_length_gets_its_content_length() -> None:
    httpx = sdk_httpx()
    probe = StreamingProbe()
    probe.head_received.set()
    with httpx.Client(transport=in_process_transport(probe)) as client:
        response = client.post(URL, content=b"0123456789")
    assert response.content == b"01234|56789|streamed"
    assert probe.environ["CONTENT_LENGTH"] == "10"
    assert "wsgi.input_terminated" not in probe.environ


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
def test_an_in_process_upload_is_held_once(tmp_path: Path) -> None:
    size = 64 * MiB
    path = tmp_path / "upload.bin"
    with path.open("wb") as handle:
        handle.truncate(size)  # sparse: reads as zeros
    mock = MockFiles()
    client = mock.client(in_process=True)
    client.files.list()  # warm the code paths first
    before = rss_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current size
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="user_data")
    growth = (rss_kib("VmHWM") - before) * 1024 / size
    assert created.bytes == size
    # The stored copy is 1.0; reading the whole request first, as httpx's WSGITransport does,
    # made it 2.0.
    assert growth < 1.25, f"the process grew by {growth:.2f}x the upload"
    mock.close()


def faulty_app(kind: str, seconds: float = 0.0) -> Callable[..., Iterable[bytes]]:
    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        raise TransportFault(kind, seconds, Response(b"{}", mimetype="application/json"))

    return app


def test_a_timeout_fault_raises_the_sdks_timeout_at_once() -> None:
    client = make_client(base_url=None, app=faulty_app("timeout"), api_key="sk-x", strict=True)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        client.with_options(max_retries=0, timeout=60).files.list()
    assert time.monotonic() - started < 10  # not the minute the client would wait
    client.close()


def test_faults_reach_an_async_client_as_they_would_over_a_socket() -> None:
    async def attempt(kind: str) -> type[BaseException]:
        client = openai.AsyncOpenAI(
            api_key="sk-x",
            base_url=IN_PROCESS_BASE_URL,
            max_retries=0,
            http_client=openai.DefaultAsyncHttpxClient(
                transport=in_process_transport(faulty_app(kind), asynchronous=True)
            ),
        )
        async with client:
            with pytest.raises(openai.APIConnectionError) as raised:
                await client.files.list()
        return type(raised.value)

    assert asyncio.run(attempt("timeout")) is openai.APITimeoutError
    assert asyncio.run(attempt("reset")) is openai.APIConnectionError


def test_a_slow_answer_does_not_block_the_async_clients_event_loop() -> None:
    mock = MockFiles()
    mock.faults.add("files.list", "delay", seconds=0.3)

    async def run() -> tuple[int, list[Any]]:
        ticks = 0
        done = asyncio.Event()

        async def tick() -> None:
            nonlocal ticks
            while not done.is_set():
                ticks += 1
                await asyncio.sleep(0.01)

        async with mock.async_client(in_process=True) as client:
            ticker = asyncio.create_task(tick())
            page = await client.files.list()
            done.set()
            await ticker
        return ticks, page.data

    ticks, data = asyncio.run(run())
    assert data == []
    # 0.3 s of 10 ms sleeps: the loop ran throughout (blocked, it would tick once at most).
    assert ticks >= 3
