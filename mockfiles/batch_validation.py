"""What ``batches.create`` checks before it answers, with the real API's errors.

Known texts (observed): ``Missing required parameter: 'input_file_id'.``; ``Invalid value:
'<x>'. Supported values are: ...`` for ``endpoint`` (the 2025 text listed four endpoints; the
fake lists all eight it accepts, in the same sorted, comma-and-``and`` form); ``Invalid type
for 'metadata.tags': expected a string, but got an array instead.``. Inferred in the same
style because the real texts are unknown: the ``completion_window`` error, the metadata size
limits and ``output_expires_after``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockfiles.errors import InvalidRequest

#: The endpoints a batch may target, as the SDK's enum lists them.
ENDPOINTS: tuple[str, ...] = (
    "/v1/responses",
    "/v1/chat/completions",
    "/v1/embeddings",
    "/v1/completions",
    "/v1/moderations",
    "/v1/images/generations",
    "/v1/images/edits",
    "/v1/videos",
)
COMPLETION_WINDOWS: tuple[str, ...] = ("24h",)
#: Seconds a batch has to complete: ``expires_at = created_at + 86400`` in every recording.
BATCH_WINDOW = 86_400
METADATA_PAIRS = 16
METADATA_KEY_LENGTH = 64
METADATA_VALUE_LENGTH = 512
OUTPUT_EXPIRES_MIN = 3_600
OUTPUT_EXPIRES_MAX = 2_592_000


class InvalidBatchRequest(InvalidRequest):
    """A 400 of the Batches API. Without the ``detail`` sibling of the files endpoints' errors:
    every observed batch error is the plain ``{"error": ...}`` envelope."""

    with_detail = False


@dataclass(frozen=True)
class CreateRequest:
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: Mapping[str, str] | None
    output_expires_after: Mapping[str, object] | None


def check_create(body: Mapping[str, Any]) -> CreateRequest:
    """The create body's fields, checked in the order of the real API's required list."""
    for name in ("input_file_id", "endpoint", "completion_window"):
        if body.get(name) is None:
            raise InvalidBatchRequest(
                f"Missing required parameter: '{name}'.",
                param=name,
                code="missing_required_parameter",
            )
        _expect(body[name], str, name)
    endpoint, window = body["endpoint"], body["completion_window"]
    if endpoint not in ENDPOINTS:
        raise _invalid_value(endpoint, sorted(ENDPOINTS), "endpoint")
    if window not in COMPLETION_WINDOWS:
        raise _invalid_value(window, list(COMPLETION_WINDOWS), "completion_window")
    return CreateRequest(
        input_file_id=body["input_file_id"],
        endpoint=endpoint,
        completion_window=window,
        metadata=_metadata(body.get("metadata")),
        output_expires_after=_output_expires_after(body.get("output_expires_after")),
    )


def _metadata(value: object) -> Mapping[str, str] | None:
    if value is None:
        return None
    _expect(value, dict, "metadata")
    assert isinstance(value, dict)
    if len(value) > METADATA_PAIRS:
        raise InvalidBatchRequest(
            "Invalid 'metadata': too many properties. Expected an object with at most "
            f"{METADATA_PAIRS} properties, but got an object with {len(value)} properties "
            "instead.",
            param="metadata",
            code="object_above_max_properties",
        )
    for key, item in value.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise InvalidBatchRequest(
                f"Invalid 'metadata': key too long. Expected a key with maximum length "
                f"{METADATA_KEY_LENGTH}, but got a key with length {len(key)} instead.",
                param="metadata",
                code="invalid_value",
            )
        _expect(item, str, f"metadata.{key}")
        if len(item) > METADATA_VALUE_LENGTH:
            raise InvalidBatchRequest(
                f"Invalid 'metadata.{key}': string too long. Expected a string with maximum "
                f"length {METADATA_VALUE_LENGTH}, but got a string with length {len(item)} "
                "instead.",
                param=f"metadata.{key}",
                code="string_above_max_length",
            )
    return dict(value)


def _output_expires_after(value: object) -> Mapping[str, object] | None:
    if value is None:
        return None
    _expect(value, dict, "output_expires_after")
    assert isinstance(value, dict)
    for name in ("anchor", "seconds"):
        if name not in value:
            raise InvalidBatchRequest(
                f"Missing required parameter: 'output_expires_after.{name}'.",
                param=f"output_expires_after.{name}",
                code="missing_required_parameter",
            )
    if value["anchor"] != "created_at":
        raise _invalid_value(value["anchor"], ["created_at"], "output_expires_after.anchor")
    seconds = value["seconds"]
    _expect(seconds, int, "output_expires_after.seconds")
    name = "output_expires_after.seconds"
    if seconds < OUTPUT_EXPIRES_MIN:
        raise InvalidBatchRequest(
            f"Invalid '{name}': integer below minimum value. Expected a value >= "
            f"{OUTPUT_EXPIRES_MIN}, but got {seconds} instead.",
            param=name,
            code="integer_below_min_value",
        )
    if seconds > OUTPUT_EXPIRES_MAX:
        raise InvalidBatchRequest(
            f"Invalid '{name}': integer above maximum value. Expected a value <= "
            f"{OUTPUT_EXPIRES_MAX}, but got {seconds} instead.",
            param=name,
            code="integer_above_max_value",
        )
    return {"anchor": "created_at", "seconds": seconds}


_JSON_TYPES = {str: "a string", int: "an integer", dict: "an object"}


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _expect(value: object, kind: type, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, kind):
        raise InvalidBatchRequest(
            f"Invalid type for '{name}': expected {_JSON_TYPES[kind]}, but got "
            f"{_json_type(value)} instead.",
            param=name,
            code="invalid_type",
        )


def _invalid_value(value: object, allowed: list[str], name: str) -> InvalidBatchRequest:
    quoted = [f"'{item}'" for item in allowed]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + ", and " + quoted[-1]
    return InvalidBatchRequest(
        f"Invalid value: '{value}'. Supported values are: {listed}.",
        param=name,
        code="invalid_value",
    )
