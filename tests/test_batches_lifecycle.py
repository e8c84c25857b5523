"""A batch's statuses on the fake's clock: every transition at its boundary second, cancel in
every phase, the completion window, and input files that fail validation. Through the official
SDK in-process (the socket is covered in test_batches_sdk.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import openai
import pytest

from mockfiles import FakeBugError, MockFiles
from mockfiles.batches import BatchTiming, RequestError

CHAT = "/v1/chat/completions"
TIMING = BatchTiming(validating=3, in_progress=10, finalizing=2, cancelling=5)


def chat_line(custom_id: str, model: str = "gpt-4o-mini", **extra: Any) -> dict[str, Any]:
    body = {"model": model, "messages": [{"role": "user", "content": f"say {custom_id}"}]}
    return {"custom_id": custom_id, "method": "POST", "url": CHAT, "body": body, **extra}


@pytest.fixture
def mock(mockfiles: MockFiles) -> MockFiles:
    mockfiles.batches.timing = TIMING
    return mockfiles


@pytest.fixture
def client(mock: MockFiles) -> openai.OpenAI:
    return mock.client(in_process=True)


def start(mock: MockFiles, client: openai.OpenAI, content: Any = None, **kw: Any) -> Any:
    lines = [chat_line("a"), chat_line("b")] if content is None else content
    file = mock.add_file(purpose=kw.pop("purpose", "batch"), content=lines, filename="in.jsonl")
    return client.batches.create(
        input_file_id=kw.pop("input_file_id", file.id),
        endpoint=kw.pop("endpoint", CHAT),
        completion_window="24h",
        **kw,
    )


def at(mock: MockFiles, batch: Any, seconds: int) -> None:
    """Set the fake's clock to ``seconds`` after the batch's creation: exactly, under
    ``freeze()``; otherwise a few microseconds later, still far within the second."""
    mock.clock.set(batch.created_at + seconds)


def lines_of(client: openai.OpenAI, file_id: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in client.files.content(file_id).text.splitlines()]


def test_each_status_begins_at_its_boundary_second(mock: MockFiles, client: openai.OpenAI) -> None:
    mock.freeze()  # time stands still: the clock shows exactly what it is set to
    batch = start(mock, client)
    created = batch.created_at
    assert (batch.status, batch.expires_at, batch.model) == ("validating", created + 86_400, None)
    assert batch.request_counts is not None
    assert batch.request_counts.total == 0

    def after(seconds: int) -> Any:
        at(mock, batch, seconds)
        return client.batches.retrieve(batch.id)

    assert after(2).status == "validating"
    running = after(3)
    assert (running.status, running.in_progress_at, running.model) == (
        "in_progress",
        created + 3,
        "gpt-4o-mini",
    )
    assert running.request_counts is not None
    assert running.request_counts.total == 2
    assert after(12).status == "in_progress"
    finalizing = after(13)
    assert (finalizing.status, finalizing.finalizing_at) == ("finalizing", created + 13)
    assert after(14).status == "finalizing"
    assert after(14).output_file_id is None
    done = after(15)
    assert (done.status, done.completed_at, done.error_file_id) == ("completed", created + 15, None)
    assert done.request_counts is not None
    assert done.request_counts.model_dump() == {"total": 2, "completed": 2, "failed": 0}
    assert done.usage is not None
    assert done.usage.total_tokens > 0
    assert (done.failed_at, done.cancelled_at, done.expired_at, done.errors) == (None,) * 4


def test_one_jump_of_the_clock_applies_every_transition_at_its_own_time(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    batch = start(mock, client)
    mock.clock.advance(3600)
    done = client.batches.retrieve(batch.id)
    assert (done.in_progress_at, done.finalizing_at, done.completed_at) == (
        batch.created_at + 3,
        batch.created_at + 13,
        batch.created_at + 15,
    )
    assert done.output_file_id is not None
    output = client.files.retrieve(done.output_file_id)
    assert (output.purpose, output.filename, output.created_at) == (
        "batch_output",
        f"{batch.id}_output.jsonl",
        done.completed_at,
    )
    assert output.expires_at == output.created_at + 30 * 86_400


def test_zero_durations_complete_a_batch_when_it_is_next_read(mockfiles: MockFiles) -> None:
    mockfiles.batches.timing = BatchTiming(0, 0, 0, 0)
    client = mockfiles.client(in_process=True)
    batch = start(mockfiles, client)
    assert batch.status == "validating"  # the create answer is the batch as created
    assert client.batches.retrieve(batch.id).status == "completed"


def test_cancel_while_validating_ends_cancelled_without_files(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    mock.freeze()
    batch = start(mock, client)
    at(mock, batch, 1)
    cancelling = client.batches.cancel(batch.id)
    assert (cancelling.status, cancelling.cancelling_at) == ("cancelling", batch.created_at + 1)
    at(mock, batch, 5)
    assert client.batches.retrieve(batch.id).status == "cancelling"
    at(mock, batch, 6)
    cancelled = client.batches.retrieve(batch.id)
    assert (cancelled.status, cancelled.cancelled_at) == ("cancelled", batch.created_at + 6)
    assert (cancelled.in_progress_at, cancelled.output_file_id, cancelled.error_file_id) == (
        None,
        None,
        None,
    )


def test_cancel_in_progress_writes_the_unrun_requests_to_the_error_file(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    batch = start(mock, client)
    at(mock, batch, 5)
    assert client.batches.retrieve(batch.id).status == "in_progress"
    assert client.batches.cancel(batch.id).status == "cancelling"
    assert client.batches.cancel(batch.id).status == "cancelling"  # again: no error
    at(mock, batch, 10)
    cancelled = client.batches.retrieve(batch.id)
    assert cancelled.status == "cancelled"
    assert cancelled.in_progress_at is not None
    assert cancelled.finalizing_at is None
    assert cancelled.request_counts is not None
    assert cancelled.request_counts.model_dump() == {"total": 2, "completed": 0, "failed": 0}
    assert cancelled.output_file_id is None
    assert cancelled.error_file_id is not None
    lines = lines_of(client, cancelled.error_file_id)
    assert [(line["custom_id"], line["response"]) for line in lines] == [("a", None), ("b", None)]
    assert lines[0]["error"]["code"] == "batch_cancelled"
    assert client.batches.cancel(batch.id).status == "cancelled"  # allowed, as for real


@pytest.mark.parametrize(("seconds", "status"), [(13, "finalizing"), (15, "completed")])
def test_cancel_after_the_work_is_done_is_a_conflict(
    mock: MockFiles, client: openai.OpenAI, seconds: int, status: str
) -> None:
    batch = start(mock, client)
    at(mock, batch, seconds)
    with pytest.raises(openai.ConflictError) as raised:
        client.batches.cancel(batch.id)
    assert raised.value.status_code == 409
    assert raised.value.body == {
        "message": f"Cannot cancel a batch with status '{status}'.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_a_batch_whose_window_ends_first_expires_with_every_request_unrun(
    mockfiles: MockFiles,
) -> None:
    mockfiles.batches.timing = BatchTiming(validating=1, in_progress=100_000, finalizing=600)
    client = mockfiles.client(in_process=True)
    mockfiles.freeze()
    batch = start(mockfiles, client)
    at(mockfiles, batch, 86_399)
    assert client.batches.retrieve(batch.id).status == "in_progress"
    at(mockfiles, batch, 86_400)
    finalizing = client.batches.retrieve(batch.id)
    assert (finalizing.status, finalizing.finalizing_at) == ("finalizing", batch.expires_at)
    at(mockfiles, batch, 87_000)
    expired = client.batches.retrieve(batch.id)
    assert (expired.status, expired.expired_at, expired.completed_at) == (
        "expired",
        batch.expires_at + 600,
        None,
    )
    assert expired.request_counts is not None
    assert expired.request_counts.model_dump() == {"total": 2, "completed": 0, "failed": 0}
    assert expired.error_file_id is not None
    with pytest.raises(openai.ConflictError, match="status 'expired'"):
        client.batches.cancel(batch.id)
    [line, _] = lines_of(client, expired.error_file_id)
    assert line["response"] is None
    assert line["error"] == {
        "code": "batch_expired",
        "message": "This request could not be executed before the completion window expired.",
    }


def failed_errors(mock: MockFiles, client: openai.OpenAI, content: Any, **kw: Any) -> Any:
    batch = start(mock, client, content, **kw)
    at(mock, batch, 3)
    failed = client.batches.retrieve(batch.id)
    assert (failed.status, failed.failed_at, failed.in_progress_at) == (
        "failed",
        batch.created_at + 3,
        None,
    )
    assert failed.errors is not None
    assert failed.errors.object == "list"
    return [e.model_dump() for e in failed.errors.data or []]


def test_a_bad_json_line_fails_the_batch_naming_its_line(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    content = json.dumps(chat_line("a")) + "\n{not json\n" + json.dumps(chat_line("c")) + "\n"
    assert failed_errors(mock, client, content) == [
        {
            "code": "invalid_json_line",
            "message": "This line is not parseable as valid JSON.",
            "param": None,
            "line": 2,
        }
    ]


def test_every_bad_line_is_reported_in_line_order(mock: MockFiles, client: openai.OpenAI) -> None:
    content = [
        chat_line("a", url="/v1/embeddings"),
        chat_line("b"),
        {"custom_id": "c", "method": "POST", "url": CHAT},
        chat_line("b"),
        chat_line("e", model="gpt-4o"),
        chat_line("f", body={"model": "gpt-4o-mini", "messages": [], "stream": True}),
    ]
    errors = failed_errors(mock, client, content)
    assert [(e["line"], e["code"], e["param"]) for e in errors] == [
        (1, "invalid_url", "url"),
        (3, "missing_required_parameter", "body"),
        (4, "duplicate_custom_id", "custom_id"),
        (5, "mismatched_model", "body.model"),
        (6, "streaming_unsupported", "body.stream"),
    ]
    assert errors[0]["message"] == (
        "The URL provided for this request does not match the batch endpoint."
    )
    assert errors[1]["message"] == "Missing required parameter: 'body'."
    assert errors[2]["message"] == (
        "The custom_id 'b' for this request is a duplicate of another request. The custom_id "
        "parameter must be unique for each request in a batch."
    )
    assert errors[4]["message"] == "Chat Completions: Streaming is not supported in the Batch API."


def test_lines_for_another_endpoint_fail_a_batch_created_for_embeddings(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    errors = failed_errors(mock, client, [chat_line("a")], endpoint="/v1/embeddings")
    assert [(e["code"], e["line"]) for e in errors] == [("invalid_url", 1)]


def test_an_input_file_of_another_purpose_fails_the_batch(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    batch_file = mock.add_file(purpose="user_data", content=[chat_line("a")])
    errors = failed_errors(mock, client, None, input_file_id=batch_file.id)
    assert [(e["code"], e["param"], e["line"]) for e in errors] == [
        ("invalid_file_purpose", "input_file_id", None)
    ]


def test_an_unknown_input_file_fails_the_batch_with_the_observed_error(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    errors = failed_errors(mock, client, None, input_file_id="file-nope")
    batch_id = client.batches.list().data[0].id
    with pytest.raises(openai.ConflictError, match="Cannot cancel a batch with status 'failed'."):
        client.batches.cancel(batch_id)
    assert errors == [
        {
            "code": "invalid_request",
            "message": "Cannot find file file-nope, or organization user-mockfiles does not have "
            "access to it.",
            "param": "file_id",
            "line": None,
        }
    ]


def test_projects_see_only_their_own_batches_and_files(mock: MockFiles) -> None:
    mock.add_key("sk-a", project="proj_a")
    mock.add_key("sk-b", project="proj_b")
    a, b = (mock.client(in_process=True, api_key=k) for k in ("sk-a", "sk-b"))
    file = mock.add_file(purpose="batch", content=[chat_line("x")], project="proj_a")
    batch = a.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    with pytest.raises(openai.NotFoundError) as raised:
        b.batches.retrieve(batch.id)
    assert raised.value.body == {
        "message": f"No batch found with id '{batch.id}'.",
        "type": "invalid_request_error",
        "param": None,
        "code": "batch_not_found",
    }
    with pytest.raises(openai.NotFoundError):
        b.batches.cancel(batch.id)
    assert list(b.batches.list()) == []
    other = b.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    mock.clock.advance(TIMING.total + 1)
    assert b.batches.retrieve(other.id).status == "failed"  # proj_b cannot read proj_a's file
    done = a.batches.retrieve(batch.id)
    assert done.status == "completed"
    assert done.output_file_id is not None
    assert mock.store.retrieve("proj_a", done.output_file_id).purpose == "batch_output"
    with pytest.raises(openai.NotFoundError):
        b.files.content(done.output_file_id)


def test_output_files_count_in_the_projects_storage(mockfiles: MockFiles) -> None:
    mockfiles.batches.timing = BatchTiming(0, 0, 0, 0)
    client = mockfiles.client(in_process=True)
    batch = start(mockfiles, client)
    before = mockfiles.usage()
    done = client.batches.retrieve(batch.id)
    output = client.files.retrieve(done.output_file_id or "")
    after = mockfiles.usage()
    assert (after.files, after.bytes) == (before.files + 1, before.bytes + output.bytes)
    # Written even past the quota (the platform's own file); later uploads are then refused.
    mockfiles.limits = {"storage_bytes": after.bytes}
    with pytest.raises(openai.BadRequestError, match="exceeded your file storage quota"):
        client.files.create(file=("x.jsonl", b"{}\n"), purpose="batch")
    client.files.delete(output.id)
    assert client.files.create(file=("x.jsonl", b"{}\n"), purpose="batch").bytes == 3


def test_responders_decide_each_answer_most_specific_first(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    seen: list[str] = []

    def general(line: Any) -> Any:
        seen.append(line["custom_id"])
        return {"echo": line["body"]["messages"][0]["content"]}

    mock.batches.respond(general)
    mock.batches.respond(RequestError("Too long.", code="context_length_exceeded"), custom_id="b")
    batch = start(mock, client, [chat_line("a"), chat_line("b"), chat_line("c")])
    mock.clock.advance(TIMING.total + 1)
    done = client.batches.retrieve(batch.id)
    assert done.request_counts is not None
    assert done.request_counts.model_dump() == {"total": 3, "completed": 2, "failed": 1}
    assert seen == ["a", "c"]
    output = lines_of(client, done.output_file_id or "")
    assert [(line["custom_id"], line["response"]["body"]) for line in output] == [
        ("a", {"echo": "say a"}),
        ("c", {"echo": "say c"}),
    ]
    [failure] = lines_of(client, done.error_file_id or "")
    assert failure["custom_id"] == "b"
    assert failure["error"] is None
    assert failure["response"]["status_code"] == 400
    assert failure["response"]["body"] == {
        "error": {
            "message": "Too long.",
            "type": "invalid_request_error",
            "param": None,
            "code": "context_length_exceeded",
        }
    }
    assert set(failure) == {"id", "custom_id", "response", "error"}


def test_a_batch_where_every_request_fails_completes_without_an_output_file(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    mock.batches.respond(
        RequestError("No.", status_code=429, type="insufficient_quota"), endpoint=CHAT
    )
    batch = start(mock, client)
    mock.clock.advance(TIMING.total + 1)
    done = client.batches.retrieve(batch.id)
    assert (done.status, done.output_file_id) == ("completed", None)
    assert done.request_counts is not None
    assert done.request_counts.model_dump() == {"total": 2, "completed": 0, "failed": 2}
    assert [
        line["response"]["status_code"] for line in lines_of(client, done.error_file_id or "")
    ] == [
        429,
        429,
    ]


def test_reset_forgets_batches_and_the_tests_responders(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    mock.batches.respond({"fixed": True})
    batch = start(mock, client)
    mock.reset()
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve(batch.id)
    again = start(mock, client)
    mock.clock.advance(TIMING.total + 1)
    done = client.batches.retrieve(again.id)
    [line, _] = lines_of(client, done.output_file_id or "")
    assert line["response"]["body"]["object"] == "chat.completion"


def test_the_batch_domain_imports_neither_werkzeug_nor_pytest() -> None:
    modules = ["batches", "batch_model", "batch_lines", "batch_responses", "batch_validation"]
    imports = "; ".join(f"import mockfiles.{name}" for name in modules)
    probe = (
        f"import sys; {imports}; "
        "print(sorted(m for m in ('werkzeug', 'pytest', 'openai') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_a_responder_answering_neither_a_body_nor_an_error_is_reported_as_a_bug(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    mock.batches.respond(lambda line: None)  # type: ignore[arg-type,return-value]
    batch = start(mock, client)
    mock.clock.advance(TIMING.total + 1)
    with pytest.raises(openai.InternalServerError):
        client.batches.retrieve(batch.id)
    with pytest.raises(FakeBugError, match="return a dict"):
        mock.check()


def test_an_input_file_over_the_batch_size_limit_fails_without_being_read(
    mock: MockFiles, client: openai.OpenAI
) -> None:
    huge = mock.add_file(purpose="batch", size=300 * 1024 * 1024)  # no bytes held
    errors = failed_errors(mock, client, None, input_file_id=huge.id)
    assert [(e["code"], e["param"]) for e in errors] == [("file_too_large", "input_file_id")]
    assert errors[0]["message"].endswith("may hold at most 200 MB.")


def test_a_batch_holds_at_most_50000_requests(monkeypatch: pytest.MonkeyPatch) -> None:
    from mockfiles import batch_lines

    assert batch_lines.MAX_REQUESTS == 50_000
    monkeypatch.setattr(batch_lines, "MAX_REQUESTS", 3)  # the same rule, on a small file
    line = b'{"custom_id":"%d","method":"POST","url":"/v1/moderations","body":{"input":"x"}}\n'
    data = b"".join(line % i for i in range(4))
    checked = batch_lines.check_lines(data, "/v1/moderations")
    assert [(e.code, e.line) for e in checked.errors] == [("too_many_requests_in_batch", None)]
    assert not batch_lines.check_lines(
        data[: data.rindex(b'{"custom_id"')], "/v1/moderations"
    ).errors


@pytest.mark.mockfiles(batch_timing={"validating": 7}, batch_responder="fail")
def test_the_marker_sets_the_batch_timing_and_responder(mockfiles: MockFiles) -> None:
    assert mockfiles.batches.timing == BatchTiming(validating=7)
    assert mockfiles.batches.default_responder is not None
