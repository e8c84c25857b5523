"""Every response body and header the fake sends is made here."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Response

from mockfiles.errors import APIError

#: The API version header the real API sends on every answer.
OPENAI_VERSION = "2020-10-01"


def json_response(payload: Mapping[str, Any], status: int = 200) -> Response:
    # ASCII with \u escapes: the same JSON to any client, and a client's lone surrogate
    # (valid in a JSON string, not in UTF-8) is echoed back escaped instead of failing.
    body = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("ascii")
    return Response(body, status=status, content_type="application/json")


def error_response(error: APIError) -> Response:
    response = json_response(error.body(), status=error.status)
    if error.status == 401:
        # The real 401 says its charset, unlike the files endpoints' other answers.
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def bytes_response(chunks: Iterable[bytes], size: int) -> Response:
    """The raw bytes of a file, streamed chunk by chunk with an exact ``Content-Length``."""
    response = Response(
        chunks,
        status=200,
        content_type="application/octet-stream",
        direct_passthrough=True,
    )
    response.headers["Content-Length"] = str(size)
    return response


def stamp_headers(
    response: Response,
    *,
    request_id: str,
    processing_ms: int,
    organization: str,
    project: str,
    error: APIError | None,
) -> None:
    """Add the headers the real API sends on every answer.

    A 401 carries only ``x-request-id`` (and its content type), as the real one does: it is
    answered before the organization and project are known.
    """
    headers = response.headers
    headers["x-request-id"] = request_id
    headers["x-content-type-options"] = "nosniff"
    headers["access-control-allow-origin"] = "*"
    if error is not None and error.status == 401:
        return
    headers["openai-version"] = OPENAI_VERSION
    headers["openai-organization"] = organization
    headers["openai-project"] = project
    headers["openai-processing-ms"] = str(processing_ms)
