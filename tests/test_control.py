"""The control plane under /_mockfiles/, over HTTP against ``mockfiles serve``, as a client in
another language would drive it."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from helpers import control, serve_cli
from werkzeug.test import Client

from mockfiles import APIError, MockFiles

START = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def standalone() -> Iterator[str]:
    """A standalone server whose clock starts at START."""
    with serve_cli("--now", "2026-01-01T00:00:00Z") as (_, url):
        yield url


@pytest.fixture
def server(standalone: str) -> str:
    """The standalone server, reset (its clock back at START) for each test."""
    assert control(standalone, "POST", "reset").status == 200
    return standalone


def now(root: str) -> float:
    status, body = control(root, "GET", "clock")
    assert status == 200
    return float(body["now"])


def test_the_clock_starts_where_serve_was_told_and_needs_no_key(server: str) -> None:
    assert START <= now(server) < START + 60


def test_the_clock_advances_and_is_set(server: str) -> None:
    before = now(server)
    status, body = control(server, "POST", "clock", {"advance": 3600})
    assert status == 200
    assert before + 3600 <= body["now"] < before + 3660
    status, body = control(server, "POST", "clock", {"set": START + 86_400})
    assert (status, int(body["now"])) == (200, START + 86_400)
    status, body = control(server, "POST", "clock", {"set": "2026-02-01T00:00:00Z"})
    assert (status, int(body["now"])) == (200, 1_769_904_000)


@pytest.mark.parametrize(
    "body",
    [{}, {"advance": 1, "set": 2}, {"advance": "soon"}, {"set": "not a date"}, {"jump": 5}, [1]],
)
def test_bad_clock_moves_are_json_400s(server: str, body: object) -> None:
    status, answer = control(server, "POST", "clock", body)
    assert status == 400
    assert answer["error"]["type"] == "invalid_request_error"


def test_moving_the_clock_expires_files_and_reset_empties_the_fake(server: str) -> None:
    with openai.OpenAI(base_url=server, api_key="sk-any", max_retries=0) as client:
        control(server, "POST", "reset")
        doomed = client.files.create(
            file=b"{}\n", purpose="batch", expires_after={"anchor": "created_at", "seconds": 3600}
        )
        kept = client.files.create(file=b"png", purpose="vision")
        control(server, "POST", "clock", {"advance": 3600})
        assert [f.id for f in client.files.list()] == [kept.id]
        with pytest.raises(openai.NotFoundError):
            client.files.retrieve(doomed.id)
        status, body = control(server, "POST", "reset")
        assert (status, body["reset"]) == (200, True)
        assert START <= body["now"] < START + 60  # the clock is back where serve started it
        assert client.files.list().data == []


def test_the_fixtures_server_serves_the_control_plane_too(mockfiles: MockFiles) -> None:
    mockfiles.clock.set(START)
    status, body = control(mockfiles.url, "POST", "clock", {"advance": 60})
    assert status == 200
    assert START + 60 <= body["now"] < START + 120
    assert START + 60 <= mockfiles.clock.now() < START + 120


@pytest.mark.parametrize(
    "body",
    [
        b'{"advance": NaN}',
        b'{"advance": Infinity}',
        b'{"set": "nan"}',
        b'{"set": 1e308}',
        b'{"set": -1}',
        b"[" * 5000 + b"]" * 5000,
    ],
)
def test_the_clock_refuses_times_it_cannot_show(mockfiles: MockFiles, body: bytes) -> None:
    client = Client(mockfiles.app)
    answer = client.post("/_mockfiles/clock", data=body, content_type="application/json")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["type"] == "invalid_request_error"
    assert mockfiles.bugs == []


@pytest.mark.parametrize(
    "body",
    [
        {"key": "sk-k", "project": [[1]]},
        {"key": "sk-k", "project": [1]},
        {"key": "sk-k", "project": "p\nq"},
        {"key": "sk-k", "organization": "org-€"},
        {"key": ""},
        {},
    ],
)
def test_keys_must_be_text_that_fits_in_a_header(mockfiles: MockFiles, body: object) -> None:
    answer = Client(mockfiles.app).post("/_mockfiles/keys", json=body)
    assert answer.status_code == 400
    assert mockfiles.keys.grants() == {}
    assert mockfiles.bugs == []


def test_usage_without_a_project_counts_every_project_as_the_facade_does() -> None:
    mock = MockFiles()
    mock.add_file(purpose="vision", size=3)
    mock.add_file(purpose="vision", size=4, project="proj_other")
    client = Client(mock.app)
    every = client.get("/_mockfiles/usage").get_json()
    one = client.get("/_mockfiles/usage?project=proj_other").get_json()
    assert every == {"project": None, "bytes": 7, "files": 2}
    assert (mock.usage().bytes, mock.usage().files) == (7, 2)
    assert one == {"project": "proj_other", "bytes": 4, "files": 1}


@pytest.mark.parametrize("created_at", [10**400, -1, 253402300800 * 10])
def test_a_seeded_file_from_outside_the_clocks_range_is_a_400(created_at: int) -> None:
    mock = MockFiles()
    answer = Client(mock.app).post(
        "/_mockfiles/files",
        json={"purpose": "batch", "content": "{}\n", "created_at": created_at},
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["param"] == "created_at"
    assert mock.files() == []
    assert mock.bugs == []


def test_add_file_takes_every_time_form_and_refuses_times_the_clock_cannot_show() -> None:
    mock = MockFiles()
    first = mock.add_file(purpose="vision", size=1, created_at="2026-01-02T00:00:00Z")
    assert first.created_at == 1767312000
    with pytest.raises(APIError, match="created_at"):
        mock.add_file(purpose="vision", size=1, created_at="not a time")
