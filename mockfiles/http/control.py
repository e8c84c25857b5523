"""The control plane under ``/_mockfiles/``: lets a test in any language drive the fake.

No API key is needed. Each endpoint calls the facade's own methods; none has rules of its own.

- ``GET /_mockfiles/clock`` answers ``{"now": <epoch seconds>}``.
- ``POST /_mockfiles/clock`` with ``{"advance": <seconds>}`` or ``{"set": <epoch seconds or
  ISO 8601>}`` moves the fake's clock and answers the new ``{"now": ...}``.
- ``POST /_mockfiles/reset`` empties the fake (every project's files) and puts its clock back
  where it started.
- ``GET /_mockfiles/limits`` answers the limits in force; ``POST`` with some of their fields
  (``{"file_bytes": 1000}``) changes those and answers them all.
- ``GET /_mockfiles/keys`` lists the registered keys; ``POST`` with ``{"key", "project",
  "organization"}`` (the last two optional) registers one.
- ``GET /_mockfiles/usage?project=P`` answers ``{"project", "bytes", "files"}``.
- ``GET /_mockfiles/faults`` lists the fault rules with their counters; ``POST`` adds one, as
  ``{"spec": "files.create:rate_limit:times=2"}`` or as ``FaultPlan.add``'s arguments
  (``{"operations": "files.create", "action": "rate_limit", "times": 2}``); ``DELETE`` clears
  them.
- ``GET /_mockfiles/state`` answers, per project, its files' count and bytes, its pending
  uploads and its batches (``{"id", "status", "created_at"}``, brought up to the clock's now).
- ``POST /_mockfiles/files`` with ``{"purpose", "filename", "project"?, "content": text}`` (or
  ``"content_base64"`` instead of ``content``; optional ``created_at``, ``expires_after``) puts
  a file with those bytes into a project, any purpose (``batch_output`` included); the
  project's quota applies. Answers the File.
- ``POST /_mockfiles/batches/respond`` with ``{"custom_id"?, "endpoint"?, "body": {...}}`` or
  ``{..., "error": {"message", "status_code"?, "type"?, "param"?, "code"?}}`` fixes what batch
  requests answer (``mock.batches.respond``).
- ``GET /_mockfiles/batches/timing`` answers how many seconds each batch phase lasts; ``POST``
  with some of them (``{"in_progress": 600}``) changes those and answers them all.
- ``GET /_mockfiles/journal`` answers the calls so far (``{"data": [...]}``); ``DELETE``
  clears them.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from mockfiles.batch_responses import RequestError
from mockfiles.errors import InvalidRequest
from mockfiles.http.bodies import json_object
from mockfiles.http.render import json_response

if TYPE_CHECKING:
    from mockfiles.facade import MockFiles

#: Control bodies are a few bytes of JSON; anything larger is refused unread.
MAX_BODY = 64 * 1024

ControlView = Callable[["MockFiles", Request], Response]


def clock_state(mock: MockFiles, request: Request) -> Response:
    return json_response({"now": mock.clock.now()})


def move_clock(mock: MockFiles, request: Request) -> Response:
    body = _json_object(request)
    moves = {name: body[name] for name in ("advance", "set") if name in body}
    if len(moves) != 1 or set(body) - {"advance", "set"}:
        raise InvalidRequest(
            'Send a JSON object with exactly one of "advance" (seconds) or "set" (epoch seconds '
            "or an ISO 8601 time).",
        )
    [(name, value)] = moves.items()
    try:
        if name == "advance":
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(value)
            mock.clock.advance(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(value)
            mock.clock.set(value)
    except (ValueError, OverflowError):
        raise InvalidRequest(
            f"{value!r} is not a valid value for {name!r}: give "
            + ("a number of seconds." if name == "advance" else "epoch seconds or ISO 8601."),
            param=name,
        ) from None
    return json_response({"now": mock.clock.now()})


def reset(mock: MockFiles, request: Request) -> Response:
    mock.reset()
    return json_response({"reset": True, "now": mock.clock.now()})


def limits_state(mock: MockFiles, request: Request) -> Response:
    return json_response(mock.limits.as_dict())


def change_limits(mock: MockFiles, request: Request) -> Response:
    mock.limits = mock.limits.replace(_json_object(request))
    return json_response(mock.limits.as_dict())


def keys_state(mock: MockFiles, request: Request) -> Response:
    grants = mock.keys.grants()
    return json_response(
        {
            "data": [
                {"key": key, "projects": list(grant.projects), "organization": grant.organization}
                for key, grant in grants.items()
            ]
        }
    )


def add_key(mock: MockFiles, request: Request) -> Response:
    body = _json_object(request)
    key, project, organization = body.get("key"), body.get("project"), body.get("organization")
    if project is not None and not isinstance(project, str | list):
        raise InvalidRequest('"project" must be a string or a list of them.', param="project")
    # The key ring checks that each value is text that can travel in a header.
    mock.add_key(key, project=project, organization=organization)  # type: ignore[arg-type]
    return keys_state(mock, request)


def usage(mock: MockFiles, request: Request) -> Response:
    project = request.args.get("project") or mock.project
    used = mock.usage(project)
    return json_response({"project": project, "bytes": used.bytes, "files": used.files})


def faults_state(mock: MockFiles, request: Request) -> Response:
    return json_response({"data": [rule.describe() for rule in mock.faults.rules]})


def add_fault(mock: MockFiles, request: Request) -> Response:
    body = _json_object(request)
    spec = body.pop("spec", None)
    if spec is not None:
        if body or not isinstance(spec, str):
            raise InvalidRequest('Send either {"spec": "..."} or the rule\'s fields.', param="spec")
        mock.faults.add_spec(spec)
    else:
        operations, action = body.pop("operations", None), body.pop("action", None)
        if not isinstance(action, str) or not isinstance(operations, str | list):
            raise InvalidRequest('A rule needs "operations" and "action".', param="action")
        try:
            mock.faults.add(operations, action, **body)
        except TypeError as error:  # an option FaultRule does not take
            raise InvalidRequest(f"Invalid fault rule: {error}.") from None
    return faults_state(mock, request)


def clear_faults(mock: MockFiles, request: Request) -> Response:
    mock.faults.clear()
    return faults_state(mock, request)


def state(mock: MockFiles, request: Request) -> Response:
    projects: dict[str, dict[str, Any]] = {}

    def entry_of(project: str) -> dict[str, Any]:
        return projects.setdefault(project, {"files": 0, "bytes": 0, "uploads": [], "batches": []})

    batches = mock.batches.batches()  # first: completing a batch writes its output files
    for stored in mock.store.files():
        entry = entry_of(stored.project)
        entry["files"] += 1
        entry["bytes"] += stored.file.bytes
    for upload in mock.uploads.pending():
        entry_of(upload.pop("project"))["uploads"].append(upload)
    for batch in batches:
        entry_of(mock.batches.project_of(batch.id))["batches"].append(
            {"id": batch.id, "status": batch.status, "created_at": batch.created_at}
        )
    return json_response({"now": mock.clock.now(), "projects": projects})


#: A seeded file travels inside a JSON body (base64 or text), so it may be large.
MAX_FILE_BODY = 256 * 1024 * 1024


def add_file(mock: MockFiles, request: Request) -> Response:
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
        data = str(text).encode("utf-8")
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
    file = mock.add_file(content=data, **body)
    return json_response(file.to_dict())


def batch_respond(mock: MockFiles, request: Request) -> Response:
    body = _json_object(request)
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
        mock.batches.respond(answer, **target)
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
        mock.batches.respond(RequestError(**error), **target)
    return json_response({"responding": True, **target})


def batch_timing(mock: MockFiles, request: Request) -> Response:
    return json_response(dataclasses.asdict(mock.batches.timing))


def change_batch_timing(mock: MockFiles, request: Request) -> Response:
    mock.batches.timing = mock.batches.timing.replace(_json_object(request))
    return batch_timing(mock, request)


def journal_state(mock: MockFiles, request: Request) -> Response:
    return json_response({"data": [call.as_dict() for call in mock.calls()]})


def clear_journal(mock: MockFiles, request: Request) -> Response:
    mock.journal.clear()
    return journal_state(mock, request)


def _json_object(request: Request) -> dict[str, Any]:
    return json_object(request, MAX_BODY, empty={})


#: Control endpoint → view, beside the API's ``VIEWS``.
CONTROL_VIEWS: dict[str, ControlView] = {
    "control.clock": clock_state,
    "control.clock.move": move_clock,
    "control.reset": reset,
    "control.limits": limits_state,
    "control.limits.change": change_limits,
    "control.keys": keys_state,
    "control.keys.add": add_key,
    "control.usage": usage,
    "control.faults": faults_state,
    "control.faults.add": add_fault,
    "control.faults.clear": clear_faults,
    "control.state": state,
    "control.files.add": add_file,
    "control.batches.respond": batch_respond,
    "control.batches.timing": batch_timing,
    "control.batches.timing.change": change_batch_timing,
    "control.journal": journal_state,
    "control.journal.clear": clear_journal,
}
