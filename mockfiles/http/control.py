"""The control plane under ``/_mockfiles/``: lets a test in any language drive the fake.

No API key is needed. Each endpoint calls the domain state's own methods (the ones the
``MockFiles`` facade calls too); none has rules of its own. Only its owner may use it (see
``guard`` and docs/control-plane.md): no CORS headers, no other origin, no preflight, JSON
POSTs only, and a bearer token when the fake was given one.

- ``GET /_mockfiles/clock`` answers ``{"now": <epoch seconds>}``.
- ``POST /_mockfiles/clock`` with ``{"advance": <seconds>}`` or ``{"set": <epoch seconds or
  ISO 8601>}`` moves the fake's clock and answers the new ``{"now": ...}``.
- ``POST /_mockfiles/reset`` empties the fake (every project's files) and puts its clock back
  where it started.
- ``GET /_mockfiles/limits`` answers the limits in force; ``POST`` with some of their fields
  (``{"file_bytes": 1000}``) changes those and answers them all.
- ``GET /_mockfiles/keys`` lists the registered keys, masked as the real API masks them;
  ``POST`` with ``{"key", "project", "organization"}`` (the last two optional) registers one.
- ``GET /_mockfiles/usage?project=P`` answers ``{"project", "bytes", "files"}`` of project
  ``P``; without ``project``, of every project (``"project": null``), as ``usage()`` does.
- ``GET /_mockfiles/faults`` lists the fault rules with their counters; ``POST`` adds one, as
  ``{"spec": "files.create:rate_limit:times=2"}`` or as ``FaultPlan.add``'s arguments
  (``{"operations": "files.create", "action": "rate_limit", "times": 2}``); ``DELETE`` clears
  them.
- ``GET /_mockfiles/state`` answers, per project, its files' count and bytes, its pending
  uploads and its batches (``{"id", "status", "created_at"}``, brought up to the clock's now).
- ``POST /_mockfiles/files`` and ``/_mockfiles/batches/*`` seed files and batch answers (see
  ``control_seeding``).
- ``GET /_mockfiles/journal`` answers the calls so far (``{"data": [...]}``); ``DELETE``
  clears them.
- ``GET /_mockfiles/bugs`` answers the fake's own failures (``{"data": [{"method", "path",
  "error", "traceback"}]}``); ``DELETE`` clears them.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Callable
from typing import Any

from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

from mockfiles.errors import APIError, InvalidRequest, UnsupportedContentType
from mockfiles.http.bodies import control_object
from mockfiles.http.control_seeding import SEEDING_VIEWS
from mockfiles.http.render import json_response
from mockfiles.keys import mask
from mockfiles.state import FakeState

ControlView = Callable[[FakeState, Request], Response]


class ControlRefused(APIError):
    """A control-plane request its owner did not send, refused before it changes anything.
    The fake's own answer (the control plane is no part of the real API)."""

    status = 403
    code = "control_plane_refused"
    with_detail = False


class ControlTokenRequired(APIError):
    """A control-plane request without the control token the fake was started with."""

    status = 401
    code = "invalid_control_token"
    with_detail = False

    def __init__(self) -> None:
        super().__init__(
            "This fake's control plane requires 'Authorization: Bearer <control token>' "
            "(the token given to --control-token / MockFiles(control_token=...))."
        )


def guard(state: FakeState, request: Request) -> None:
    """Refuse a control-plane request that its owner did not send.

    - A browser page of another origin: its request carries ``Origin`` (every cross-origin
      request does, and every POST or DELETE), and only the server's own origin is let in,
      and that only under an IP address or ``localhost``: a DNS name could be rebound to this
      machine by a page that then calls itself "same-origin".
    - A preflight (``OPTIONS``): the control plane takes no cross-origin request at all.
    - A missing or wrong control token, when the fake has one.
    - A POST whose body is not declared JSON: a page can send ``text/plain`` (and the form
      types) cross-origin without a preflight; ``application/json`` it cannot.
    """
    origin = request.headers.get("Origin")
    if origin is not None and not _own_origin(origin, request):
        raise ControlRefused(
            f"The control plane refuses requests from another origin (Origin: {origin[:200]})."
        )
    if request.method == "OPTIONS":
        raise ControlRefused("The control plane answers no preflight: it takes no CORS request.")
    token = state.control_token
    if token is not None:
        scheme, _, given = request.headers.get("Authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8"), token.encode("utf-8")
        ):
            raise ControlTokenRequired()
    if request.method == "POST":
        mimetype, _ = parse_options_header(request.headers.get("Content-Type", ""))
        if mimetype.lower() != "application/json":
            raise UnsupportedContentType(mimetype.lower(), "application/json")


