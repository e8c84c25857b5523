"""The Batches API's contract, its errors: ``batches.create`` refusals, an unknown batch, the
list's bounds and cursor (the statuses and the lifecycle are in ``batches_checks``)."""

from __future__ import annotations

from functools import partial
from typing import Any

from mockfiles.contract.batches_checks import MODERATIONS, NOTE_CHOSEN, NOTE_KNOWN, create
from mockfiles.contract.expect import expect_error
from mockfiles.contract.registry import CHOSEN, KNOWN, check
from mockfiles.contract.session import Session


@check(
    "batches",
    "an unknown input file is refused only later: create answers 200 validating",
    source=CHOSEN,
    note=NOTE_CHOSEN + " (unknown or other-project input file)",
)
def an_unknown_input_file_is_accepted_at_create(s: Session) -> None:
    batch = create(s, "file-0000000000000000000000")
    assert batch.status == "validating"


@check(
    "batches",
    "create without input_file_id is a 400 Missing required parameter (missing_required_parameter)",
    source=KNOWN,
    note=NOTE_KNOWN + " (create errors)",
)
def create_names_a_missing_parameter(s: Session) -> None:
    answer = s.http.post("/batches", json={"endpoint": MODERATIONS, "completion_window": "24h"})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == {
        "message": "Missing required parameter: 'input_file_id'.",
        "type": "invalid_request_error",
        "param": "input_file_id",
        "code": "missing_required_parameter",
    }


@check(
    "batches",
    "a metadata value that is not a string is a 400 Invalid type (invalid_type)",
    source=KNOWN,
    note=NOTE_KNOWN + " (create errors)",
)
def metadata_values_are_strings(s: Session) -> None:
    expect_error(
        lambda: s.sdk.batches.create(
            input_file_id="file-0000000000000000000000",
            endpoint=MODERATIONS,
            completion_window="24h",
            metadata={"tags": ["a"]},  # type: ignore[dict-item]  # wrong on purpose
        ),
        400,
        "Invalid type for 'metadata.tags': expected a string, but got an array instead.",
        param="metadata.tags",
        code="invalid_type",
    )


@check(
    "batches",
    "an unknown endpoint or completion window is a 400 Invalid value listing the supported ones",
    source=CHOSEN,
    note=NOTE_CHOSEN + " (create texts: the endpoint list, completion_window)",
)
def endpoint_and_window_are_checked(s: Session) -> None:
    endpoints = (
        "'/v1/chat/completions', '/v1/completions', '/v1/embeddings', "
        "'/v1/images/edits', '/v1/images/generations', '/v1/moderations', '/v1/responses', "
        "and '/v1/videos'"
    )
    for field, value, supported in (
        ("endpoint", "/v1/nope", endpoints),
        ("completion_window", "48h", "'24h'"),
    ):
        body: dict[str, Any] = {"endpoint": MODERATIONS, "completion_window": "24h"}
        expect_error(
            partial(
                s.sdk.batches.create,
                input_file_id="file-0000000000000000000000",
                **{**body, field: value},
            ),
            400,
            f"Invalid value: '{value}'. Supported values are: {supported}.",
            param=field,
            code="invalid_value",
        )


@check(
    "batches",
    "metadata over 16 pairs, and output_expires_after under an hour, are 400s",
    source=CHOSEN,
    note=NOTE_CHOSEN + " (create texts: metadata limits, output_expires_after)",
)
def metadata_and_output_expiry_limits(s: Session) -> None:
    def create_with(**extra: Any) -> Any:
        return create(s, "file-0000000000000000000000", **extra)

    expect_error(
        lambda: create_with(metadata={str(i): "v" for i in range(17)}),
        400,
        "Invalid 'metadata': too many properties. Expected an object with at most 16 "
        "properties, but got an object with 17 properties instead.",
        param="metadata",
        code="object_above_max_properties",
    )
    expect_error(
        lambda: create_with(output_expires_after={"anchor": "created_at", "seconds": 60}),
        400,
        "Invalid 'output_expires_after.seconds': integer below minimum value. Expected a "
        "value >= 3600, but got 60 instead.",
        param="output_expires_after.seconds",
        code="integer_below_min_value",
    )


@check(
    "batches",
    "an unknown batch id is a 404 'No batch found with id' (batch_not_found, param null, no "
    "detail), on retrieve and cancel",
    source=CHOSEN,
    note=NOTE_CHOSEN + " (unknown batch id)",
)
def an_unknown_batch_is_a_404(s: Session) -> None:
    for call in (s.sdk.batches.retrieve, s.sdk.batches.cancel):
        expect_error(
            partial(call, "batch-nonexistent-xyz"),
            404,
            "No batch found with id 'batch-nonexistent-xyz'.",
            code="batch_not_found",
        )
    answer = s.http.get("/batches/batch-nonexistent-xyz")
    assert list(answer.json()) == ["error"], answer.text


@check(
    "batches",
    "list: limit outside 1-100 is a 400; an after naming no batch gives an empty page with "
    "null first_id and last_id",
    source=CHOSEN,
    note=NOTE_CHOSEN + " (list)",
)
def list_bounds_and_unknown_cursor(s: Session) -> None:
    expect_error(
        lambda: s.sdk.batches.list(limit=101),
        400,
        "101 is greater than the maximum of 100 - 'limit'",
        param="limit",
    )
    expect_error(
        lambda: s.sdk.batches.list(limit=0),
        400,
        "0 is less than the minimum of 1 - 'limit'",
        param="limit",
    )
    answer = s.http.get("/batches", params={"after": "batch_00000000000000000000000000000000"})
    assert answer.status_code == 200, answer.text
    assert answer.json() == {
        "object": "list",
        "data": [],
        "first_id": None,
        "last_id": None,
        "has_more": False,
    }
