"""Files with given content (``add_file(content=...)``, ``POST /_mockfiles/files``), and the
Batches API reached from outside Python: raw HTTP against ``mockfiles serve``, its batch
options and the control plane's batch state."""

from __future__ import annotations

import base64
import json
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from helpers import Answer, control, serve_cli
from werkzeug.test import Client

from mockfiles import MockFiles
from mockfiles.cli import main

LINES = [{"custom_id": "a", "n": 1}, {"custom_id": "b", "text": "é"}]
JSONL = b'{"custom_id": "a", "n": 1}\n{"custom_id": "b", "text": "\xc3\xa9"}\n'


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(JSONL, id="bytes"),
        pytest.param(JSONL.decode(), id="text"),
        pytest.param(LINES, id="list-of-dicts"),
        pytest.param(iter(LINES), id="iterator-of-dicts"),
        pytest.param("path", id="path"),
    ],
)
def test_add_file_takes_every_content_form(
    mockfiles: MockFiles, tmp_path: Path, content: Any
) -> None:
    if content == "path":
        content = tmp_path / "given.jsonl"
        content.write_bytes(JSONL)
    file = mockfiles.add_file(purpose="batch", content=content, filename="given.jsonl")
    assert file.bytes == len(JSONL)
    assert mockfiles.content(file.id) == JSONL
    assert mockfiles.client().files.content(file.id).content == JSONL
    assert mockfiles.usage().bytes == len(JSONL)


@pytest.mark.parametrize("purpose", ["batch_output", "fine-tune-results", "assistants_output"])
def test_system_purpose_files_download_their_given_content(
    mockfiles: MockFiles, purpose: str
) -> None:
    file = mockfiles.add_file(purpose=purpose, content=b"result\n", filename="out.jsonl")
    client = mockfiles.client()
    assert client.files.retrieve(file.id).purpose == purpose
    assert client.files.content(file.id).content == b"result\n"


def test_add_file_refuses_content_past_the_quota_or_contradictory_arguments(
    mockfiles: MockFiles,
) -> None:
    mockfiles.limits = {"storage_bytes": 10}
    mockfiles.add_file(purpose="batch", content=b"12345")
    with pytest.raises(Exception, match="exceeded your file storage quota"):
        mockfiles.add_file(purpose="batch", content=b"123456")
    with pytest.raises(Exception, match="does not match"):
        mockfiles.add_file(purpose="batch", content=b"12", size=3)
    with pytest.raises(Exception, match="content or its size"):
        mockfiles.add_file(purpose="batch")
    with pytest.raises(TypeError, match="expected dicts"):
        mockfiles.add_file(purpose="batch", content=[1, 2])  # type: ignore[list-item]
    assert mockfiles.usage().files == 1


@pytest.fixture
def http(mockfiles: MockFiles) -> Client:
    return Client(mockfiles.app)


def post_file(http: Client, body: object) -> tuple[int, Any]:
    answer = http.post("/_mockfiles/files", json=body)
    return answer.status_code, answer.get_json()


def test_the_control_plane_adds_files_from_text_or_base64(
    http: Client, mockfiles: MockFiles
) -> None:
    status, text_file = post_file(
        http, {"purpose": "batch", "filename": "in.jsonl", "content": JSONL.decode()}
    )
    assert status == 200
    assert (text_file["filename"], text_file["bytes"]) == ("in.jsonl", len(JSONL))
    status, binary = post_file(
        http,
        {
            "purpose": "batch_output",
            "filename": "out.bin",
            "project": "proj_other",
            "content_base64": base64.b64encode(b"\x00\xffraw").decode(),
        },
    )
    assert status == 200
    assert binary["purpose"] == "batch_output"
    assert mockfiles.content(text_file["id"]) == JSONL
    assert mockfiles.content(binary["id"]) == b"\x00\xffraw"
    assert [f.id for f in mockfiles.files("proj_other")] == [binary["id"]]
    download = mockfiles.client(project="proj_other").files.content(binary["id"])
    assert download.content == b"\x00\xffraw"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"purpose": "batch", "filename": "a.jsonl"}, 'Send exactly one of "content"'),
        ({"purpose": "batch", "content": "x", "content_base64": "eA=="}, "exactly one of"),
        ({"purpose": "batch", "content_base64": "not base64!"}, "not valid base64"),
        ({"purpose": "batch", "content": 5}, '"content" must be text'),
        ({"content": "x"}, 'A file needs "purpose"'),
        ({"purpose": "batch", "content": "x", "size": 1}, "unknown: ['size']"),
        ({"purpose": "batch", "content": "x", "created_at": "now"}, '"created_at" must be int'),
        ({"purpose": "nonsense", "content": "x"}, "'nonsense' is not one of"),
    ],
)
def test_the_control_plane_refuses_bad_files_clearly(
    http: Client, body: dict[str, Any], message: str
) -> None:
    status, answer = post_file(http, body)
    assert status == 400
    assert message in answer["error"]["message"]


