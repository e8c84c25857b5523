"""JSON bodies that Python's ``json`` reads but JSON has not, and lone surrogates in batches:
each class once made the fake record a bug or answer 500 (found by ``bench/fuzz_app.py``)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from werkzeug.test import Client

from mockfiles import MockFiles
from mockfiles.http.bodies import NOT_JSON

AUTH = {"Authorization": "Bearer sk-test"}
JSON = {"Content-Type": "application/json"}

#: Every endpoint that reads a JSON body, with a body it takes; ``<file>`` is a batch file.
JSON_ENDPOINTS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/uploads", {"purpose": "batch", "filename": "a.jsonl", "bytes": 1, "mime_type": "x"}),
    ("/v1/uploads/upload_x/complete", {"part_ids": []}),
    (
        "/v1/batches",
        {"input_file_id": "<file>", "endpoint": "/v1/chat/completions", "completion_window": "24h"},
    ),
    ("/_mockfiles/clock", {"advance": 1}),
    ("/_mockfiles/limits", {"file_bytes": 1000}),
    ("/_mockfiles/keys", {"key": "sk-other"}),
    ("/_mockfiles/faults", {"operations": "files.list", "action": "rate_limit", "times": 1}),
    ("/_mockfiles/files", {"purpose": "user_data", "filename": "f.txt", "content": "x"}),
    ("/_mockfiles/batches/respond", {"body": {"ok": 1}}),
    ("/_mockfiles/batches/timing", {"in_progress": 1}),
]

#: Not JSON (RFC 8259), though ``json.loads`` reads each: the literals, a number no float
#: holds, and the UTF-8-shaped bytes of a lone surrogate (which no UTF-8 decoder takes).
NOT_RFC_JSON = [b"NaN", b"Infinity", b"-Infinity", b"1e999", b"-1e400", b'"\xed\xa0\x80"']


def chat_line(custom_id: str) -> dict[str, Any]:
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": "/v1/chat/completions",
        "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
    }


@pytest.fixture
def mock() -> MockFiles:
    return MockFiles()


@pytest.fixture
def http(mock: MockFiles) -> Client:
    return Client(mock.app)


def post_raw(http: Client, path: str, body: bytes) -> Any:
    headers = {**JSON, **(AUTH if path.startswith("/v1/") else {})}
    return http.post(path, data=body, headers=headers)


@pytest.mark.parametrize(("path", "good"), JSON_ENDPOINTS, ids=[p for p, _ in JSON_ENDPOINTS])
@pytest.mark.parametrize("value", NOT_RFC_JSON, ids=[v.decode("latin-1") for v in NOT_RFC_JSON])
def test_a_value_json_has_not_is_refused_as_not_json_on_every_json_endpoint(
    mock: MockFiles, http: Client, path: str, good: dict[str, Any], value: bytes
) -> None:
    file = mock.add_file(content=[chat_line("a")], purpose="batch", filename="in.jsonl")
    text = json.dumps(good).replace("<file>", file.id).encode()
    for name in good:  # in the place of each field the endpoint reads
        body = text.replace(b'"%s": ' % name.encode(), b'"%s": %s, "_": ' % (name.encode(), value))
        answer = post_raw(http, path, body)
        assert answer.status_code == 400, (body, answer.get_data())
        assert answer.get_json()["error"]["message"] == NOT_JSON
    # Nothing of it reached the journal: it is read, and written, as before.
    journal = http.get("/_mockfiles/journal")
    assert journal.status_code == 200
    assert json.loads(journal.get_data())["data"] is not None
    assert mock.bugs == []


def test_the_escape_of_a_lone_surrogate_is_still_json(http: Client, mock: MockFiles) -> None:
    answer = post_raw(http, "/_mockfiles/batches/respond", b'{"body": {"x": "\\ud800"}}')
    assert answer.status_code == 200
    assert mock.bugs == []


def run_batch(mock: MockFiles, http: Client, lines: list[dict[str, Any]]) -> dict[str, Any]:
    # As a client writes it (json's default escapes a lone surrogate).
    content = "".join(json.dumps(line) + "\n" for line in lines).encode()
    file = mock.add_file(content=content, purpose="batch", filename="in.jsonl")
    created = http.post(
        "/v1/batches",
        json={
            "input_file_id": file.id,
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
        headers=AUTH,
    )
    assert created.status_code == 200, created.get_data()
    mock.state.clock.advance(86_400)
    done = http.get(f"/v1/batches/{created.get_json()['id']}", headers=AUTH)
    assert done.status_code == 200, done.get_data()
    return dict(done.get_json())


def output_lines(http: Client, file_id: str) -> list[dict[str, Any]]:
    answer = http.get(f"/v1/files/{file_id}/content", headers=AUTH)
    assert answer.status_code == 200
    data = answer.get_data()
    data.decode("utf-8")  # the file is UTF-8 (here ASCII, the surrogate escaped)
    return [json.loads(line) for line in data.splitlines()]


def test_a_batch_line_whose_custom_id_holds_a_lone_surrogate_is_answered(
    mock: MockFiles, http: Client
) -> None:
    batch = run_batch(mock, http, [chat_line("a\ud800"), chat_line("b")])
    assert batch["status"] == "completed", batch
    answered = output_lines(http, batch["output_file_id"])
    assert sorted(line["custom_id"] for line in answered) == ["a\ud800", "b"]
    # And the fake goes on answering: the list and the control plane's state.
    assert http.get("/v1/batches", headers=AUTH).status_code == 200
    assert http.get("/_mockfiles/state").status_code == 200
    assert mock.bugs == []


@pytest.mark.parametrize(
    ("seeded", "expected"),
    [
        (b'{"body": {"x": "\\udfff"}}', {"x": "\udfff"}),
        (b'{"error": {"message": "\\ud800"}}', "\ud800"),
    ],
    ids=["body", "error"],
)
def test_a_responder_answer_holding_a_lone_surrogate_is_written_escaped(
    mock: MockFiles, http: Client, seeded: bytes, expected: object
) -> None:
    assert post_raw(http, "/_mockfiles/batches/respond", seeded).status_code == 200
    batch = run_batch(mock, http, [chat_line("a")])
    [line] = output_lines(http, batch["output_file_id"] or batch["error_file_id"])
    body = line["response"]["body"]
    assert (body if isinstance(expected, dict) else body["error"]["message"]) == expected
    assert http.get("/v1/batches", headers=AUTH).status_code == 200
    assert mock.bugs == []


def test_seeding_text_content_with_a_lone_surrogate_is_a_400(mock: MockFiles, http: Client) -> None:
    answer = post_raw(
        http,
        "/_mockfiles/files",
        b'{"purpose": "user_data", "filename": "f.txt", "content": "a\\ud800"}',
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["param"] == "content"
    assert mock.files() == []
    assert mock.bugs == []
