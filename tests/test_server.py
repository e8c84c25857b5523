"""The socket edge: keep-alive, odd but legal HTTP, prompt stops, and ``mockfiles serve``."""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import signal
import socket
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import openai
import pytest
from helpers import serve_cli
from werkzeug.wrappers import Request, Response

import mockfiles
from mockfiles import MockFiles, MockServer
from mockfiles.http.app import TransportFault
from mockfiles.serving.wire import Wire

AUTH = {"Authorization": "Bearer sk-test"}
AUTH_LINE = "Authorization: Bearer sk-test"
BOUNDARY = "xYzZy"


def form(data: bytes = b"{}\n", purpose: str = "batch") -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n{purpose}\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.jsonl"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


FORM_HEADERS = {**AUTH, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}


@pytest.fixture
def served() -> Iterator[tuple[MockFiles, str, int]]:
    with mockfiles.serve() as mock:
        address = urlsplit(mock.url)
        assert address.hostname is not None
        assert address.port is not None
        yield mock, address.hostname, address.port


def test_one_connection_carries_many_requests(served: tuple[MockFiles, str, int]) -> None:
    _, host, port = served
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("POST", "/v1/files", body=form(), headers=FORM_HEADERS)
    first = connection.getresponse()
    created = json.loads(first.read())
    assert first.getheader("Connection") != "close"
    sock = connection.sock
    # An error answered before the body was looked at still reads the body to its end.
    connection.request("POST", "/v1/files", body=form(b"x" * 300_000), headers={})
    unauthorized = connection.getresponse()
    assert unauthorized.status == 401
    unauthorized.read()
    connection.request("GET", f"/v1/files/{created['id']}", headers=AUTH)
    retrieved = connection.getresponse()
    assert json.loads(retrieved.read())["id"] == created["id"]
    assert connection.sock is sock  # the same socket served all three
    connection.close()


def test_a_chunked_upload_is_decoded(served: tuple[MockFiles, str, int]) -> None:
    mock, host, port = served
    body = form(b"chunked payload")
    connection = http.client.HTTPConnection(host, port, timeout=10)
    pieces = [body[i : i + 7] for i in range(0, len(body), 7)]
    connection.request("POST", "/v1/files", body=iter(pieces), headers=FORM_HEADERS)
    response = connection.getresponse()
    assert response.status == 200
    assert mock.content(json.loads(response.read())["id"]) == b"chunked payload"
    connection.close()


