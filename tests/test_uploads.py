"""The Uploads API through the official SDK: the chunked helper end to end, every rule and
error, concurrent parts, the one-hour expiry, the quota at completion, and memory."""

from __future__ import annotations

import hashlib
import re
import threading
from pathlib import Path
from typing import Any

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.limits import GiB, MiB

HOUR = 3600


@pytest.fixture(params=["socket", "in-process"])
def client(request: pytest.FixtureRequest, mockfiles: MockFiles) -> openai.OpenAI:
    return mockfiles.client(in_process=request.param == "in-process")


def error_of(raised: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, Any]:
    body = raised.value.body
    assert isinstance(body, dict)
    return body


def new_upload(client: openai.OpenAI, size: int, **kw: Any) -> Any:
    options = {"filename": "train.jsonl", "purpose": "fine-tune", "mime_type": "text/jsonl", **kw}
    return client.uploads.create(bytes=size, **options)


def test_the_chunked_helper_uploads_in_parts_and_the_file_downloads_identical(
    client: openai.OpenAI, mockfiles: MockFiles, tmp_path: Path
) -> None:
    data = b"".join(b'{"custom_id": "%d"}\n' % i for i in range(5000))
    path = tmp_path / "requests.jsonl"
    path.write_bytes(data)
    upload = client.uploads.upload_file_chunked(
        file=path,
        mime_type="text/jsonl",
        purpose="batch",
        part_size=len(data) // 3 + 1,
        md5=hashlib.md5(data).hexdigest(),
    )
    assert upload.status == "completed"
    assert [c.operation for c in mockfiles.calls()] == [
        "uploads.create",
        *["uploads.parts.create"] * 3,
        "uploads.complete",
    ]
    assert upload.file is not None
    assert (upload.file.bytes, upload.file.filename, upload.file.purpose) == (
        len(data),
        "requests.jsonl",
        "batch",
    )
    assert upload.file.created_at == upload.created_at
    assert upload.file.expires_at == upload.created_at + 30 * 24 * HOUR  # batch's default
    assert client.files.retrieve(upload.file.id) == upload.file
    assert client.files.content(upload.file.id).content == data


def test_objects_have_the_real_shapes(client: openai.OpenAI) -> None:
    upload = new_upload(client, 3)
    assert re.fullmatch(r"upload_[0-9a-f]{32}", upload.id)
    assert int(upload.id[7:15], 16) == upload.created_at  # the id starts with its time
    assert (upload.status, upload.expires_at, upload.file) == (
        "pending",
        upload.created_at + HOUR,
        None,
    )
    raw = client.uploads.with_raw_response.create(
        bytes=1, filename="a.jsonl", purpose="batch", mime_type="text/jsonl"
    )
    assert "file" not in raw.http_response.json()  # no "file" key at all while pending
    part = client.uploads.parts.create(upload.id, data=b"abc")
    assert re.fullmatch(r"part_[0-9a-f]{32}", part.id)
    assert (part.object, part.upload_id) == ("upload.part", upload.id)
    assert part.created_at >= upload.created_at
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.expires_at == upload.expires_at  # unchanged by completion
    assert done.file is not None
    assert done.file.expires_at is None  # fine-tune files never expire by default


