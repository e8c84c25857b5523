"""Robustness: hundreds of malformed or odd requests, written byte by byte on a raw socket.

Every one must be answered, quickly, with a 4xx whose body is the API's JSON error
``{"error": {"message", "type", "param", "code"}}``: never a 5xx, never an HTML page, never
silence. Afterwards the same server must still serve an ordinary upload, and the fake must
not have recorded an exception of its own.

The requests (``odd_requests.py``) come from seeded ``random.Random`` instances, so every run
sends the same bytes. They are sent once, by a module-scoped fixture, over kept-alive
connections (as a real client would); each family of oddities is then judged by its own test,
so a failure names the family and lists every request of it that went wrong.

A few requests never reach the fake's app: the serving layer refuses them first (an over-long
request line, a bad HTTP version, ...). It answers those in the same JSON shape; they are kept
apart, at the end, because each closes its connection. ``test_hostile.py`` sends ten thousand
more, generated, against a ``mockfiles serve`` process.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from odd_requests import (
    AUTH,
    CASES,
    FAMILY_NAMES,
    LIST_OR_ERROR,
    TIMEOUT,
    UNAUTHORIZED,
    Answer,
    Case,
    Outcomes,
)

import mockfiles

# -- sending and judging -----------------------------------------------------------------------


class Connection:
    """A kept-alive connection to the fake that reopens itself when the server ends it."""

    def __init__(self, address: tuple[str, int]) -> None:
        self._address = address
        self._socket: socket.socket | None = None

    def exchange(self, case: Case) -> Answer:
        if case.fresh:
            self.close()
        if self._socket is None:
            self._socket = socket.create_connection(self._address, timeout=TIMEOUT)
        try:
            self._socket.sendall(case.wire())
            response = http.client.HTTPResponse(self._socket, method=case.method.decode("latin-1"))
            response.begin()  # skips a "100 Continue"
            body = response.read()
            response.close()
        except BaseException:
            self.close()
            raise
        if case.fresh or response.will_close:
            self.close()
        return Answer(response.status, response.getheader("Content-Type", ""), body)

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None


def problem_with(case: Case, answer: Answer) -> str | None:
    """What is wrong with ``answer`` to ``case``, or None."""
    status = answer.status
    seen = f"got {status} {answer.content_type!r} {answer.body[:200]!r}"
    if not answer.content_type.startswith("application/json"):
        return f"not JSON: {seen}"
    if case.method == b"HEAD":
        ok = status == 200 or 400 <= status < 500
        return None if ok and not answer.body else f"HEAD answer: {seen}"
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return f"body is not JSON: {seen}"
    if status == 200 and case.expect == LIST_OR_ERROR:
        is_list = isinstance(payload, dict) and payload.get("object") == "list"
        return None if is_list and isinstance(payload.get("data"), list) else f"not a list: {seen}"
    if not 400 <= status < 500 or (case.expect == UNAUTHORIZED and status != 401):
        return f"expected {case.expect}: {seen}"
    return error_shape_problem(payload, seen)


def error_shape_problem(payload: object, seen: str) -> str | None:
    # Beside "error" the real API sends a "detail" sibling on the files endpoints' own errors.
    if (
        not isinstance(payload, dict)
        or "error" not in payload
        or set(payload) - {"error", "detail"}
    ):
        return f"not an error object: {seen}"
    error = payload["error"]
    if not isinstance(error, dict) or set(error) != {"message", "type", "param", "code"}:
        return f"error without exactly message/type/param/code: {seen}"
    if not isinstance(error["type"], str) or not isinstance(error["message"], str):
        return f"error type or message not a string: {seen}"
    return None


def send_all(address: tuple[str, int], cases: list[Case]) -> Outcomes:
    connection = Connection(address)
    outcomes: Outcomes = []
    try:
        for case in cases:
            try:
                answer = connection.exchange(case)
            except (OSError, http.client.HTTPException) as error:  # timeouts are OSErrors
                outcomes.append((case, f"no answer: {error!r}"))
                continue
            outcomes.append((case, problem_with(case, answer)))
    finally:
        connection.close()
    return outcomes


def address_of(mock: mockfiles.MockFiles) -> tuple[str, int]:
    url = urlsplit(mock.url)
    return url.hostname or "127.0.0.1", url.port or 80


# -- fixtures and tests ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mock() -> Iterator[mockfiles.MockFiles]:
    with mockfiles.serve() as fake:
        yield fake


@pytest.fixture(scope="module")
def storm(mock: mockfiles.MockFiles) -> Outcomes:
    """Every case, sent once, in order."""
    return send_all(address_of(mock), CASES)


def test_the_storm_is_at_least_500_requests() -> None:
    assert len(CASES) >= 500


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_odd_request_gets_a_json_4xx_never_a_5xx_html_or_silence(
    storm: Outcomes, family: str
) -> None:
    problems = [
        f"{case.describe()}: {problem}"
        for case, problem in storm
        if case.family == family and problem
    ]
    sent = sum(case.family == family for case, _ in storm)
    assert not problems, f"{len(problems)} of {sent} requests:\n" + "\n".join(problems)


def test_no_refused_upload_was_stored(storm: Outcomes, mock: mockfiles.MockFiles) -> None:
    assert mock.files() == []


def test_the_server_still_serves_an_upload_retrieve_and_delete_after_the_storm(
    storm: Outcomes, mock: mockfiles.MockFiles
) -> None:
    data = b'{"prompt": "still there?"}\n'
    with mock.client(max_retries=0) as client:
        created = client.files.create(file=("after-storm.jsonl", data), purpose="batch")
        assert client.files.retrieve(created.id) == created
        assert client.files.content(created.id).read() == data
        deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.deleted) == (created.id, True)
    assert mock.files() == []


def test_the_fake_raised_nothing_of_its_own_during_the_storm(
    storm: Outcomes, mock: mockfiles.MockFiles
) -> None:
    summary = [f"{bug.method} {bug.path[:100]}: {bug.error!r}" for bug in mock.bugs]
    assert mock.bugs == [], "\n".join(summary)


# -- what the serving layer refuses before the fake sees the request --------------------------

#: These never reach mockfiles' app: h11 or the serving layer's size limits refuse them
#: (``mockfiles/serving/http11.py``), in the API's JSON shape, and close the connection.
REFUSED_BEFORE_THE_APP = [
    pytest.param(
        b"GET /v1/files?after=" + b"a" * 66_000 + b" HTTP/1.1", (), id="request-line-over-64-KiB"
    ),
    pytest.param(
        b"GET /v1/files HTTP/1.1", (b"X-Junk: " + b"j" * 66_000,), id="header-line-over-64-KiB"
    ),
    pytest.param(
        b"GET /v1/files HTTP/1.1", tuple(b"X-%d: 1" % i for i in range(101)), id="over-100-headers"
    ),
    pytest.param(b"GET /v1/files HTTP/2.0", (), id="http-2.0-request-line"),
    pytest.param(b"GET /v1/files HTTP/x.y", (), id="malformed-version"),
    pytest.param(b"GET /v1/files/a b HTTP/1.1", (), id="space-in-path"),
    pytest.param(b"DELETE /v1/files", (), id="no-version-not-GET"),
]


def read_until_closed(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(("request_line", "headers"), REFUSED_BEFORE_THE_APP)
def test_requests_refused_before_the_app_still_get_a_json_4xx(
    mock: mockfiles.MockFiles, request_line: bytes, headers: tuple[bytes, ...]
) -> None:
    lines = [request_line, b"Host: mockfiles", AUTH, *headers]
    with socket.create_connection(address_of(mock), timeout=TIMEOUT) as sock:
        sock.sendall(b"\r\n".join(lines) + b"\r\n\r\n")
        raw = read_until_closed(sock)
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.split(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 4"), raw[:300]
    assert b"content-type: application/json" in b"\n".join(header_lines).lower(), raw[:300]
    assert error_shape_problem(json.loads(body), repr(raw[:300])) is None