def test_the_control_plane_refuses_a_file_past_the_quota(
    http: Client, mockfiles: MockFiles
) -> None:
    mockfiles.limits = {"storage_bytes": 4}
    status, answer = post_file(http, {"purpose": "batch", "content": "12345"})
    assert status == 400
    assert answer["error"]["message"].startswith("You have exceeded your file storage quota.")
    assert mockfiles.usage().files == 0


def test_state_lists_each_projects_batches(http: Client, mockfiles: MockFiles) -> None:
    line = {
        "custom_id": "a",
        "method": "POST",
        "url": "/v1/embeddings",
        "body": {"model": "text-embedding-3-small", "input": "x"},
    }
    file = mockfiles.add_file(purpose="batch", content=[line])
    client = mockfiles.client(in_process=True)
    batch = client.batches.create(
        input_file_id=file.id, endpoint="/v1/embeddings", completion_window="24h"
    )
    state = http.get("/_mockfiles/state").get_json()["projects"]["proj_mockfiles"]
    assert state["batches"] == [
        {"id": batch.id, "status": "validating", "created_at": batch.created_at}
    ]
    mockfiles.clock.advance(60)
    state = http.get("/_mockfiles/state").get_json()["projects"]["proj_mockfiles"]
    assert state["batches"][0]["status"] == "completed"
    assert state["files"] == 2  # the input and its output, written when the state was read


# -- the standalone server -------------------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    with serve_cli(
        "--batch-validating-seconds",
        "10",
        "--batch-in-progress-seconds",
        "20",
        "--batch-finalizing-seconds",
        "0",
        "--batch-responder",
        "fail",
    ) as (_, url):
        yield url


def api(url: str, method: str, path: str, body: object = None) -> Answer:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, method=method)
    request.add_header("Authorization", "Bearer sk-anything")
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            raw = response.read()
            is_json = response.headers["Content-Type"] == "application/json"
            return Answer(response.status, json.loads(raw) if is_json else raw)
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, json.loads(error.read()))


def test_raw_http_runs_a_batch_on_the_served_fake(served: str) -> None:
    control(served, "POST", "reset")
    line = {"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": {}}
    line["body"] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "x"}]}
    lines = [line, {**line, "custom_id": "b"}]
    status, file = control(
        served,
        "POST",
        "files",
        {
            "purpose": "batch",
            "filename": "in.jsonl",
            "content": "".join(json.dumps(x) + "\n" for x in lines),
        },
    )
    assert status == 200
    good = {"body": {"object": "chat.completion", "note": "fixed"}, "custom_id": "b"}
    assert control(served, "POST", "batches/respond", good).status == 200
    create = {"input_file_id": file["id"], "endpoint": "/v1/chat/completions"}
    assert api(served, "POST", "/batches", create).body["error"]["code"] == (
        "missing_required_parameter"
    )
    status, batch = api(served, "POST", "/batches", {**create, "completion_window": "24h"})
    assert (status, batch["status"]) == (200, "validating")
    control(served, "POST", "clock", {"advance": 9})
    assert api(served, "GET", f"/batches/{batch['id']}").body["status"] == "validating"
    control(served, "POST", "clock", {"advance": 1})
    assert api(served, "GET", f"/batches/{batch['id']}").body["status"] == "in_progress"
    control(served, "POST", "clock", {"advance": 20})
    done = api(served, "GET", f"/batches/{batch['id']}").body
    assert (done["status"], done["request_counts"]) == (
        "completed",
        {"total": 2, "completed": 1, "failed": 1},
    )
    status, output = api(served, "GET", f"/files/{done['output_file_id']}/content")
    assert json.loads(output)["response"]["body"] == {"object": "chat.completion", "note": "fixed"}
    _, errors = api(served, "GET", f"/files/{done['error_file_id']}/content")
    assert json.loads(errors)["response"]["body"]["error"]["code"] == "mockfiles_failure"
    listed = api(served, "GET", "/batches?limit=1").body
    assert (listed["first_id"], listed["has_more"]) == (batch["id"], False)
    assert api(served, "POST", f"/batches/{batch['id']}/cancel").status == 409
    state = control(served, "GET", "state").body["projects"]["proj_mockfiles"]
    assert state["batches"][0]["status"] == "completed"
    journal = [c["operation"] for c in control(served, "GET", "journal").body["data"]]
    assert journal[-1] == "batches.cancel"


def test_curl_reaches_the_batches_endpoints(served: str) -> None:
    control(served, "POST", "reset")
    curl = ["curl", "-sS", "-H", "Authorization: Bearer sk-x"]
    try:
        listed = subprocess.run(
            [*curl, f"{served}/batches"], capture_output=True, text=True, timeout=10, check=True
        )
    except FileNotFoundError:
        pytest.skip("curl is not installed")
    assert json.loads(listed.stdout) == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }
    created = subprocess.run(
        [
            *curl,
            "-H",
            "Content-Type: application/json",
            "-d",
            '{"input_file_id":"file-x","endpoint":"/v1/embeddings","completion_window":"24h"}',
            f"{served}/batches",
        ],
        capture_output=True,
        text=True,
        timeout=10,
        check=True,
    )
    assert json.loads(created.stdout)["status"] == "validating"