def test_parts_assemble_in_the_order_given_and_unused_parts_are_freed(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = new_upload(client, 6, purpose="vision", filename="img.png", mime_type="image/png")
    first = client.uploads.parts.create(upload.id, data=b"abc")
    second = client.uploads.parts.create(upload.id, data=b"def")
    client.uploads.parts.create(upload.id, data=b"unused")
    done = client.uploads.complete(upload.id, part_ids=[second.id, first.id])
    assert done.file is not None
    assert client.files.content(done.file.id).content == b"defabc"
    assert mockfiles.uploads.pending() == []
    held = mockfiles.uploads.find(upload.id)
    assert held is not None
    assert held.parts == {}  # the unused part is freed; the File holds the others' bytes


def test_expires_after_applies_to_the_resulting_file(client: openai.OpenAI) -> None:
    upload = new_upload(client, 1, expires_after={"anchor": "created_at", "seconds": 7200})
    part = client.uploads.parts.create(upload.id, data=b"x")
    done = client.uploads.complete(upload.id, part_ids=[part.id])
    assert done.file is not None
    assert done.file.expires_at == upload.created_at + 7200


def test_parts_may_arrive_concurrently_and_each_is_stored_once(mockfiles: MockFiles) -> None:
    client = mockfiles.client()
    pieces = [bytes([i]) * 10_000 for i in range(16)]
    upload = new_upload(client, sum(map(len, pieces)))
    part_ids: list[str | None] = [None] * len(pieces)

    def send(index: int) -> None:
        with mockfiles.client() as own:
            part_ids[index] = own.uploads.parts.create(upload.id, data=pieces[index]).id

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(pieces))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    [pending] = mockfiles.uploads.pending()
    assert pending.parts == 16
    done = client.uploads.complete(upload.id, part_ids=[p for p in part_ids if p])
    assert done.file is not None
    assert mockfiles.content(done.file.id) == b"".join(pieces)


