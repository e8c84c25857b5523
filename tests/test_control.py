"""The control plane under /_mockfiles/, over HTTP against ``mockfiles serve``, as a client in
another language would drive it."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from mockfiles import MockFiles

START = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """The control plane's root of a standalone server whose clock starts at START."""
    with subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", "--now", "2026-01-01T00:00:00Z"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        try:
            yield base_url.removesuffix("/v1")
        finally:
            process.terminate()
            process.wait(10)


def call(root: str, method: str, path: str, body: object = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{root}{path}", data=data, method=method)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def now(root: str) -> float:
    status, body = call(root, "GET", "/_mockfiles/clock")
    assert status == 200
    return float(body["now"])


def test_the_clock_starts_where_serve_was_told_and_needs_no_key(server: str) -> None:
    assert START <= now(server) < START + 60


def test_the_clock_advances_and_is_set(server: str) -> None:
    before = now(server)
    status, body = call(server, "POST", "/_mockfiles/clock", {"advance": 3600})
    assert status == 200
    assert before + 3600 <= body["now"] < before + 3660
    status, body = call(server, "POST", "/_mockfiles/clock", {"set": START + 86_400})
    assert (status, int(body["now"])) == (200, START + 86_400)
    status, body = call(server, "POST", "/_mockfiles/clock", {"set": "2026-02-01T00:00:00Z"})
    assert (status, int(body["now"])) == (200, 1_769_904_000)


@pytest.mark.parametrize(
    "body",
    [{}, {"advance": 1, "set": 2}, {"advance": "soon"}, {"set": "not a date"}, {"jump": 5}, [1]],
)
def test_bad_clock_moves_are_json_400s(server: str, body: object) -> None:
    status, answer = call(server, "POST", "/_mockfiles/clock", body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"


def test_moving_the_clock_expires_files_and_reset_empties_the_fake(server: str) -> None:
    with openai.OpenAI(base_url=f"{server}/v1", api_key="sk-any", max_retries=0) as client:
        call(server, "POST", "/_mockfiles/reset")
        doomed = client.files.create(
            file=b"{}\n", purpose="batch", expires_after={"anchor": "created_at", "seconds": 3600}
        )
        kept = client.files.create(file=b"png", purpose="vision")
        call(server, "POST", "/_mockfiles/clock", {"advance": 3600})
        assert [f.id for f in client.files.list()] == [kept.id]
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(doomed.id)
        status, body = call(server, "POST", "/_mockfiles/reset")
        assert (status, body["reset"]) == (200, True)
        assert START <= body["now"] < START + 60  # the clock is back where serve started it
        assert client.files.list().data == []


def test_the_fixtures_server_serves_the_control_plane_too(mockfiles: MockFiles) -> None:
    root = mockfiles.url.removesuffix("/v1")
    mockfiles.clock.set(START)
    status, body = call(root, "POST", "/_mockfiles/clock", {"advance": 60})
    assert status == 200
    assert START + 60 <= body["now"] < START + 120
    assert START + 60 <= mockfiles.clock.now() < START + 120
