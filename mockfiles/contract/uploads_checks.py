"""The Uploads API's contract: ``uploads.create``, ``parts.create``, ``complete``, ``cancel``
and their errors. Most Uploads error texts are the fake's own (README fidelity notes,
"Uploads"): those checks are tagged chosen, and a live run settles them."""

from __future__ import annotations

from typing import Any

from mockfiles.contract.expect import expect_error
from mockfiles.contract.registry import CHOSEN, KNOWN, check
from mockfiles.contract.session import Session

UPLOAD_KEYS = ["id", "object", "bytes", "created_at", "filename", "purpose", "status", "expires_at"]
PART_KEYS = ["id", "object", "created_at", "upload_id"]
DATA = b'{"messages": []}\n'


def start(s: Session, size: int = len(DATA), purpose: str = "batch") -> Any:
    return s.sdk.uploads.create(
        bytes=size,
        filename="c.jsonl",
        mime_type="text/jsonl",
        purpose=purpose,  # type: ignore[arg-type]  # invalid ones on purpose
    )


@check(
    "uploads",
    "uploads.create answers a pending Upload, expiring an hour after it was created, no file",
    source=KNOWN,
    note="The Uploads API",
)
def create_answers_a_pending_upload(s: Session) -> None:
    answer = s.http.post(
        "/uploads",
        json={"bytes": 4, "filename": "c.jsonl", "mime_type": "text/jsonl", "purpose": "batch"},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert sorted(body) == sorted(UPLOAD_KEYS), list(body)
    assert (body["object"], body["status"], body["bytes"]) == ("upload", "pending", 4)
    assert body["expires_at"] == body["created_at"] + 3600


@check(
    "uploads",
    "parts then complete make a File of the parts' bytes, in part_ids order",
    source=KNOWN,
    note="The Uploads API",
    files=1,
    stored_bytes=len(DATA),
)
def parts_and_complete_make_a_file(s: Session) -> None:
    upload = start(s)
    half = len(DATA) // 2
    second = s.sdk.uploads.parts.create(upload.id, data=DATA[half:])
    first = s.sdk.uploads.parts.create(upload.id, data=DATA[:half])
    assert (first.object, first.upload_id) == ("upload.part", upload.id)
    answer = s.http.post(f"/uploads/{upload.id}/parts", files={"data": ("upload", b"")})
    assert answer.status_code == 200
    assert list(answer.json()) == PART_KEYS, list(answer.json())
    done = s.sdk.uploads.complete(upload.id, part_ids=[first.id, second.id])
    assert done.status == "completed"
    assert done.file is not None
    assert (done.file.bytes, done.file.filename, done.file.purpose) == (
        len(DATA),
        "c.jsonl",
        "batch",
    )
    assert s.sdk.files.content(done.file.id).content == DATA


@check(
    "uploads",
    "cancel answers the Upload, cancelled",
    source=KNOWN,
    note="The Uploads API",
)
def cancel_answers_the_cancelled_upload(s: Session) -> None:
    upload = start(s)
    cancelled = s.sdk.uploads.cancel(upload.id)
    assert (cancelled.id, cancelled.status) == (upload.id, "cancelled")


@check(
    "uploads",
    "an unknown upload answers 404 'No such Upload object: <id>' (param id)",
    source=CHOSEN,
    note="Fidelity notes: Uploads",
)
def an_unknown_upload_is_a_404(s: Session) -> None:
    missing = "upload_00000000000000000000000000000000"
    message = f"No such Upload object: {missing}"
    expect_error(lambda: s.sdk.uploads.cancel(missing), 404, message, param="id")
    expect_error(lambda: s.sdk.uploads.parts.create(missing, data=b"x"), 404, message, param="id")
    expect_error(lambda: s.sdk.uploads.complete(missing, part_ids=[]), 404, message, param="id")


@check(
    "uploads",
    "a cancelled upload takes no parts and cannot be completed or cancelled again",
    source=CHOSEN,
    note="Fidelity notes: Uploads (state violations)",
)
def a_cancelled_upload_refuses_everything(s: Session) -> None:
    upload = start(s)
    s.sdk.uploads.cancel(upload.id)
    for doing, call in (
        ("add parts to", lambda: s.sdk.uploads.parts.create(upload.id, data=b"x")),
        ("complete", lambda: s.sdk.uploads.complete(upload.id, part_ids=[])),
        ("cancel", lambda: s.sdk.uploads.cancel(upload.id)),
    ):
        message = f"Cannot {doing} Upload {upload.id}: its status is 'cancelled', not 'pending'."
        expect_error(call, 400, message)


@check(
    "uploads",
    "complete refuses parts that do not add up to bytes, and a part listed twice",
    source=CHOSEN,
    note="Fidelity notes: Uploads (completion errors)",
)
def complete_checks_the_parts(s: Session) -> None:
    upload = start(s)
    part = s.sdk.uploads.parts.create(upload.id, data=DATA[:3])
    expect_error(
        lambda: s.sdk.uploads.complete(upload.id, part_ids=[part.id]),
        400,
        f"The parts add up to 3 bytes, but the Upload was created for {len(DATA)} bytes.",
        param="part_ids",
    )
    expect_error(
        lambda: s.sdk.uploads.complete(upload.id, part_ids=[part.id, part.id]),
        400,
        f"Part {part.id} is listed more than once in part_ids.",
        param="part_ids",
    )


@check(
    "uploads",
    "uploads.create refuses a purpose files.create refuses, with the same text",
    source=CHOSEN,
    note="Fidelity notes: Uploads (the six purposes)",
)
def an_upload_of_an_invalid_purpose_is_refused(s: Session) -> None:
    message = (
        "'x' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', 'vision', 'evals']"
        " - 'purpose'"
    )
    expect_error(lambda: start(s, purpose="x"), 400, message, param="purpose")


@check(
    "uploads",
    "a part request without data is a 400 'data' is a required property",
    source=CHOSEN,
    note="Fidelity notes: Uploads",
)
def a_part_needs_data(s: Session) -> None:
    upload = start(s)
    answer = s.http.post(f"/uploads/{upload.id}/parts", files={"other": ("x", b"x")})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == "'data' is a required property"


@check(
    "uploads",
    "a pending upload expires an hour after its creation: parts are refused",
    source=CHOSEN,
    note="The Uploads API (expiry after an hour)",
    needs=("clock",),
)
def a_pending_upload_expires_after_an_hour(s: Session) -> None:
    upload = start(s)
    now = s.control("GET", "clock")["now"]
    s.control("POST", "clock", {"set": upload.expires_at})
    try:
        message = f"Cannot add parts to Upload {upload.id}: its status is 'expired', not 'pending'."
        expect_error(lambda: s.sdk.uploads.parts.create(upload.id, data=b"x"), 400, message)
    finally:
        s.control("POST", "clock", {"set": now})
