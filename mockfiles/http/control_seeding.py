"""The control plane's seeding endpoints: files with given bytes and what batches answer.

- ``POST /_mockfiles/files`` with ``{"purpose", "filename", "project"?, "content": text}`` (or
  ``"content_base64"`` instead of ``content``; optional ``created_at``, ``expires_after``) puts
  a file with those bytes into a project, any purpose (``batch_output`` included); the
  project's quota applies. Answers the File.
- ``POST /_mockfiles/batches/respond`` with ``{"custom_id"?, "endpoint"?, "body": {...}}`` or
  ``{..., "error": {"message", "status_code"?, "type"?, "param"?, "code"?}}`` fixes what batch
  requests answer (``mock.batches.respond``).
- ``GET /_mockfiles/batches/timing`` answers how many seconds each batch phase lasts; ``POST``
  with some of them (``{"in_progress": 600}``) changes those and answers them all.

The guard in ``control`` (owner only, JSON POSTs, the token) applies to these as to the rest.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from typing import Any

from werkzeug.wrappers import Request, Response

from mockfiles.batch_responses import RequestError
from mockfiles.errors import InvalidRequest
from mockfiles.http.bodies import control_object, json_object
from mockfiles.http.render import json_response
from mockfiles.state import FakeState

#: A seeded file travels inside a JSON body (base64 or text), so it may be large.
MAX_FILE_BODY = 256 * 1024 * 1024


def add_file(state: FakeState, request: Request) -> Response:
    body = json_object(request, MAX_FILE_BODY)
    text, encoded = body.pop("content", None), body.pop("content_base64", None)
    if (text is None) == (encoded is None):
        raise InvalidRequest('Send exactly one of "content" (text) or "content_base64".')
    if text is not None and not isinstance(text, str):
        raise InvalidRequest('"content" must be text; send bytes as "content_base64".')
    if encoded is not None:
        try:
            data = base64.b64decode(encoded, validate=True)
        except (binascii.Error, TypeError, ValueError):
            raise InvalidRequest('"content_base64" is not valid base64.') from None
    else:
        try:
            data = str(text).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate escape ("\ud800"): legal JSON, not UTF-8
            raise InvalidRequest(
                '"content" holds a lone surrogate, which UTF-8 cannot store; send the bytes '
                'as "content_base64".',
                param="content",
            ) from None
    allowed = {"purpose", "filename", "project", "created_at", "expires_after"}
    unknown = set(body) - allowed
    if unknown or not isinstance(body.get("purpose"), str):
        raise InvalidRequest(
            f'A file needs "purpose" (text) and takes {sorted(allowed)} beside its content; '
            f"unknown: {sorted(unknown)}.",
            param="purpose" if not unknown else sorted(unknown)[0],
        )
    for name, kind in (("filename", str), ("project", str), ("created_at", int)):
        if name in body and (isinstance(body[name], bool) or not isinstance(body[name], kind)):
            raise InvalidRequest(f'"{name}" must be {kind.__name__}.', param=name)
    if "expires_after" in body and not isinstance(body["expires_after"], dict):
        raise InvalidRequest('"expires_after" must be an object.', param="expires_after")
    file = state.add_file(content=data, **body)
    return json_response(file.to_dict())


def batch_respond(state: FakeState, request: Request) -> Response:
    body = control_object(request)
    target: dict[str, Any] = {
        name: body.pop(name) for name in ("custom_id", "endpoint") if name in body
    }
    if not all(isinstance(value, str) for value in target.values()):
        raise InvalidRequest('"custom_id" and "endpoint" must be text.')
    answer, error = body.pop("body", None), body.pop("error", None)
    if body or (answer is None) == (error is None):
        raise InvalidRequest(
            'Send "body" (an object) or "error", and optionally "custom_id" or "endpoint".'
        )
    if answer is not None:
        if not isinstance(answer, dict):
            raise InvalidRequest('"body" must be an object.', param="body")
        state.batches.respond(answer, **target)
    else:
        fields = {"message", "status_code", "type", "param", "code"}
        status = error.get("status_code", 400) if isinstance(error, dict) else None
        if (
            not isinstance(error, dict)
            or set(error) - fields
            or not isinstance(status, int)
            or not 400 <= status <= 599
        ):
            raise InvalidRequest(
                f'"error" must be an object with {sorted(fields)}; "status_code" 400 to 599.',
                param="error",
            )
        state.batches.respond(RequestError(**error), **target)
    return json_response({"responding": True, **target})


def batch_timing(state: FakeState, request: Request) -> Response:
    return json_response(dataclasses.asdict(state.batches.timing))


def change_batch_timing(state: FakeState, request: Request) -> Response:
    state.batches.timing = state.batches.timing.replace(control_object(request))
    return batch_timing(state, request)


#: Seeding endpoint → view, merged into ``control.CONTROL_VIEWS``.
SEEDING_VIEWS = {
    "control.files.add": add_file,
    "control.batches.respond": batch_respond,
    "control.batches.timing": batch_timing,
    "control.batches.timing.change": change_batch_timing,
}
