"""The journal: what the client sent to each operation (never bodies), what it got, queried by
field, bounded in size, and shown in the failure report and the control plane."""

from __future__ import annotations

import hashlib
import json

import openai
import pytest
from helpers import control, serve_cli
from werkzeug.test import Client

from mockfiles import MockFiles
from mockfiles.journal import Call, Journal


@pytest.fixture(params=["socket", "in-process"])
def in_process(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "in-process")


def test_each_operation_records_what_the_client_sent(
    mockfiles: MockFiles, in_process: bool
) -> None:
    client = mockfiles.client(in_process=in_process, project="proj_a", organization="org_a")
    created = client.files.create(
        file=("data.jsonl", b"{}\n{}\n"),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 3600},
        extra_headers={"Idempotency-Key": "key-1"},
    )
    client.files.list(purpose="batch", limit=5, order="asc", after=created.id)
    client.files.retrieve(created.id)
    client.files.content(created.id)
    client.files.delete(created.id)
    upload = client.uploads.create(
        bytes=4, filename="notes.txt", mime_type="text/plain", purpose="assistants"
    )
    part = client.uploads.parts.create(upload.id, data=("p.bin", b"abcd"))
    md5 = hashlib.md5(b"abcd").hexdigest()  # noqa: S324 - the API's checksum, not security
    done = client.uploads.complete(upload.id, part_ids=[part.id], md5=md5)
    cancelled = client.uploads.cancel(
        client.uploads.create(
            bytes=1, filename="x.txt", mime_type="text/plain", purpose="vision"
        ).id
    )
    assert done.file is not None
    calls = mockfiles.calls()
    assert [c.operation for c in calls] == [
        "files.create",
        "files.list",
        "files.retrieve",
        "files.content",
        "files.delete",
        "uploads.create",
        "uploads.parts.create",
        "uploads.complete",
        "uploads.create",
        "uploads.cancel",
    ]
    create, listed, retrieved, content, deleted, opened, added, completed, _, cancel = calls
    assert create.fields == {
        "purpose": "batch",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": "3600",
    }
    assert (create.filename, create.file_bytes, create.file_id) == ("data.jsonl", 6, created.id)
    assert create.headers["idempotency-key"] == "key-1"
    assert (create.headers["openai-project"], create.headers["openai-organization"]) == (
        "proj_a",
        "org_a",
    )
    assert create.headers["x-stainless-retry-count"] == "0"
    assert create.headers["user-agent"].startswith("OpenAI/Python")
    assert (create.project, create.status, create.error_code) == ("proj_a", 200, None)
    assert listed.query == {"purpose": "batch", "limit": "5", "order": "asc", "after": created.id}
    assert (listed.fields, listed.filename, listed.file_id) == ({}, None, None)
    assert [c.file_id for c in (retrieved, content, deleted)] == [created.id] * 3
    assert opened.fields == {
        "bytes": 4,
        "filename": "notes.txt",
        "mime_type": "text/plain",
        "purpose": "assistants",
    }
    assert (opened.upload_id, opened.file_id) == (upload.id, None)
    assert (added.upload_id, added.filename, added.file_bytes) == (upload.id, "p.bin", 4)
    assert "data" not in added.fields  # the part's bytes are never kept
    assert (completed.upload_id, completed.file_id, completed.fields) == (
        upload.id,
        done.file.id,
        {"md5": md5},
    )
    assert cancel.upload_id == cancelled.id


