"""The Files API's contract: ``files.create``, ``list``, ``retrieve``, ``delete``, ``content``
and their errors, through the official SDK (strict) and raw HTTP.

Written to hold against an account that already has files: lists are read by cursor from
files the check created, never by assuming the account is empty.
"""

from __future__ import annotations

import re
from functools import partial
from typing import Any

from mockfiles.contract.expect import expect_error, raised
from mockfiles.contract.registry import CHOSEN, KNOWN, check
from mockfiles.contract.session import Session

FILE_KEYS = [
    "object",
    "id",
    "purpose",
    "filename",
    "bytes",
    "created_at",
    "expires_at",
    "status",
    "status_details",
]
LIST_KEYS = ["object", "data", "has_more", "first_id", "last_id"]
REQUEST_ID = re.compile(r"req_[0-9a-f]{32}")
JSONL = b'{"custom_id": "1"}\n'


def upload(s: Session, data: bytes = JSONL, purpose: str = "batch", name: str = "c.jsonl") -> Any:
    return s.sdk.files.create(file=(name, data), purpose=purpose)  # type: ignore[arg-type]


@check(
    "files",
    "files.create answers 200 and the File with every key, in the real order, null when unused",
    source=KNOWN,
    note="What the fake does: files.create",
    files=1,
    stored_bytes=len(JSONL),
)
def create_answers_the_file(s: Session) -> None:
    answer = s.http.post("/files", data={"purpose": "batch"}, files={"file": ("c.jsonl", JSONL)})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body) == FILE_KEYS, list(body)
    assert (body["object"], body["purpose"], body["filename"]) == ("file", "batch", "c.jsonl")
    assert (body["bytes"], body["status"], body["status_details"]) == (
        len(JSONL),
        "processed",
        None,
    )
    assert isinstance(body["created_at"], int)
    assert body["expires_at"] == body["created_at"] + 30 * 24 * 3600  # batch files expire


@check(
    "files",
    "retrieve answers the File as created; content answers its exact bytes",
    source=KNOWN,
    note="What the fake does: files.retrieve, files.content",
    files=1,
    stored_bytes=len(JSONL),
)
def retrieve_and_content_give_back_the_file(s: Session) -> None:
    created = upload(s)
    assert s.sdk.files.retrieve(created.id) == created
    assert s.sdk.files.content(created.id).content == JSONL


@check(
    "files",
    "a download is application/octet-stream, named by Content-Disposition",
    source=KNOWN,
    note="Fidelity notes: Downloads (recorded exchanges: FilesTests)",
    files=1,
    stored_bytes=len(JSONL),
)
def a_download_is_an_octet_stream(s: Session) -> None:
    created = upload(s)
    answer = s.http.get(f"/files/{created.id}/content")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"] == 'attachment; filename="c.jsonl"'


@check(
    "files",
    "delete answers {object, deleted, id}; the file then answers 404 everywhere",
    source=KNOWN,
    note="Errors, with the real texts: unknown, deleted or foreign id",
    files=1,
    stored_bytes=len(JSONL),
)
def a_deleted_file_is_gone(s: Session) -> None:
    created = upload(s)
    answer = s.http.delete(f"/files/{created.id}")
    assert answer.status_code == 200
    assert answer.json() == {"object": "file", "deleted": True, "id": created.id}
    for call in (s.sdk.files.retrieve, s.sdk.files.delete, s.sdk.files.content):
        expect_error(
            partial(call, created.id),
            404,
            f"No such File object: {created.id}",
            param="id",
        )


@check(
    "files",
    "an id that never existed answers 404 'No such File object: <id>' (param id)",
    source=KNOWN,
    note="Errors, with the real texts: unknown, deleted or foreign id",
)
def an_unknown_id_is_a_404(s: Session) -> None:
    missing = "file-0000000000000000000000"
    for call in (s.sdk.files.retrieve, s.sdk.files.delete, s.sdk.files.content):
        expect_error(partial(call, missing), 404, f"No such File object: {missing}", param="id")


