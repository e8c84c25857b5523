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
- ``GET /_mockfiles/state`` answers, per project, its files' count and bytes and its pending
  uploads.
- ``GET /_mockfiles/journal`` answers the calls so far (``{"data": [...]}``); ``DELETE``
  clears them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

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
    for stored in mock.store.files():
        entry = projects.setdefault(stored.project, {"files": 0, "bytes": 0, "uploads": []})
        entry["files"] += 1
        entry["bytes"] += stored.file.bytes
    for upload in mock.uploads.pending():
        entry = projects.setdefault(upload.project, {"files": 0, "bytes": 0, "uploads": []})
        entry["uploads"].append(upload.to_dict())
    return json_response({"now": mock.clock.now(), "projects": projects})


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
    "control.journal": journal_state,
    "control.journal.clear": clear_journal,
}
