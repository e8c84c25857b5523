"""What the journal keeps of a request and its answer: the query, the form or JSON fields, the
file part's name and size, a few headers, the ids touched and the error's code. Never bodies.

Views leave what only they decode (the form, the JSON body) on the WSGI environ with
``note_form`` / ``note_json``; ``request_details`` and ``answer_details`` read it back.
Every text kept is cut (see ``MAX_TEXT``), so a journal of hostile requests stays small.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request, Response

from mockfiles.errors import APIError
from mockfiles.http.bodies import json_object
from mockfiles.http.forms import Form, read_form

#: The request headers the journal keeps (by lower-case name): the ones a test may assert on.
HEADERS = (
    "openai-project",
    "openai-organization",
    "idempotency-key",
    "x-stainless-retry-count",
    "user-agent",
)

#: The longest text kept for a path, a value or a name; longer ones end in a marker.
MAX_TEXT = 2048

#: The longest header value kept.
MAX_HEADER = 512

#: The query's and the fields' names and values are kept until they add up to this many
#: characters; later ones are left out. With the cuts above, one call holds at most ~13 KB of
#: text however hostile the request (``mockfiles serve`` keeps 10,000 calls).
MAX_ITEMS_TEXT = 4096

#: The operations whose answer names what they created.
_CREATING = frozenset({"files.create", "uploads.create", "uploads.complete", "batches.create"})

_FORM_KEY = "mockfiles.journal.form"
_FILE_KEY = "mockfiles.journal.file"

_FILE_PATH = re.compile(r"^/v1/files/([^/]+)")
_UPLOAD_PATH = re.compile(r"^/v1/uploads/([^/]+)/")
_BATCH_PATH = re.compile(r"^/v1/batches/([^/]+)")

Scalar = str | int | float | bool


def cut(text: str, limit: int = MAX_TEXT) -> str:
    """``text``, or its first ``limit`` characters and a marker saying how many were cut."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[{len(text) - limit} more characters]"


def note_form(request: Request, form: Form, file_part: str) -> None:
    """Keep a decoded form's text fields and its ``file_part``'s name and size for the journal."""
    fields = {name: value for name, value in form.fields.items() if name != file_part}
    request.environ[_FORM_KEY] = _bounded(fields)
    upload = form.files.get(file_part)
    if upload is not None:
        request.environ[_FILE_KEY] = (cut(upload.filename), upload.size)
    elif file_part in form.dropped:
        filename, size = form.dropped[file_part]
        request.environ[_FILE_KEY] = (cut(filename), size)
    elif file_part in form.fields:  # sent as a text part (``curl -F data=...``): no name
        request.environ[_FILE_KEY] = (None, len(form.fields[file_part].encode("utf-8")))


#: The operations whose body is a form, by the part that holds the file.
_FORM_FILE_PARTS = {"files.create": "file", "uploads.parts.create": "data"}
#: The operations whose body is a JSON object.
_JSON_BODIES = frozenset({"uploads.create", "uploads.complete", "batches.create"})
#: The largest body a fault's answer waits to decode: the socket server drains as much after
#: any answer anyway (``serving.http11.DRAIN_BYTES``), so a faulted large upload is still
#: answered without being read.
MAX_FAULTED_BODY = 1024 * 1024


def note_faulted_body(operation: str, request: Request) -> None:
    """Decode, for the journal alone, the body of a request a fault answers in place of its
    view, so ``calls("files.create", purpose="batch")`` counts the faulted attempts too. The
    file's bytes are counted, never kept. A body that does not decode, is over
    ``MAX_FAULTED_BODY`` or of unknown length is left unrecorded (the fault's answer stands)."""
    size = request.content_length
    if size is None or size > MAX_FAULTED_BODY:
        return
    try:
        if operation in _FORM_FILE_PARTS:
            note_form(request, read_form(request, keep_files=()), _FORM_FILE_PARTS[operation])
        elif operation in _JSON_BODIES:
            note_json(request, json_object(request, MAX_FAULTED_BODY))
    except (APIError, ClientDisconnected, OSError, ValueError):
        return


def note_json(request: Request, body: Mapping[str, Any]) -> None:
    """Keep a JSON body's scalar fields (and one level of objects, as ``name[key]``); lists
    such as ``part_ids`` are left out."""
    fields: dict[str, Any] = {}
    for name, value in body.items():
        if isinstance(value, Mapping):
            fields.update((f"{name}[{key}]", item) for key, item in value.items())
        else:
            fields[name] = value
    scalars = {name: value for name, value in fields.items() if _is_scalar(value)}
    request.environ[_FORM_KEY] = _bounded(scalars)


def request_details(request: Request) -> dict[str, Any]:
    """The journal's fields about what the client sent."""
    filename, size = request.environ.get(_FILE_KEY, (None, None))
    headers = {
        name: cut(request.headers[name], MAX_HEADER) for name in HEADERS if name in request.headers
    }
    return {
        "query": _bounded(request.args.to_dict()) if request.args else {},
        "fields": request.environ.get(_FORM_KEY, {}),
        "filename": filename,
        "file_bytes": size,
        "headers": headers,
    }


def answer_details(
    operation: str, request: Request, response: Response, error: APIError | None
) -> dict[str, Any]:
    """The journal's fields about the answer: the ids touched and the error's code."""
    path = request.path
    file_id, upload_id, batch_id = (
        cut(match.group(1)) if match else None
        for match in (_FILE_PATH.match(path), _UPLOAD_PATH.match(path), _BATCH_PATH.match(path))
    )
    if operation in _CREATING and response.status_code == 200 and response.is_json:
        answer = json.loads(response.get_data())
        if operation == "files.create":
            file_id = answer.get("id")
        elif operation == "batches.create":
            batch_id = answer.get("id")
        else:
            upload_id = answer.get("id")
            file_id = (answer.get("file") or {}).get("id")
    return {
        "file_id": file_id,
        "upload_id": upload_id,
        "batch_id": batch_id,
        "error_code": None if error is None else error.code,
    }


def _is_scalar(value: Any) -> bool:
    return isinstance(value, Scalar)


def _bounded(values: Mapping[str, Any]) -> dict[str, Any]:
    """The scalar items, cut, while they add up to ``MAX_ITEMS_TEXT`` characters."""
    kept: dict[str, Any] = {}
    room = MAX_ITEMS_TEXT
    for name, value in values.items():
        if not _is_scalar(value):
            continue
        name = cut(name)
        if isinstance(value, str):
            value = cut(value)
        room -= len(name) + len(str(value))
        if room < 0:
            break
        kept[name] = value
    return kept
