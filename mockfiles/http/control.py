"""The control plane under ``/_mockfiles/``: lets a test in any language drive the fake.

No API key is needed. Each endpoint calls the facade's own methods; none has rules of its own.

- ``GET /_mockfiles/clock`` answers ``{"now": <epoch seconds>}``.
- ``POST /_mockfiles/clock`` with ``{"advance": <seconds>}`` or ``{"set": <epoch seconds or
  ISO 8601>}`` moves the fake's clock and answers the new ``{"now": ...}``.
- ``POST /_mockfiles/reset`` empties the fake (every project's files) and puts its clock back
  where it started.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from mockfiles.errors import InvalidRequest
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


def _json_object(request: Request) -> dict[str, Any]:
    if (request.content_length or 0) > MAX_BODY:
        raise InvalidRequest(f"A control request body may not exceed {MAX_BODY} bytes.")
    try:
        body = json.loads(request.get_data(cache=False) or b"null")
    except (ValueError, UnicodeDecodeError):
        raise InvalidRequest("The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise InvalidRequest("The request body must be a JSON object.")
    return body


#: Control endpoint → view, beside the API's ``VIEWS``.
CONTROL_VIEWS: dict[str, ControlView] = {
    "control.clock": clock_state,
    "control.clock.move": move_clock,
    "control.reset": reset,
}