def _own_origin(origin: str, request: Request) -> bool:
    """Whether ``origin`` is this server's, as the request reached it, under an IP address or
    ``localhost``."""
    host = request.host.lower()
    if origin.lower() != f"{request.scheme}://{host}":
        return False
    name = host.rpartition(":")[0] if host.rpartition(":")[2].isdigit() else host
    if name == "localhost":
        return True
    try:
        ipaddress.ip_address(name.removeprefix("[").removesuffix("]"))
    except ValueError:
        return False
    return True


def clock_state(state: FakeState, request: Request) -> Response:
    return json_response({"now": state.clock.now()})


def move_clock(state: FakeState, request: Request) -> Response:
    body = control_object(request)
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
            state.clock.advance(value)
        else:
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                raise ValueError(value)
            state.clock.set(value)
    except (ValueError, OverflowError):
        raise InvalidRequest(
            f"{value!r} is not a valid value for {name!r}: give "
            + ("a number of seconds." if name == "advance" else "epoch seconds or ISO 8601."),
            param=name,
        ) from None
    return json_response({"now": state.clock.now()})


def reset(state: FakeState, request: Request) -> Response:
    state.reset()
    return json_response({"reset": True, "now": state.clock.now()})


def limits_state(state: FakeState, request: Request) -> Response:
    return json_response(state.limits.as_dict())


def change_limits(state: FakeState, request: Request) -> Response:
    state.limits = state.limits.replace(control_object(request))
    return json_response(state.limits.as_dict())


def keys_state(state: FakeState, request: Request) -> Response:
    grants = state.keys.grants()
    return json_response(
        {
            "data": [
                {
                    "key": mask(key),
                    "projects": list(grant.projects),
                    "organization": grant.organization,
                }
                for key, grant in grants.items()
            ]
        }
    )


def add_key(state: FakeState, request: Request) -> Response:
    body = control_object(request)
    key, project, organization = body.get("key"), body.get("project"), body.get("organization")
    if project is not None and not isinstance(project, str | list):
        raise InvalidRequest('"project" must be a string or a list of them.', param="project")
    # The key ring checks that each value is text that can travel in a header.
    state.add_key(key, project=project, organization=organization)  # type: ignore[arg-type]
    return keys_state(state, request)


def usage(state: FakeState, request: Request) -> Response:
    # As the facade's usage(): one project when named, every project when not.
    project = request.args.get("project") or None
    used = state.usage(project)
    return json_response({"project": project, "bytes": used.bytes, "files": used.files})


def faults_state(state: FakeState, request: Request) -> Response:
    return json_response({"data": [rule.describe() for rule in state.faults.rules]})


def add_fault(state: FakeState, request: Request) -> Response:
    body = control_object(request)
    spec = body.pop("spec", None)
    if spec is not None:
        if body or not isinstance(spec, str):
            raise InvalidRequest('Send either {"spec": "..."} or the rule\'s fields.', param="spec")
        state.faults.add_spec(spec)
    else:
        operations, action = body.pop("operations", None), body.pop("action", None)
        if not isinstance(action, str) or not isinstance(operations, str | list):
            raise InvalidRequest('A rule needs "operations" and "action".', param="action")
        try:
            state.faults.add(operations, action, **body)
        except TypeError as error:  # an option FaultRule does not take
            raise InvalidRequest(f"Invalid fault rule: {error}.") from None
    return faults_state(state, request)


def clear_faults(state: FakeState, request: Request) -> Response:
    state.faults.clear()
    return faults_state(state, request)


def state(state: FakeState, request: Request) -> Response:
    projects: dict[str, dict[str, Any]] = {}

    def entry_of(project: str) -> dict[str, Any]:
        return projects.setdefault(project, {"files": 0, "bytes": 0, "uploads": [], "batches": []})

    batches = state.batches.batches()  # first: completing a batch writes its output files
    for stored in state.store.files():
        entry = entry_of(stored.project)
        entry["files"] += 1
        entry["bytes"] += stored.file.bytes
    for upload in state.uploads.pending():
        entry_of(upload.project)["uploads"].append(upload.to_dict())
    for batch in batches:
        entry_of(state.batches.project_of(batch.id))["batches"].append(
            {"id": batch.id, "status": batch.status, "created_at": batch.created_at}
        )
    return json_response({"now": state.clock.now(), "projects": projects})


def journal_state(state: FakeState, request: Request) -> Response:
    calls = state.journal.calls(include_chaos=True)
    return json_response({"data": [call.as_dict() for call in calls]})


def clear_journal(state: FakeState, request: Request) -> Response:
    state.journal.clear()
    return journal_state(state, request)


def bugs_state(state: FakeState, request: Request) -> Response:
    return json_response({"data": [bug.as_dict() for bug in state.bugs]})


def clear_bugs(state: FakeState, request: Request) -> Response:
    state.clear_bugs()
    return bugs_state(state, request)


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
    **SEEDING_VIEWS,
    "control.journal": journal_state,
    "control.journal.clear": clear_journal,
    "control.bugs": bugs_state,
    "control.bugs.clear": clear_bugs,
}