@check(
    "files",
    "the list pages newest first by default; has_more, first_id and last_id name the page",
    source=CHOSEN,
    note="Fidelity notes: List ties (files created in the same second keep creation order)",
    files=3,
    stored_bytes=3 * len(JSONL),
)
def the_list_pages_by_cursor(s: Session) -> None:
    made = [upload(s).id for _ in range(3)]
    with s.ignoring("body.has_more"):
        answer = s.http.get("/files", params={"limit": 2})
    body = answer.json()
    assert list(body) == LIST_KEYS, list(body)
    assert [f["id"] for f in body["data"]] == made[:0:-1]
    assert (body["first_id"], body["last_id"], body["has_more"]) == (made[2], made[1], True)
    with s.ignoring("body.has_more", "body.data", "body.last_id"):
        rest = s.sdk.files.list(limit=1, after=made[1])
    assert [f.id for f in rest.data] == [made[0]]


@check(
    "files",
    "order=asc walks oldest first from an exclusive after cursor",
    source=CHOSEN,
    note="Fidelity notes: List cursors",
    files=3,
    stored_bytes=3 * len(JSONL),
)
def order_asc_walks_from_the_cursor(s: Session) -> None:
    made = [upload(s).id for _ in range(3)]
    with s.ignoring("body.has_more"):
        page = s.sdk.files.list(order="asc", after=made[0], limit=2)
    assert [f.id for f in page.data] == made[1:]


@check(
    "files",
    "purpose= lists only files of that purpose",
    source=KNOWN,
    note="What the fake does: files.list",
    files=2,
    stored_bytes=len(JSONL) + 3,
)
def the_purpose_filter_lists_one_purpose(s: Session) -> None:
    batch = upload(s)
    vision = upload(s, b"png", "user_data", "c.txt")
    with s.ignoring("body.has_more", "body.data", "body.last_id"):
        page = s.sdk.files.list(purpose="batch", limit=10)
    assert {f.purpose for f in page.data} == {"batch"}
    assert page.data[0].id == batch.id
    assert vision.id not in [f.id for f in page.data]


@check(
    "files",
    "an unknown purpose filter is no error: it matches nothing",
    source=CHOSEN,
    note="Fidelity notes: List parameters",
)
def an_unknown_purpose_filter_matches_nothing(s: Session) -> None:
    answer = s.http.get("/files", params={"purpose": "no-such-purpose"})
    assert answer.status_code == 200
    assert answer.json()["data"] == []


@check(
    "files",
    "limit outside 1..10000, a non-integer limit and an unknown order are 400s naming the param",
    source=CHOSEN,
    note="Fidelity notes: List parameters",
)
def bad_list_parameters_are_400s(s: Session) -> None:
    cases = [
        ({"limit": "0"}, "0 is less than the minimum of 1 - 'limit'", "limit"),
        ({"limit": "10001"}, "10001 is greater than the maximum of 10000 - 'limit'", "limit"),
        ({"limit": "abc"}, "'abc' is not of type 'integer' - 'limit'", "limit"),
        ({"order": "up"}, "'up' is not one of ['asc', 'desc'] - 'order'", "order"),
    ]
    for params, message, param in cases:
        expect_error(partial(s.sdk.files.list, extra_query=params), 400, message, param=param)


@check(
    "files",
    "an after cursor naming no file answers an empty page",
    source=CHOSEN,
    note="Fidelity notes: List cursors",
)
def an_unknown_cursor_answers_an_empty_page(s: Session) -> None:
    answer = s.http.get("/files", params={"after": "file-0000000000000000000000"})
    assert answer.status_code == 200
    assert answer.json() == {
        "object": "list",
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
    }


@check(
    "files",
    "an invalid purpose is a 400 listing the six uploadable purposes (param purpose)",
    source=KNOWN,
    note="Errors, with the real texts: bad purpose",
)
def an_invalid_purpose_is_refused(s: Session) -> None:
    message = (
        "'x' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
        " - 'purpose'"
    )
    expect_error(lambda: upload(s, purpose="x"), 400, message, param="purpose")


@check(
    "files",
    "a create without file or without purpose is a 400 'is a required property'",
    source=KNOWN,
    note="Errors, with the real texts: no file part, no purpose",
)
def missing_fields_are_required(s: Session) -> None:
    no_file = s.http.post("/files", files={"purpose": (None, "batch")})
    no_purpose = s.http.post("/files", files={"file": ("c.jsonl", JSONL)})
    for answer, name in ((no_file, "file"), (no_purpose, "purpose")):
        assert answer.status_code == 400
        error = answer.json()["error"]
        assert (error["message"], error["param"]) == (f"'{name}' is a required property", None)


