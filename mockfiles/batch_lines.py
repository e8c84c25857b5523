"""The lines of a batch: checking an input file, and writing the output and error files.

Known from the real API (observed responses, see the fidelity notes): one error per bad line in
line order, ``line`` 1-based; the codes and texts of ``invalid_json_line``,
``missing_required_parameter``, ``invalid_url``, ``streaming_unsupported`` and the missing
model / messages errors; the output line format. Chosen by the fake because the real ones are
unknown: the duplicate ``custom_id`` and mixed-model errors (a compatible service's wording),
``method`` other than POST, a line that is JSON but no object (reported as not parseable), an
empty file, a file over 50,000 requests, and blank lines (skipped, still counted in the
numbering).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

#: Requests one batch may hold.
MAX_REQUESTS = 50_000
#: The endpoints whose bodies must name a model.
_NEEDS_MODEL = ("/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/responses")
#: The endpoints that refuse ``stream: true``, with the API name their message starts with.
_NO_STREAMING = {"/v1/chat/completions": "Chat Completions", "/v1/responses": "Responses"}


@dataclass(frozen=True)
class LineError:
    """One entry of a failed batch's ``errors.data``."""

    code: str
    message: str
    param: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "param": self.param, "line": self.line}


@dataclass(frozen=True)
class Checked:
    """An input file read line by line: its requests, their model, and what is wrong."""

    requests: list[dict[str, Any]]
    model: str | None
    errors: list[LineError]


def check_lines(data: bytes, endpoint: str) -> Checked:
    """Every request of an input file, checked against the batch's ``endpoint``."""
    requests: list[dict[str, Any]] = []
    errors: list[LineError] = []
    seen: set[str] = set()
    model: str | None = None
    text = data.decode("utf-8", errors="replace")
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except (ValueError, RecursionError):
            line = None
        if not isinstance(line, dict):
            errors.append(
                LineError(
                    "invalid_json_line", "This line is not parseable as valid JSON.", None, number
                )
            )
            continue
        problem = _line_problem(line, endpoint, seen, model)
        if problem is not None:
            code, message, param = problem
            errors.append(LineError(code, message, param, number))
            continue
        seen.add(line["custom_id"])
        model = model or line["body"].get("model")
        requests.append(line)
    if len(requests) > MAX_REQUESTS:
        errors.append(
            LineError(
                "too_many_requests_in_batch",
                f"The batch input file holds {len(requests)} requests; a batch may hold at most "
                f"{MAX_REQUESTS:,}.",
            )
        )
    if not requests and not errors:
        errors.append(
            LineError("empty_file", "The batch input file is empty: it holds no requests.")
        )
    return Checked(requests=requests, model=model, errors=errors)


def _line_problem(
    line: Mapping[str, Any], endpoint: str, seen: set[str], model: str | None
) -> tuple[str, str, str | None] | None:
    for name in ("custom_id", "method", "url", "body"):
        if name not in line:
            return "missing_required_parameter", f"Missing required parameter: '{name}'.", name
    custom_id, body = line["custom_id"], line["body"]
    if not isinstance(custom_id, str):
        return "invalid_type", "Invalid type for 'custom_id': expected a string.", "custom_id"
    if line["method"] != "POST":
        return (
            "invalid_method",
            "The method provided for this request is not supported; the Batch API only "
            "accepts 'POST'.",
            "method",
        )
    if line["url"] != endpoint:
        return (
            "invalid_url",
            "The URL provided for this request does not match the batch endpoint.",
            "url",
        )
    if not isinstance(body, dict):
        return "invalid_type", "Invalid type for 'body': expected an object.", "body"
    if body.get("stream") is True and endpoint in _NO_STREAMING:
        api = _NO_STREAMING[endpoint]
        return (
            "streaming_unsupported",
            f"{api}: Streaming is not supported in the Batch API.",
            "body.stream",
        )
    if endpoint in _NEEDS_MODEL and not body.get("model"):
        return "invalid_request", "Model parameter is required.", "body.model"
    if endpoint == "/v1/chat/completions" and not body.get("messages"):
        return "invalid_request", "Messages parameter is required.", "body.messages"
    if custom_id in seen:
        return (
            "duplicate_custom_id",
            f"The custom_id '{custom_id}' for this request is a duplicate of another request. "
            "The custom_id parameter must be unique for each request in a batch.",
            "custom_id",
        )
    requested = body.get("model")
    if model is not None and requested is not None and requested != model:
        return (
            "mismatched_model",
            f"The model '{requested}' for this request does not match the rest of the batch. "
            "Each batch must contain requests for a single model.",
            "body.model",
        )
    return None


_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
_COMPACT_ASCII = json.JSONEncoder(separators=(",", ":"))


def jsonl(lines: Iterable[Mapping[str, Any]]) -> bytes:
    """JSON Lines: one compact object a line, each ending in a newline, in raw UTF-8."""
    lines = list(lines)  # read twice when one cannot be UTF-8
    text = "".join(_COMPACT.encode(line) + "\n" for line in lines)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate from an input line's escape (or a responder's answer): legal in a
        # JSON string, impossible in UTF-8. Lines are then written with every non-ASCII
        # character escaped, which is still the same JSON.
        return "".join(_COMPACT_ASCII.encode(line) + "\n" for line in lines).encode("ascii")


def answered_line(
    line_id: str, custom_id: str, request_id: str, status_code: int, body: Mapping[str, Any]
) -> dict[str, Any]:
    """An output (or error) file line of a request that ran; keys in the real order."""
    return {
        "id": line_id,
        "custom_id": custom_id,
        "response": {"status_code": status_code, "request_id": request_id, "body": body},
        "error": None,
    }


#: Per-line errors of requests that never ran. The expiry text is the real one (Batch guide);
#: the cancellation code and text are the fake's, by analogy.
NOT_RUN = {
    "expired": (
        "batch_expired",
        "This request could not be executed before the completion window expired.",
    ),
    "cancelled": ("batch_cancelled", "This request was not executed: the batch was cancelled."),
}


def unrun_line(line_id: str, custom_id: str, why: str) -> dict[str, Any]:
    code, message = NOT_RUN[why]
    return {
        "id": line_id,
        "custom_id": custom_id,
        "response": None,
        "error": {"code": code, "message": message},
    }
