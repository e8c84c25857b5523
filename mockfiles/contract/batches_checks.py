"""The Batches API's contract: ``batches.create``, ``retrieve``, ``list``, ``cancel`` and their
errors, through the official SDK (strict) and raw HTTP.

Facts tagged *known* are the "Known" fidelity notes of docs/batches.md (recorded or observed
exchanges with the real API); *chosen* ones are its "Chosen by the fake" notes, which a live
run settles. Every batch is of one ``/v1/moderations`` request: moderations cost no tokens, so
a live run that lets a batch run (or fails to cancel it in time) costs nothing but storage.
Batches cannot be deleted: the session cancels the ones it created that are not finished and
deletes their output and error files (``Session.close``).

The real API moves a batch on by itself (``validating`` for about a second): exchanges that
read a batch after its creation ignore the fields that change with its status, so that the
fidelity diff does not report the machine's speed. Checks of later statuses need the fake's
clock and are skipped against the live API.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final

from mockfiles.contract.expect import expect_error
from mockfiles.contract.registry import KNOWN, check
from mockfiles.contract.session import Session

BATCH_KEYS = [
    "id",
    "object",
    "endpoint",
    "model",
    "errors",
    "input_file_id",
    "completion_window",
    "status",
    "output_file_id",
    "error_file_id",
    "created_at",
    "in_progress_at",
    "expires_at",
    "finalizing_at",
    "completed_at",
    "failed_at",
    "expired_at",
    "cancelling_at",
    "cancelled_at",
    "request_counts",
    "usage",
    "metadata",
]
LIST_KEYS = ["object", "data", "first_id", "last_id", "has_more"]
BATCH_ID = re.compile(r"batch_[0-9a-f]{32}")
MODERATIONS: Final = "/v1/moderations"
LINE = {
    "custom_id": "m1",
    "method": "POST",
    "url": MODERATIONS,
    "body": {"model": "omni-moderation-latest", "input": "hello"},
}
JSONL = (json.dumps(LINE) + "\n").encode()
#: Statuses from which a batch moves no more.
FINISHED = ("completed", "failed", "expired", "cancelled")
#: What changes while a batch moves on by itself: not compared by the diff after creation.
MOVING = tuple(
    f"body.{name}"
    for name in (
        "model",
        "status",
        "in_progress_at",
        "finalizing_at",
        "completed_at",
        "cancelling_at",
        "cancelled_at",
        "output_file_id",
        "error_file_id",
        "request_counts",
        "usage",
    )
)
NOTE_KNOWN = "docs/batches.md, fidelity notes: known"
NOTE_CHOSEN = "docs/batches.md, fidelity notes: chosen"


def input_file(s: Session, data: bytes = JSONL) -> Any:
    return s.sdk.files.create(file=("batch.jsonl", data), purpose="batch")


def create(s: Session, file_id: str, **extra: Any) -> Any:
    return s.sdk.batches.create(
        input_file_id=file_id, endpoint=MODERATIONS, completion_window="24h", **extra
    )


def moving(s: Session) -> Any:
    """Exchanges inside may differ in what a batch's own progress changes."""
    return s.ignoring(*MOVING, *(f"body.data[{i}].{p[5:]}" for i in range(3) for p in MOVING))


def advance(s: Session, seconds: float) -> float:
    """Move the fake's clock on; returns the instant to set it back to."""
    now = float(s.control("GET", "clock")["now"])
    s.control("POST", "clock", {"advance": seconds})
    return now


def timing(s: Session) -> dict[str, float]:
    """The fake's phase durations, and ``total``: validating + in progress + finalizing."""
    phases = dict(s.control("GET", "batches/timing"))
    return {**phases, "total": phases["validating"] + phases["in_progress"] + phases["finalizing"]}