@check(
    "files",
    "a batch file not named .jsonl is a 400 'Invalid file format for Batch API'",
    source=KNOWN,
    note="Limits, quotas, keys and projects (.jsonl names)",
)
def a_batch_file_must_be_jsonl(s: Session) -> None:
    expect_error(
        lambda: upload(s, name="notes.txt"),
        400,
        "Invalid file format for Batch API. Must be .jsonl",
    )


@check(
    "files",
    "user_data files may not be downloaded: 400 'Not allowed to download files of purpose'",
    source=KNOWN,
    note="Errors, with the real texts: download of user_data",
    files=1,
    stored_bytes=3,
)
def user_data_is_not_downloadable(s: Session) -> None:
    created = upload(s, b"abc", "user_data", "c.txt")
    expect_error(
        lambda: s.sdk.files.content(created.id),
        400,
        "Not allowed to download files of purpose: user_data",
    )


@check(
    "files",
    "every answer carries x-request-id (req_ + 32 hex) and the openai-* headers",
    source=KNOWN,
    note="What the fake does: headers",
)
def answers_carry_the_openai_headers(s: Session) -> None:
    answer = s.http.get("/files", params={"limit": 1})
    assert REQUEST_ID.fullmatch(answer.headers.get("x-request-id", "")), answer.headers
    for name in ("openai-version", "openai-processing-ms", "openai-organization"):
        assert name in answer.headers, name
    assert answer.headers["openai-version"] == "2020-10-01"


@check(
    "files",
    "a request without a key is the real 401 (after routing)",
    source=KNOWN,
    note="Errors, with the real texts: missing or empty key",
)
def a_missing_key_is_a_401(s: Session) -> None:
    answer = s.http.get("/files", headers={"Authorization": ""})
    assert answer.status_code == 401
    error = answer.json()["error"]
    assert error["message"].startswith("You didn't provide an API key.")
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", None, None)


@check(
    "files",
    "an unknown path answers 404 'Invalid URL (<METHOD> <path>)'",
    source=KNOWN,
    note="Errors, with the real texts: unknown path or method",
)
def an_unknown_url_is_a_404(s: Session) -> None:
    answer = s.http.get("/files/a/b/c")
    assert answer.status_code == 404
    error = answer.json()["error"]
    assert error["message"] == f"Invalid URL (GET {answer.request.url.path})"


@check(
    "files",
    "a file is gone at its expires_at, to the second",
    source=CHOSEN,
    note="Fidelity notes: Expiry",
    needs=("clock",),
    files=1,
    stored_bytes=len(JSONL),
)
def a_file_expires_at_its_expires_at(s: Session) -> None:
    created = s.sdk.files.create(
        file=("c.jsonl", JSONL),
        purpose="batch",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert created.expires_at == created.created_at + 3600
    start = s.control("GET", "clock")["now"]
    s.control("POST", "clock", {"set": created.created_at + 3599})
    try:
        assert s.sdk.files.retrieve(created.id).id == created.id
        s.control("POST", "clock", {"set": created.created_at + 3600})
        expect_error(
            lambda: s.sdk.files.retrieve(created.id),
            404,
            f"No such File object: {created.id}",
            param="id",
        )
    finally:
        s.control("POST", "clock", {"set": start})


@check(
    "files",
    "an upload past the project's storage quota is a 400 naming the quota",
    source=CHOSEN,
    note="Fidelity notes: Storage quota text",
    needs=("limits",),
    files=1,
    stored_bytes=len(JSONL),
)
def the_storage_quota_refuses_uploads(s: Session) -> None:
    usage = s.control("GET", "usage")["bytes"]
    before = s.control("GET", "limits")
    s.control("POST", "limits", {"storage_bytes": usage + len(JSONL)})
    try:
        upload(s)
        import openai

        error = raised(lambda: upload(s), openai.BadRequestError)
        assert "file storage quota" in str(error), str(error)
    finally:
        s.control("POST", "limits", {"storage_bytes": before["storage_bytes"]})


@check(
    "files",
    "an injected rate limit is the real 429 shape (type requests, code rate_limit_exceeded)",
    source=CHOSEN,
    note="Fidelity notes: Fault presets",
    needs=("faults",),
)
def a_rate_limit_has_the_real_shape(s: Session) -> None:
    import openai

    s.control("POST", "faults", {"spec": "files.list:rate_limit:times=1"})
    error = raised(lambda: s.sdk.files.list(limit=1), openai.RateLimitError)
    assert isinstance(error.body, dict)
    assert (error.body["type"], error.body["code"]) == ("requests", "rate_limit_exceeded")