def test_attempts_a_fault_answered_record_what_was_sent_too(
    mockfiles: MockFiles, in_process: bool
) -> None:
    # A fault answers in place of the view that decodes the body: the journal must still say
    # what each attempt sent, or a filter such as purpose= misses the failed attempts.
    # A 1 ms retry-after: the SDK's own backoff (0.5 s or more) is not what is tested here.
    for operation, fault in (
        ("files.create", "rate_limit"),
        ("uploads.create", "server_error"),
        ("batches.create", "service_unavailable"),
    ):
        mockfiles.faults.add(operation, fault, times=1, retry_after_ms=1)
    client = mockfiles.client(in_process=in_process, max_retries=1)
    made = client.files.create(file=("in.jsonl", b"{}\n"), purpose="batch")
    client.uploads.create(bytes=4, filename="a.txt", mime_type="text/plain", purpose="user_data")
    client.batches.create(input_file_id=made.id, endpoint="/v1/embeddings", completion_window="24h")
    created = mockfiles.assert_called("files.create", purpose="batch", times=2)
    assert [(c.status, c.filename, c.file_bytes) for c in created] == [
        (429, "in.jsonl", 3),
        (200, "in.jsonl", 3),
    ]
    mockfiles.assert_called("uploads.create", mime_type="text/plain", bytes=4, times=2)
    mockfiles.assert_called("batches.create", input_file_id=made.id, times=2)
    assert len(mockfiles.files()) == 1  # the faulted attempt stored nothing


def test_a_sent_field_named_like_an_unset_call_field_is_found(mockfiles: MockFiles) -> None:
    # uploads.create sends its filename in JSON; the Call's own filename (a file part's) is
    # unset, so filename= must find the JSON one.
    client = mockfiles.client()
    client.uploads.create(bytes=4, filename="a.txt", mime_type="text/plain", purpose="user_data")
    client.files.create(file=("b.jsonl", b"{}\n"), purpose="batch")
    assert mockfiles.last_call(filename="a.txt").operation == "uploads.create"
    assert mockfiles.last_call(filename="b.jsonl").operation == "files.create"
    assert mockfiles.calls(filename=None) == []


def test_errors_record_their_code_and_ids_their_target(
    mockfiles: MockFiles, in_process: bool
) -> None:
    client = mockfiles.client(in_process=in_process)
    mockfiles.faults.add("files.retrieve", "rate_limit", times=1)
    with pytest.raises(openai.RateLimitError):
        client.files.retrieve("file-abc")
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=b"x", purpose="nonsense")  # type: ignore[arg-type]
    limited, refused = mockfiles.calls()
    assert (limited.status, limited.error_code, limited.file_id) == (
        429,
        "rate_limit_exceeded",
        "file-abc",
    )
    assert (refused.status, refused.fields, refused.file_id) == (400, {"purpose": "nonsense"}, None)


def test_calls_assert_called_and_last_call_filter_by_field(mockfiles: MockFiles) -> None:
    client = mockfiles.client()
    for purpose in ("batch", "vision", "batch"):
        client.files.list(purpose=purpose, limit=10)
    client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
    assert len(mockfiles.calls("files.list", purpose="batch")) == 2
    assert len(mockfiles.calls(purpose="batch")) == 3  # a query parameter or a form field
    assert len(mockfiles.calls("files.list", limit=10, status=200)) == 3
    assert mockfiles.calls(file_bytes=lambda size: size is not None and size > 2)[0].filename
    assert mockfiles.calls(user_agent=lambda agent: "OpenAI" in agent)
    mockfiles.assert_called("files.create", purpose="batch", filename="a.jsonl", times=1)
    assert mockfiles.last_call("files.list").query["purpose"] == "batch"
    assert mockfiles.last_call(purpose="vision").operation == "files.list"
    with pytest.raises(AssertionError, match=r"files\.create purpose='vision' 1 time\(s\), got 0"):
        mockfiles.assert_called("files.create", purpose="vision", times=1)
    with pytest.raises(AssertionError, match="no call of files.delete"):
        mockfiles.last_call("files.delete")


def test_durations_count_the_seconds_a_fault_held_the_answer(mockfiles: MockFiles) -> None:
    mockfiles.faults.add("files.list", "delay", seconds=0.05, times=1)
    mockfiles.faults.add("files.retrieve", "timeout", seconds=30, times=1)
    client = mockfiles.client(in_process=True, max_retries=0)
    client.files.list()
    with pytest.raises(openai.APITimeoutError):
        client.files.retrieve("file-x")
    client.files.list()
    late, timed_out, prompt = mockfiles.calls()
    assert (late.injected_ms, late.status) == (50, 200)
    assert late.duration_ms >= 50 > prompt.duration_ms
    assert (timed_out.injected_ms, timed_out.status) == (30_000, None)
    assert prompt.injected_ms is None


