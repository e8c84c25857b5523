"""The socket edge: keep-alive, odd but legal HTTP, prompt stops, and ``mockfiles serve``."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import openai
import pytest
from helpers import serve_cli

import mockfiles
from mockfiles import MockFiles, MockServer

AUTH = {"Authorization": "Bearer sk-test"}
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


def test_stopping_a_server_does_not_wait_out_a_poll_interval() -> None:
    durations = []
    for _ in range(5):
        server = MockServer()
        server.start()
        started = time.perf_counter()
        server.stop()
        durations.append(time.perf_counter() - started)
    # The stock poll would make these 0.25 s on average and up to 0.5 s; this one polls every
    # 20 ms. The bounds leave room for a loaded machine.
    assert statistics.median(durations) < 0.12
    assert max(durations) < 0.45


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