@pytest.mark.parametrize(
    ("options", "message", "param"),
    [
        ({"purpose": "batch_output"}, "'batch_output' is not one of [", "purpose"),
        (
            {"filename": "notes.txt", "purpose": "batch"},
            "Invalid file format for Batch API. Must be .jsonl",
            None,
        ),
        (
            {"bytes": 8 * GiB + 1},
            "8589934593 is greater than the maximum of 8589934592 - 'bytes'",
            "bytes",
        ),
        ({"bytes": -1}, "-1 is less than the minimum of 0 - 'bytes'", "bytes"),
        (
            {"purpose": "batch", "filename": "b.jsonl", "bytes": 200 * MiB + 1},
            "File is too large.",
            None,
        ),
        (
            {"expires_after": {"anchor": "created_at", "seconds": 60}},
            "60 is less than the minimum of 3600 - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
    ],
)
def test_create_refuses_bad_fields(
    client: openai.OpenAI, options: dict[str, Any], message: str, param: str | None
) -> None:
    fields = {"bytes": 10, "filename": "t.jsonl", "purpose": "fine-tune", "mime_type": "x/y"}
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.create(**{**fields, **options})
    error = error_of(raised)
    assert error["message"].startswith(message)
    assert error["param"] == param


@pytest.mark.parametrize("missing", ["filename", "purpose", "bytes", "mime_type"])
def test_create_requires_every_field(client: openai.OpenAI, missing: str) -> None:
    body = {"bytes": 10, "filename": "t.jsonl", "purpose": "fine-tune", "mime_type": "x/y"}
    del body[missing]
    with pytest.raises(openai.BadRequestError) as raised:
        client.post("/uploads", body=body, cast_to=object)
    assert error_of(raised)["message"] == f"'{missing}' is a required property"


def test_create_refuses_a_multipart_body_with_the_real_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.post(
            "/uploads",
            body={"bytes": 1},
            cast_to=object,
            options={"headers": {"Content-Type": "multipart/form-data"}},
        )
    assert error_of(raised) == {
        "message": "Unsupported content type: 'multipart/form-data'. This API method only accepts "
        "'application/json' requests, but you specified the header 'Content-Type: "
        "multipart/form-data'. Please try again with a supported content type.",
        "type": "invalid_request_error",
        "param": None,
        "code": "unsupported_content_type",
    }


@pytest.mark.mockfiles(limits={"part_bytes": 100})
@pytest.mark.parametrize(("size", "allowed"), [(99, True), (100, True), (101, False)])
def test_a_part_may_hold_at_most_the_part_limit(
    client: openai.OpenAI, size: int, allowed: bool
) -> None:
    upload = new_upload(client, size)
    if allowed:
        assert client.uploads.parts.create(upload.id, data=b"x" * size).upload_id == upload.id
        return
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.parts.create(upload.id, data=b"x" * size)
    assert error_of(raised) == {
        "message": "The part is larger than the 100 bytes a part may hold.",
        "type": "invalid_request_error",
        "param": "data",
        "code": None,
    }


def test_completing_checks_the_parts(client: openai.OpenAI) -> None:
    upload = new_upload(client, 6)
    other = new_upload(client, 3)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    foreign = client.uploads.parts.create(other.id, data=b"xyz")
    cases = [
        ([part.id], None, "The parts add up to 3 bytes, but the Upload was created for 6 bytes."),
        ([part.id, part.id], None, f"Part {part.id} is listed more than once in part_ids."),
        ([part.id, foreign.id], None, f"No such Part of Upload {upload.id}: {foreign.id}"),
        (["part_nope"], None, f"No such Part of Upload {upload.id}: part_nope"),
    ]
    for part_ids, md5, message in cases:
        with pytest.raises(openai.BadRequestError) as raised:
            client.uploads.complete(upload.id, part_ids=part_ids, md5=md5 or openai.NOT_GIVEN)
        assert error_of(raised)["message"] == message
    second = client.uploads.parts.create(upload.id, data=b"def")
    right = hashlib.md5(b"abcdef").hexdigest()
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.complete(upload.id, part_ids=[part.id, second.id], md5="0" * 32)
    assert error_of(raised) == {
        "message": f"The md5 of the parts ({right}) does not match the md5 given ({'0' * 32}).",
        "type": "invalid_request_error",
        "param": "md5",
        "code": None,
    }
    assert client.uploads.complete(upload.id, part_ids=[part.id, second.id], md5=right).file


def test_cancelling_answers_the_cancelled_upload_and_frees_its_parts(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = new_upload(client, 4)
    client.uploads.parts.create(upload.id, data=b"ab")
    cancelled = client.uploads.cancel(upload.id)
    assert (cancelled.id, cancelled.status, cancelled.file) == (upload.id, "cancelled", None)
    assert cancelled.expires_at == upload.expires_at
    held = mockfiles.uploads.find(upload.id)
    assert held is not None
    assert held.parts == {}


def test_parts_adding_up_to_more_than_declared_are_refused_at_completion(
    client: openai.OpenAI,
) -> None:
    upload = new_upload(client, 2)
    part = client.uploads.parts.create(upload.id, data=b"abc")
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert error_of(raised)["message"] == (
        "The parts add up to 3 bytes, but the Upload was created for 2 bytes."
    )


def test_the_default_part_limit_is_64_mib(mockfiles: MockFiles) -> None:
    assert mockfiles.limits.part_bytes == 64 * MiB
    client = mockfiles.client()
    upload = new_upload(client, 64 * MiB + 1)
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.parts.create(upload.id, data=b"x" * (64 * MiB + 1))
    assert error_of(raised)["message"] == "The part is larger than the 64 MB a part may hold."


def test_state_violations_are_400s(client: openai.OpenAI) -> None:
    done = new_upload(client, 1)
    part = client.uploads.parts.create(done.id, data=b"x")
    client.uploads.complete(done.id, part_ids=[part.id])
    cancelled = new_upload(client, 1)
    client.uploads.cancel(cancelled.id)
    for upload, status in ((done, "completed"), (cancelled, "cancelled")):
        for action, call in (
            ("add parts to", lambda u: client.uploads.parts.create(u.id, data=b"x")),
            ("complete", lambda u: client.uploads.complete(u.id, part_ids=[])),
            ("cancel", lambda u: client.uploads.cancel(u.id)),
        ):
            with pytest.raises(openai.BadRequestError) as raised:
                call(upload)
            assert error_of(raised)["message"] == (
                f"Cannot {action} Upload {upload.id}: its status is '{status}', not 'pending'."
            )


UPLOAD_OPERATIONS = {
    "parts": lambda client, upload_id: client.uploads.parts.create(upload_id, data=b"x"),
    "complete": lambda client, upload_id: client.uploads.complete(upload_id, part_ids=[]),
    "cancel": lambda client, upload_id: client.uploads.cancel(upload_id),
}


@pytest.mark.parametrize("operation", list(UPLOAD_OPERATIONS))
def test_unknown_and_foreign_uploads_are_404s(mockfiles: MockFiles, operation: str) -> None:
    mine = mockfiles.client()
    theirs = mockfiles.client(project="proj_theirs")
    foreign = new_upload(theirs, 1)
    for upload_id in ("upload_nope", foreign.id):
        with pytest.raises(openai.NotFoundError) as raised:
            UPLOAD_OPERATIONS[operation](mine, upload_id)
        assert error_of(raised) == {
            "message": f"No such Upload object: {upload_id}",
            "type": "invalid_request_error",
            "param": "id",
            "code": None,
        }


def test_a_pending_upload_expires_an_hour_after_creation(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    upload = new_upload(client, 2)
    part = client.uploads.parts.create(upload.id, data=b"a")
    mockfiles.clock.set(upload.expires_at - 1)
    client.uploads.parts.create(upload.id, data=b"b")
    mockfiles.clock.set(upload.expires_at)
    assert mockfiles.uploads.pending() == []
    held = mockfiles.uploads.find(upload.id)
    assert held is not None
    assert (held.status, held.parts) == ("expired", {})  # its parts are freed
    for action, call in (
        ("add parts to", lambda: client.uploads.parts.create(upload.id, data=b"c")),
        ("complete", lambda: client.uploads.complete(upload.id, part_ids=[part.id])),
        ("cancel", lambda: client.uploads.cancel(upload.id)),
    ):
        with pytest.raises(openai.BadRequestError) as raised:
            call()
        assert error_of(raised)["message"] == (
            f"Cannot {action} Upload {upload.id}: its status is 'expired', not 'pending'."
        )


def test_the_quota_is_checked_at_completion(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    mockfiles.limits = {"storage_bytes": 10}
    upload = new_upload(client, 11)  # creating it is fine: nothing is stored yet
    part = client.uploads.parts.create(upload.id, data=b"x" * 11)
    with pytest.raises(openai.BadRequestError) as raised:
        client.uploads.complete(upload.id, part_ids=[part.id])
    assert "Projects are limited to 10 bytes of files." in error_of(raised)["message"]
    assert mockfiles.usage().bytes == 0


def test_faults_and_the_journal_apply_to_uploads(mockfiles: MockFiles) -> None:
    mockfiles.faults.add("uploads.parts.create", "server_error", times=1)
    client = mockfiles.client(max_retries=1)
    upload = new_upload(client, 1)
    part = client.uploads.parts.create(upload.id, data=b"x")
    client.uploads.complete(upload.id, part_ids=[part.id])
    assert [(c.operation, c.status) for c in mockfiles.calls()] == [
        ("uploads.create", 200),
        ("uploads.parts.create", 500),
        ("uploads.parts.create", 200),
        ("uploads.complete", 200),
    ]


def test_the_control_plane_state_shows_pending_uploads(mockfiles: MockFiles) -> None:
    import json
    import urllib.request

    client = mockfiles.client()
    upload = new_upload(client, 4)
    client.uploads.parts.create(upload.id, data=b"ab")
    root = mockfiles.url.removesuffix("/v1")
    with urllib.request.urlopen(f"{root}/_mockfiles/state", timeout=10) as response:
        state = json.loads(response.read())
    [shown] = state["projects"][mockfiles.project]["uploads"]
    assert (shown["id"], shown["status"], shown["parts"], shown["received"]) == (
        upload.id,
        "pending",
        1,
        2,
    )


@pytest.mark.mockfiles(limits={"part_bytes": 17 * MiB})  # over the 16 MiB kept when unsure
def test_a_part_of_exactly_the_limit_in_a_large_body_is_kept(client: openai.OpenAI) -> None:
    upload = new_upload(client, 17 * MiB)
    part = client.uploads.parts.create(upload.id, data=b"p" * (17 * MiB))
    assert client.uploads.complete(upload.id, part_ids=[part.id]).status == "completed"