def test_serve_refuses_a_negative_phase(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--batch-cancelling-seconds", "-1"])
    assert exited.value.code == 2
    assert "'cancelling' must last a whole number of seconds" in capsys.readouterr().err


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"body": {"a": 1}, "error": {"message": "x"}},
        {"body": [1]},
        {"error": {"message": "x", "status_code": 200}},
        {"error": {"message": "x", "colour": "red"}},
        {"body": {}, "custom_id": 5},
    ],
)
def test_the_control_plane_refuses_bad_responders(http: Client, body: dict[str, Any]) -> None:
    answer = http.post("/_mockfiles/batches/respond", json=body)
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"]


def test_create_takes_only_json(http: Client) -> None:
    answer = http.post(
        "/v1/batches",
        data={"input_file_id": "file-x"},
        headers={"Authorization": "Bearer sk-x"},
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "unsupported_content_type"
    answer = http.post(
        "/v1/batches",
        data="{not json",
        headers={"Authorization": "Bearer sk-x", "Content-Type": "application/json"},
    )
    assert answer.status_code == 400
    assert answer.get_json()["error"]["message"].startswith("We could not parse the JSON body")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/batches", b"[]"),
        ("POST", "/v1/batches", b"null"),
        ("POST", "/v1/batches", b""),
        ("POST", "/v1/batches", b"\xff\xfe"),
        ("POST", "/v1/batches", b"[" * 100_000),
        ("POST", "/v1/batches", b'{"input_file_id": 5}'),
        ("POST", "/v1/batches", b'{"input_file_id": "f", "endpoint": {"a": 1}}'),
        (
            "POST",
            "/v1/batches",
            b'{"input_file_id": "f", "endpoint": "/v1/embeddings", "completion_window": ["24h"]}',
        ),
        (
            "POST",
            "/v1/batches",
            b'{"input_file_id": "f", "endpoint": "/v1/embeddings", '
            b'"completion_window": "24h", "metadata": {"k": NaN}}',
        ),
        (
            "POST",
            "/v1/batches",
            b'{"input_file_id": "f", "endpoint": "/v1/embeddings", '
            b'"completion_window": "24h", "metadata": ["a"]}',
        ),
        (
            "POST",
            "/v1/batches",
            b'{"input_file_id": "f", "endpoint": "/v1/embeddings", '
            b'"completion_window": "24h", "output_expires_after": {"anchor": "x", "seconds": 1}}',
        ),
        (
            "POST",
            "/v1/batches",
            b'{"input_file_id": "f", "endpoint": "/v1/embeddings", '
            b'"completion_window": "24h", "output_expires_after": {"anchor": "created_at", '
            b'"seconds": true}}',
        ),
        (
            "POST",
            "/v1/batches",
            b'{"input_file_id": "f", "endpoint": "/v1/embeddings", '
            b'"completion_window": "24h", "output_expires_after": {"seconds": 4000}}',
        ),
        ("POST", "/v1/batches", b"{" + b'"k": 1,' * 200_000 + b'"k": 1}'),
        ("GET", "/v1/batches?limit=abc", b""),
        ("GET", "/v1/batches?limit=0", b""),
        ("GET", "/v1/batches?limit=" + "9" * 200, b""),
        ("GET", "/v1/batches/%00", b""),
        ("POST", "/v1/batches/batch_x/cancel", b"not even json"),
        ("DELETE", "/v1/batches/batch_x", b""),
    ],
)
def test_odd_batch_requests_get_a_json_4xx(
    http: Client, mockfiles: MockFiles, method: str, path: str, body: bytes
) -> None:
    answer = http.open(
        path,
        method=method,
        data=body,
        headers={"Authorization": "Bearer sk-x", "Content-Type": "application/json"},
    )
    assert 400 <= answer.status_code < 500
    error = answer.get_json()["error"]
    assert error["message"]
    assert set(error) == {"message", "type", "param", "code"}
    assert mockfiles.bugs == []


def test_the_control_plane_reads_and_changes_the_batch_timing(
    http: Client, mockfiles: MockFiles
) -> None:
    assert http.get("/_mockfiles/batches/timing").get_json() == {
        "validating": 1,
        "in_progress": 2,
        "finalizing": 1,
        "cancelling": 1,
    }
    changed = http.post("/_mockfiles/batches/timing", json={"in_progress": 600})
    assert changed.get_json()["in_progress"] == 600
    assert mockfiles.batches.timing.total == 602
    refused = http.post("/_mockfiles/batches/timing", json={"coffee": 1})
    assert refused.status_code == 400
    assert "Unknown batch phase 'coffee'" in refused.get_json()["error"]["message"]
