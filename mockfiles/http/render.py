"""Every response body and header the fake sends is made here.

JSON is written as the real API writes it (recorded exchanges, see docs/fidelity.md): indented
by 2 spaces (the 401 by 4), non-ASCII characters as raw UTF-8, and a trailing newline, so the
``Content-Length`` of every JSON answer is ``len(json.dumps(body, indent=2,
ensure_ascii=False).encode()) + 1``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from json.encoder import encode_basestring
from typing import Any
from urllib.parse import quote

from werkzeug.wrappers import Response

from mockfiles.errors import APIError

#: The API version header the real API sends on every answer.
OPENAI_VERSION = "2020-10-01"

#: The indent of the real 401's body (every other answer's is 2).
UNAUTHORIZED_INDENT = 4


def json_bytes(payload: Mapping[str, Any], indent: int = 2) -> bytes:
    """``payload`` as the real API writes JSON: indented, raw UTF-8, a trailing newline."""
    try:
        text = _indented(payload, " " * indent, "")
    except TypeError:  # a value _indented does not know: json's own (slower) encoder
        text = json.dumps(payload, indent=indent, ensure_ascii=False, allow_nan=False)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        # A client's lone surrogate (valid in a JSON string, not in UTF-8), echoed back in an
        # error message: escape every non-ASCII character instead, which is still valid JSON.
        data = json.dumps(payload, indent=indent, allow_nan=False).encode("ascii")
    return data + b"\n"


def _indented(value: object, step: str, pad: str) -> str:
    """The text ``json.dumps(value, indent=len(step), ensure_ascii=False, allow_nan=False)``
    gives, for the plain values answers are made of, at several times its speed: with an
    indent, ``json`` uses its pure-Python encoder, a generator per nesting level. Raises
    ``TypeError`` for anything else (a non-str key, a subclass), for ``json`` to handle."""
    if type(value) is str:
        return encode_basestring(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float:
        if value != value or value in (math.inf, -math.inf):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    if type(value) is dict:
        if not value:
            return "{}"
        inner = pad + step
        items = []
        for key, item in value.items():
            if type(key) is not str:
                raise TypeError(key)
            items.append(f"{inner}{encode_basestring(key)}: {_indented(item, step, inner)}")
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if type(value) is list or type(value) is tuple:
        if not value:
            return "[]"
        inner = pad + step
        lines = [inner + _indented(item, step, inner) for item in value]
        return "[\n" + ",\n".join(lines) + "\n" + pad + "]"
    raise TypeError(value)


def json_response(payload: Mapping[str, Any], status: int = 200, indent: int = 2) -> Response:
    return Response(json_bytes(payload, indent), status=status, content_type="application/json")


def error_response(error: APIError) -> Response:
    if error.status == 401:
        response = json_response(error.body(), status=401, indent=UNAUTHORIZED_INDENT)
        # The real 401 says its charset, unlike the files endpoints' other answers.
        response.headers["Content-Type"] = "application/json; charset=utf-8"
    else:
        response = json_response(error.body(), status=error.status)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


def bytes_response(chunks: Iterable[bytes], size: int, filename: str) -> Response:
    """The raw bytes of a file, streamed chunk by chunk with an exact ``Content-Length`` and
    the real ``Content-Disposition: attachment; filename="<filename>"``."""
    response = Response(
        chunks,
        status=200,
        content_type="application/octet-stream",
        direct_passthrough=True,
    )
    response.headers["Content-Disposition"] = attachment(filename)
    response.headers["Content-Length"] = str(size)
    return response


def attachment(filename: str) -> str:
    """The ``Content-Disposition`` of a download.

    The real API is recorded only for plain ASCII names (``attachment;
    filename="images_dog_and_cat.png"``); how it writes others is unknown. The fake follows
    RFC 6266 and 9110: printable ASCII goes into the quoted string as it is, with ``"`` and
    ``\\`` escaped by a backslash; any other character (non-ASCII, controls) becomes ``_``
    there, and the exact name is added as ``filename*=UTF-8''<percent-encoded>``.
    """
    quoted = []
    exact = True
    for char in filename:
        if " " <= char <= "~":
            quoted.append("\\" + char if char in '"\\' else char)
        else:
            quoted.append("_")
            exact = False
    value = f'attachment; filename="{"".join(quoted)}"'
    if not exact:
        # A lone surrogate cannot be UTF-8: it is written as U+FFFD's bytes.
        value += "; filename*=UTF-8''" + quote(filename, safe="", errors="replace")
    return value


#: The headers of an answer to the files endpoints that do not depend on the request.
_API_HEADERS = (
    ("x-content-type-options", "nosniff"),
    ("access-control-allow-origin", "*"),
    ("openai-version", OPENAI_VERSION),
)
#: The same for the control plane: no CORS header.
_CONTROL_HEADERS = tuple(header for header in _API_HEADERS if not header[0].startswith("access"))


def stamp_headers(
    response: Response,
    *,
    request_id: str,
    processing_ms: int,
    organization: str,
    project: str,
    error: APIError | None,
    control: bool = False,
) -> None:
    """Add the headers the real API sends on every answer, in one go.

    A 401 carries only ``x-request-id``, ``x-content-type-options`` and ``Vary: Origin`` (and
    its content type), as the real one does: it is answered before the organization and
    project are known, and without ``access-control-allow-origin``. The control plane's
    answers carry no CORS header either: no other origin may read them.
    """
    # Appended to the header list as they are: werkzeug's per-header checks (for line breaks)
    # cost more than the rest of this function, and these values cannot hold one (request
    # headers are folded by the app, defaults and keys are checked when they are set).
    stamped = response.headers._list
    if error is not None and error.status == 401:
        stamped += (
            ("x-request-id", request_id),
            ("x-content-type-options", "nosniff"),
            ("Vary", "Origin"),
        )
        return
    stamped += (
        ("x-request-id", request_id),
        *(_CONTROL_HEADERS if control else _API_HEADERS),
        ("openai-organization", organization),
        ("openai-project", project),
        ("openai-processing-ms", str(processing_ms)),
    )