def test_expect_100_continue_is_honoured(served: tuple[MockFiles, str, int]) -> None:
    _, host, port = served
    body = form()
    head = (
        f"POST /v1/files HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer k\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head)
        assert sock.recv(64) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(body)
        answer = b""
        while chunk := sock.recv(65536):  # the server closes after answering
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"100 Continue" not in answer


@pytest.mark.parametrize("path", ["/v1/n%6Fpe", "//v1/files", "//v1/files/file-x"])
def test_invalid_url_echoes_the_path_as_sent(served: tuple[MockFiles, str, int], path: str) -> None:
    _, host, port = served
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", f"{path}?x=1", headers=AUTH)
    response = connection.getresponse()
    assert response.status == 404
    assert json.loads(response.read())["error"]["message"] == f"Invalid URL (GET {path})"
    connection.close()


def test_a_server_with_no_fake_attached_answers_json_503() -> None:
    server = MockServer()
    server.start()
    try:
        address = urlsplit(server.base_url)
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        connection.request("GET", "/v1/files", headers=AUTH)
        response = connection.getresponse()
        assert response.status == 503
        assert json.loads(response.read())["error"]["type"] == "server_error"
        connection.close()
    finally:
        server.stop()


def test_stopping_a_server_returns_at_once() -> None:
    durations = []
    for _ in range(20):
        server = MockServer()
        server.start()
        server.attach(MockFiles())
        connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
        connection.request("GET", "/v1/files", headers=AUTH)
        connection.getresponse().read()  # the accept loop is waiting again, a connection open
        started = time.perf_counter()
        server.stop()
        durations.append(time.perf_counter() - started)
        connection.close()
    # The accept loop is woken, not polled (a poll would cost half its interval on average);
    # measured at about 0.1 ms. The bounds leave room for a loaded machine.
    assert statistics.median(durations) < 0.005
    assert max(durations) < 0.25


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_the_cli_prints_its_url_first_and_stops_cleanly(stop_signal: signal.Signals) -> None:
    with serve_cli("--seed", "5", "--project", "proj_cli") as (process, url):
        assert url.startswith("http://127.0.0.1:")
        assert url.endswith("/v1")
        with openai.OpenAI(base_url=url, api_key="sk-any", max_retries=0) as client:
            raw = client.files.with_raw_response.create(file=b"x", purpose="vision")
            assert raw.headers["openai-project"] == "proj_cli"
            assert client.files.content(raw.parse().id).content == b"x"
        process.send_signal(stop_signal)
        assert process.wait(timeout=10) == 0


def test_the_cli_listens_where_it_is_told() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serve_cli("--host", "127.0.0.1", "--port", str(port)) as (process, url):
        assert url == f"http://127.0.0.1:{port}/v1"
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def test_stopping_ends_kept_alive_connections_too() -> None:
    server = MockServer()
    server.start()
    server.attach(MockFiles())
    address = urlsplit(server.base_url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
    connection.request("GET", "/v1/files", headers=AUTH)
    assert connection.getresponse().read()
    server.stop()

    def ask_again() -> None:
        connection.request("GET", "/v1/files", headers=AUTH)
        connection.getresponse()

    with pytest.raises((ConnectionError, http.client.HTTPException)):
        ask_again()
    connection.close()


def test_a_chunked_json_body_cannot_exceed_the_cap(served: tuple[MockFiles, str, int]) -> None:
    mock, host, port = served
    connection = http.client.HTTPConnection(host, port, timeout=30)
    pieces = (b" " * 65536 for _ in range(20))  # 1.25 MiB of JSON whitespace, no length given
    headers = {**AUTH, "Content-Type": "application/json"}
    connection.request("POST", "/v1/uploads", body=pieces, headers=headers)
    response = connection.getresponse()
    assert response.status == 400
    assert "may not exceed" in json.loads(response.read())["error"]["message"]
    connection.close()
    assert mock.bugs == []


# -- framing, timeouts and faults of the serving layer ------------------------------------------


def exchange_raw(host: str, port: int, data: bytes, *, half_close: bool = False) -> bytes:
    """Send ``data`` on a fresh connection and read until the server closes it."""
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(data)
        if half_close:
            sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    return answer


def statuses(raw: bytes) -> list[int]:
    """The statuses of the answers in ``raw`` (bodies are JSON, never a status line)."""
    return [int(code) for code in re.findall(rb"HTTP/1\.1 (\d{3}) ", raw)]


CLOSE = b"GET /v1/nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"


def test_empty_lines_before_a_request_are_skipped(served: tuple[MockFiles, str, int]) -> None:
    _, host, port = served
    raw = exchange_raw(host, port, b"\r\n\r\n\n" + CLOSE)
    assert statuses(raw) == [404]


@pytest.mark.parametrize("length", [b"abc", b"-1", b"+2", b"0x2", b"1e1", b"\xef\xbc\x92", b"1, 2"])
def test_a_content_length_that_is_not_digits_is_refused_and_closes(
    served: tuple[MockFiles, str, int], length: bytes
) -> None:
    _, host, port = served
    request = b"POST /_mockfiles/clock HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\n" % length
    raw = exchange_raw(host, port, request + b'{"advance": 5}' + CLOSE)
    assert statuses(raw) == [400]  # the body was not taken for a request, nor the next one
    assert b"Connection: close" in raw
    assert b'"type":"invalid_request_error"' in raw


def test_transfer_encoding_wins_over_content_length_and_the_connection_closes(
    served: tuple[MockFiles, str, int],
) -> None:
    mock, host, port = served
    created = mock.add_file(purpose="batch", size=3)
    smuggled = f"DELETE /v1/files/{created.id} HTTP/1.1\r\nHost: x\r\n{AUTH_LINE}\r\n\r\n"
    request = (
        f"POST /v1/uploads/upload_x/cancel HTTP/1.1\r\nHost: x\r\n{AUTH_LINE}\r\n"
        "Content-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
        f"0\r\n\r\n{smuggled}"
    ).encode()
    raw = exchange_raw(host, port, request)
    assert statuses(raw) == [404]  # the cancel of an unknown upload, and nothing else
    assert b"Connection: close" in raw
    assert [f.id for f in mock.files()] == [created.id]


@pytest.mark.parametrize("coding", [b"xchunked", b"identity", b"gzip, chunked", b"chunked, gzip"])
def test_a_transfer_coding_other_than_chunked_is_refused_and_closes(
    served: tuple[MockFiles, str, int], coding: bytes
) -> None:
    _, host, port = served
    request = b"POST /v1/uploads HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: %s\r\n\r\n" % coding
    raw = exchange_raw(host, port, request + b"0\r\n\r\n" + CLOSE)
    assert statuses(raw) == [400]
    assert b"Connection: close" in raw


@pytest.mark.parametrize(
    ("target", "status"),
    [("/_mockfiles/clock", 200), ("/v1/uploads/upload_x/cancel", 404), ("/v1/uploads", 400)],
)
def test_chunk_extensions_and_trailers_are_ignored(
    served: tuple[MockFiles, str, int], target: str, status: int
) -> None:
    _, host, port = served
    body = b'{"advance": 0}'
    request = (
        f"POST {target} HTTP/1.1\r\nHost: x\r\n{AUTH_LINE}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode() + b"%x;name=value\r\n%s\r\n0;last\r\nX-Trailer: 1\r\n\r\n" % (len(body), body)
    raw = exchange_raw(host, port, request + CLOSE)
    assert statuses(raw) == [status, 404]  # the connection carried the next request too


@pytest.mark.parametrize(
    "target", ["/_mockfiles/clock", "/v1/uploads", "/v1/uploads/u/complete", "/v1/files"]
)
@pytest.mark.parametrize(
    "chunks", [b"zz\r\n0\r\n\r\n", b"-5\r\nabcde\r\n0\r\n\r\n", b"3\r\nabcXX\r\n0\r\n\r\n"]
)
def test_malformed_chunks_are_a_400_that_closes_on_every_endpoint(
    served: tuple[MockFiles, str, int], target: str, chunks: bytes
) -> None:
    mock, host, port = served
    request = (
        f"POST {target} HTTP/1.1\r\nHost: x\r\n{AUTH_LINE}\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode()
    raw = exchange_raw(host, port, request + chunks + CLOSE)
    assert statuses(raw) == [400]
    assert b"Connection: close" in raw
    assert mock.bugs == []


def test_a_body_cut_off_by_the_client_is_a_400_not_a_bug(
    served: tuple[MockFiles, str, int],
) -> None:
    mock, host, port = served
    for body, framing in [
        (b"5\r\nab", "Transfer-Encoding: chunked"),
        (b"ffffffffffffffff\r\nabc", "Transfer-Encoding: chunked"),  # once spun a core forever
        (b'{"purpose"', "Content-Length: 100"),
    ]:
        request = (
            f"POST /v1/uploads HTTP/1.1\r\nHost: x\r\n{AUTH_LINE}\r\n"
            f"Content-Type: application/json\r\n{framing}\r\n\r\n"
        ).encode()
        raw = exchange_raw(host, port, request + body, half_close=True)
        assert statuses(raw) == [400], raw
    assert mock.bugs == []
    assert wait_for(lambda: mock_server(mock).open_connections == 0)


def test_no_server_header_is_sent(served: tuple[MockFiles, str, int]) -> None:
    _, host, port = served
    raw = exchange_raw(host, port, CLOSE)
    assert b"\r\nserver:" not in raw.lower()
    assert b"\r\nDate: " in raw


def test_a_request_that_stalls_is_answered_408_and_let_go() -> None:
    with mockfiles.serve(timeout=0.3) as mock:
        host, port = address_of(mock.url)
        for partial in (
            b"GET /v1/files HTTP/1.1\r\nHo",
            b"POST /v1/uploads HTTP/1.1\r\n"
            b"Host: x\r\nAuthorization: Bearer k\r\nContent-Type: application/json"
            b'\r\nContent-Length: 10\r\n\r\n{"a"',
        ):
            with socket.create_connection((host, port), timeout=10) as sock:
                sock.sendall(partial)
                started = time.monotonic()
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
                waited = time.monotonic() - started
            assert statuses(answer) == [408]
            assert 0.25 < waited < 5
        assert mock.bugs == []
        assert wait_for(lambda: mock_server(mock).open_connections == 0)


class HoldingServer(MockServer):
    """A server whose every answer is the ``timeout`` transport fault, capped at ``cap``."""

    def __init__(self, cap: float) -> None:
        super().__init__()
        self.cap = cap

    def application(self, request: Request) -> Response:
        raise TransportFault("timeout", self.cap, Response(b"{}", status=200))


def test_the_timeout_fault_holds_the_answer_until_the_client_gives_up() -> None:
    server = HoldingServer(cap=60)
    server.start()
    try:
        host, port = address_of(server.base_url)
        with socket.create_connection((host, port), timeout=0.3) as sock:
            sock.sendall(CLOSE)
            with pytest.raises(TimeoutError):  # nothing is answered: the client's timeout fires
                sock.recv(1)
            assert server.open_connections == 1
        # The client closed its connection: the server notices and lets it go.
        assert wait_for(lambda: server.open_connections == 0)
    finally:
        server.stop()


def test_the_timeout_fault_closes_without_an_answer_after_its_seconds() -> None:
    server = HoldingServer(cap=0.2)
    server.start()
    try:
        host, port = address_of(server.base_url)
        with socket.create_connection((host, port), timeout=10) as sock:
            sock.sendall(CLOSE)
            started = time.monotonic()
            assert sock.recv(1) == b""  # the end of the connection, and no answer
            assert 0.15 < time.monotonic() - started < 5
    finally:
        server.stop()


def address_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    assert parts.hostname is not None
    assert parts.port is not None
    return parts.hostname, parts.port


def mock_server(mock: MockFiles) -> MockServer:
    server = mock._server
    assert server is not None
    return server


def wait_for(condition: Callable[[], bool], within: float = 5.0) -> bool:
    """Whether ``condition`` holds within ``within`` seconds (the server's threads finish on
    their own; this waits for them, not for time to pass)."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# -- memory bounds, whatever the framing and the order of the fields -----------------------------

MiB = 1024 * 1024


def upload_form(parts: list[tuple[str, bytes, bool]]) -> bytes:
    """A form of (name, data, is_file) parts."""
    body = b""
    for name, data, is_file in parts:
        filename = '; filename="big.jsonl"' if is_file else ""
        body += (
            (
                f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"{filename}\r\n\r\n'
            ).encode()
            + data
            + b"\r\n"
        )
    return body + f"--{BOUNDARY}--\r\n".encode()


def post_form(host: str, port: int, form_body: bytes, *, chunked: bool) -> tuple[int, str]:
    """POST /v1/files, sending from a thread while the answer is read (a refusal can come
    before the body is sent); the answer's status and error message."""
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {len(form_body)}"
    head = (
        f"POST /v1/files HTTP/1.1\r\nHost: x\r\n{AUTH_LINE}\r\n"
        f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{framing}\r\n\r\n"
    ).encode()
    if chunked:
        pieces = [form_body[i : i + MiB] for i in range(0, len(form_body), MiB)]
        form_body = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"
    with socket.create_connection((host, port), timeout=30) as sock:

        def send() -> None:
            with contextlib.suppress(OSError):  # the server may stop reading once it refuses
                sock.sendall(head + form_body)

        sender = threading.Thread(target=send)
        sender.start()
        answer = b""
        while b"\r\n\r\n" not in answer or not answer.rstrip().endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            answer += chunk
        sender.join()
    status = statuses(answer)[0]
    return status, json.loads(answer.partition(b"\r\n\r\n")[2])["error"]["message"]


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_upload_past_the_quota_left_is_refused_while_it_streams(chunked: bool) -> None:
    with mockfiles.serve(MockFiles(limits={"storage_bytes": MiB})) as mock:
        host, port = address_of(mock.url)
        form_body = upload_form([("purpose", b"user_data", False), ("file", bytes(8 * MiB), True)])
        status, message = post_form(host, port, form_body, chunked=chunked)
        assert status == 400
        assert message.startswith("You have exceeded your file storage quota.")
        assert mock.files() == []
        assert mock.bugs == []


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_file_before_its_purpose_gets_the_purposes_limit(chunked: bool) -> None:
    limits = {"file_bytes": 24 * MiB, "batch_file_bytes": 18 * MiB}
    with mockfiles.serve(MockFiles(limits=limits)) as mock:
        host, port = address_of(mock.url)
        # Over the batch limit, under the general one: only the purpose after it tells.
        parts = [("file", bytes(20 * MiB), True), ("other", bytes(20 * MiB), True)]
        batch = upload_form([*parts, ("purpose", b"batch", False)])
        assert post_form(host, port, batch, chunked=chunked) == (400, "File is too large.")
        assert mock.files() == []
        assert mock.bugs == []


def test_a_small_answer_goes_out_in_one_write(
    served: tuple[MockFiles, str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, host, port = served
    writes: list[bytes] = []
    send = Wire.send

    def counting_send(wire: Wire, data: bytes) -> None:
        writes.append(data)
        send(wire, data)

    monkeypatch.setattr(Wire, "send", counting_send)
    raw = exchange_raw(
        host,
        port,
        b"GET /v1/files HTTP/1.1\r\nHost: x\r\n"
        + AUTH_LINE.encode()
        + b"\r\nConnection: close\r\n\r\n",
    )
    assert statuses(raw) == [200]
    assert writes == [raw]  # head and body together


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--port", "99999"], "--port must be from 0 to 65535, not 99999"),
        (["--chaos", "2"], "--chaos must be a number from 0 to 1, not 2.0"),
        (["--port", "{taken}"], "cannot listen on 127.0.0.1 port {taken}: "),
    ],
)
def test_serve_refuses_what_it_cannot_do_in_one_line(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from mockfiles.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        with pytest.raises(SystemExit) as exited:
            main(["serve", *(a.replace("{taken}", port) for a in arguments)])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert message.replace("{taken}", port) in err
    assert "Traceback" not in err