def test_the_journal_keeps_the_last_calls_when_bounded() -> None:
    journal = Journal(max_calls=2)
    for index in range(5):
        journal.record(Call(f"op{index}", "GET", "/", None, 200, None, 1, 0.0, 0.0, f"req_{index}"))
    assert [c.operation for c in journal.calls()] == ["op3", "op4"]
    assert journal.dropped == 3
    table = journal.table().splitlines()
    assert table[0] == "(3 earlier call(s) dropped: the journal keeps 2)"
    assert table[2].startswith("4 ")
    assert table[3].startswith("5 ")
    with pytest.raises(ValueError, match="at least 1"):
        Journal(max_calls=0)


def test_long_paths_and_values_are_cut_with_a_marker() -> None:
    mock = MockFiles(journal_size=10)
    answer = Client(mock.app).get(
        "/v1/files/" + "f" * 5000,
        query_string={"after": "a" * 3000},
        headers={"Authorization": "Bearer sk-x", "Idempotency-Key": "k" * 4000},
    )
    assert answer.status_code == 404
    [call] = mock.calls()
    for text in (call.path, call.query["after"], call.headers["idempotency-key"], call.file_id):
        assert text is not None
        assert len(text) < 2100
        assert text.endswith("more characters]")


def test_the_report_section_shows_what_was_sent(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_fails(mockfiles):
            client = mockfiles.client()
            client.files.create(
                file=("in.jsonl", b"{}\\n"), purpose="batch",
                extra_headers={"Idempotency-Key": "key-9"},
            )
            client.files.list(purpose="batch", limit=3)
            assert False
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [
            r"#  operation .* sent$",
            r"1  files\.create +POST /v1/files .* 200 .* purpose=batch file=in\.jsonl \(3 B\) "
            r"idempotency-key=key-9 -> file-\w+$",
            r"2  files\.list +GET /v1/files\?\S*purpose=batch .* 200 .*$",
        ]
    )


def test_the_control_plane_shows_the_same_fields_and_chaos_labels_and_serve_bounds_it() -> None:
    with serve_cli("--chaos", "1", "--seed", "4", "--journal-size", "4") as (_, url):
        with openai.OpenAI(base_url=url, api_key="sk-any", max_retries=2) as client:
            created = client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
            client.files.list(purpose="batch")
            client.files.retrieve(created.id)
        journal = control(url, "GET", "journal").body["data"]
        rules = control(url, "GET", "faults").body["data"]
    # Chaos failed each first attempt; the journal kept the last four calls of six.
    assert [(c["operation"], c["attempt"]) for c in journal] == [
        ("files.list", 1),
        ("files.list", 2),
        ("files.retrieve", 1),
        ("files.retrieve", 2),
    ]
    assert [(c["fault"] or "").partition(":")[0] for c in journal] == ["chaos", "", "chaos", ""]
    assert journal[0]["status"] in (429, 500, 502, 503)
    assert [(r["action"], r["fired"]) for r in rules] == [("chaos", 3)]
    listed, retrieved = journal[1], journal[3]
    assert (listed["status"], listed["query"]) == (200, {"purpose": "batch"})
    assert listed["headers"]["x-stainless-retry-count"] == "1"
    assert retrieved["file_id"] == created.id
    assert set(listed) == set(Call.__dataclass_fields__)
    json.dumps(journal)  # every field is JSON


def test_serve_refuses_a_negative_journal_size(capsys: pytest.CaptureFixture[str]) -> None:
    from mockfiles.cli import main

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--journal-size", "-1"])
    assert exited.value.code == 2
    assert "max_calls must be at least 1" in capsys.readouterr().err