@check(
    "batches",
    "batches.create answers 200 and the Batch with every key in the real order, validating: "
    "model null, request_counts 0, usage zeros, expires_at 24 h after created_at",
    source=KNOWN,
    note=NOTE_KNOWN + " (the Batch object; create)",
    files=1,
    stored_bytes=len(JSONL),
)
def create_answers_a_validating_batch(s: Session) -> None:
    file = input_file(s)
    answer = s.http.post(
        "/batches",
        json={
            "input_file_id": file.id,
            "endpoint": MODERATIONS,
            "completion_window": "24h",
            "metadata": {"run": "contract"},
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body) == BATCH_KEYS, list(body)
    assert BATCH_ID.fullmatch(body["id"]), body["id"]
    assert (body["object"], body["status"], body["endpoint"]) == (
        "batch",
        "validating",
        MODERATIONS,
    )
    assert (body["input_file_id"], body["completion_window"]) == (file.id, "24h")
    assert (body["model"], body["errors"], body["output_file_id"]) == (None, None, None)
    assert body["request_counts"] == {"total": 0, "completed": 0, "failed": 0}
    assert body["usage"]["total_tokens"] == 0
    assert body["expires_at"] == body["created_at"] + 86_400
    assert body["metadata"] == {"run": "contract"}


@check(
    "batches",
    "retrieve answers the batch as created (id, endpoint, input file, times, metadata)",
    source=KNOWN,
    note=NOTE_KNOWN + " (the Batch object)",
    files=1,
    stored_bytes=len(JSONL),
)
def retrieve_answers_the_batch(s: Session) -> None:
    batch = create(s, input_file(s).id, metadata={"k": "v"})
    with moving(s):
        again = s.sdk.batches.retrieve(batch.id)
    assert (again.id, again.endpoint, again.input_file_id) == (
        batch.id,
        MODERATIONS,
        batch.input_file_id,
    )
    assert (again.created_at, again.expires_at, again.metadata) == (
        batch.created_at,
        batch.expires_at,
        {"k": "v"},
    )


@check(
    "batches",
    "list is newest first in {object, data, first_id, last_id, has_more}; after is exclusive",
    source=KNOWN,
    note=NOTE_KNOWN + " (list)",
    files=1,
    stored_bytes=len(JSONL),
)
def list_is_newest_first_and_after_is_exclusive(s: Session) -> None:
    file_id = input_file(s).id
    older, newer = create(s, file_id), create(s, file_id)
    # Other batches of the account (or of earlier checks) may follow ours: has_more and the
    # older pages are theirs.
    with moving(s), s.ignoring("body.has_more"):
        answer = s.http.get("/batches", params={"limit": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert list(body) == LIST_KEYS, list(body)
    ids = [item["id"] for item in body["data"]]
    assert (body["first_id"], body["last_id"]) == (ids[0], ids[-1])
    # Batches of one second may come in either order (as recorded): both are the newest.
    assert sorted(ids) == sorted([older.id, newer.id]), ids
    with moving(s), s.ignoring("body.data", "body.has_more", "body.last_id", "body.first_id"):
        after = s.sdk.batches.list(after=ids[0], limit=100)
    assert ids[0] not in [item.id for item in after.data]
    assert ids[1] == after.data[0].id


@check(
    "batches",
    "cancel answers the batch cancelling with cancelling_at set",
    source=KNOWN,
    note=NOTE_KNOWN + " (cancel)",
    files=1,
    stored_bytes=len(JSONL),
)
def cancel_answers_a_cancelling_batch(s: Session) -> None:
    batch = create(s, input_file(s).id)
    with moving(s), s.ignoring("body.cancelling_at"):
        cancelled = s.sdk.batches.cancel(batch.id)
    assert (cancelled.id, cancelled.status) == (batch.id, "cancelling")
    assert cancelled.cancelling_at is not None
    assert cancelled.cancelling_at >= batch.created_at


@check(
    "batches",
    "a cancelling batch becomes cancelled; cancelling it again is allowed",
    source=KNOWN,
    note=NOTE_KNOWN + " (cancel)",
    needs=("clock",),
    files=1,
    stored_bytes=len(JSONL),
)
def a_cancelled_batch_can_be_cancelled_again(s: Session) -> None:
    batch = create(s, input_file(s).id)
    s.sdk.batches.cancel(batch.id)
    back = advance(s, timing(s)["cancelling"])
    try:
        with s.ignoring("body.cancelling_at", "body.cancelled_at"):
            done = s.sdk.batches.retrieve(batch.id)
            again = s.sdk.batches.cancel(batch.id)
    finally:
        s.control("POST", "clock", {"set": back})
    assert (done.status, again.status) == ("cancelled", "cancelled")
    assert (done.in_progress_at, done.cancelled_at is not None) == (None, True)


@check(
    "batches",
    "a batch completes through in_progress and finalizing; its output file holds one "
    "{id, custom_id, response, error} line per request; cancel is then a 409",
    source=KNOWN,
    note=NOTE_KNOWN + " (statuses, output lines, cancel)",
    needs=("clock",),
    files=2,
    stored_bytes=len(JSONL) + 1024,
)
def a_completed_batch_has_an_output_file_and_cannot_be_cancelled(s: Session) -> None:
    batch = create(s, input_file(s).id)
    back = advance(s, timing(s)["total"])
    try:
        with s.ignoring(*(f"body.{name}" for name in ("in_progress_at", "finalizing_at"))):
            with s.ignoring("body.completed_at"):
                done = s.sdk.batches.retrieve(batch.id)
            assert done.status == "completed", done.status
            assert done.request_counts is not None
            assert (done.request_counts.total, done.request_counts.completed) == (1, 1)
            assert (done.model, done.error_file_id) == ("omni-moderation-latest", None)
            assert done.output_file_id is not None
            output = s.sdk.files.retrieve(done.output_file_id)
            assert output.purpose == "batch_output"
            # Line ids and request ids are random: the text is the check's to read, not the
            # diff's to compare.
            with s.ignoring("body.<text>", "body.<bytes>"):
                text = s.sdk.files.content(done.output_file_id).text
            [line] = [json.loads(row) for row in text.splitlines()]
            assert list(line) == ["id", "custom_id", "response", "error"], list(line)
            assert (line["custom_id"], line["error"]) == ("m1", None)
            assert line["response"]["status_code"] == 200
            assert re.fullmatch(r"[0-9a-f]{32}", line["response"]["request_id"])
            expect_error(
                lambda: s.sdk.batches.cancel(batch.id),
                409,
                "Cannot cancel a batch with status 'completed'.",
            )
    finally:
        s.control("POST", "clock", {"set": back})


@check(
    "batches",
    "a line that is not JSON fails the batch: errors.data names the line, invalid_json_line",
    source=KNOWN,
    note=NOTE_KNOWN + " (validation failures)",
    needs=("clock",),
    files=1,
    stored_bytes=len(JSONL) + 9,
)
def a_bad_line_fails_the_batch(s: Session) -> None:
    batch = create(s, input_file(s, JSONL + b"not json\n").id)
    back = advance(s, timing(s)["validating"])
    try:
        with s.ignoring("body.failed_at"):
            failed = s.sdk.batches.retrieve(batch.id)
    finally:
        s.control("POST", "clock", {"set": back})
    assert failed.status == "failed"
    assert failed.errors is not None
    assert failed.errors.data is not None
    [error] = failed.errors.data
    assert (error.code, error.line, error.param) == ("invalid_json_line", 2, None)
    assert error.message == "This line is not parseable as valid JSON."
