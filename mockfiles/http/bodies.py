"""Request bodies: JSON read with a size cap that holds for chunked bodies too, and the ways a
body can break off, which the serving layer raises out of the stream it hands the app."""

from __future__ import annotations

import json
import math
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request

from mockfiles.errors import InvalidRequest, UnreadableBody

#: The real API's answer to a body that is not JSON (as users report it).
NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)


class BodyBroken(ClientDisconnected):
    """The request body cannot be read to its end; nothing more can be read from the
    connection, which closes after the answer. A ``ClientDisconnected``, so code that knows
    only werkzeug's streams treats it as the client's fault, never as the fake's bug.

    ``reason`` completes the sentence "The request body ..."; ``status`` is the answer's."""

    status = 400

    def __init__(self, reason: str) -> None:
        super().__init__(f"The request body {reason}")
        self.reason = reason


class BodyEndedEarly(BodyBroken):
    """The client closed its side before the body's end (its Content-Length, or the last
    chunk)."""


class BodyFramingInvalid(BodyBroken):
    """The chunked transfer coding of the body is malformed."""


class BodyStalled(BodyBroken):
    """Nothing arrived for longer than the server's idle timeout."""

    status = 408


def unreadable(error: ClientDisconnected, what: str = "") -> UnreadableBody:
    """The API error for a body that broke off: ``what`` prefixes the message (such as
    "Invalid multipart/form-data body: ")."""
    if isinstance(error, BodyBroken):
        return UnreadableBody(f"{what}{error.description}.", status=error.status)
    return UnreadableBody(f"{what}The request body ended before its Content-Length.")


def json_object(request: Request, max_bytes: int, *, empty: object = None) -> dict[str, Any]:
    """The body as a JSON object. An empty body counts as ``empty`` (``None``: not JSON).

    At most ``max_bytes`` are read, whatever ``Content-Length`` says (a chunked body has none):
    the rest is left to the serving layer, which drains a bounded amount or closes.
    """
    try:
        data = request.stream.read(max_bytes + 1)
    except ClientDisconnected as error:
        raise unreadable(error) from None
    except OSError:  # a stream of another server that cannot follow the framing
        raise UnreadableBody("The request body's transfer coding is malformed.") from None
    if len(data) > max_bytes:
        raise InvalidRequest(f"The request body may not exceed {max_bytes} bytes.")
    try:
        body = _strict_json(data) if data else empty
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        raise InvalidRequest(NOT_JSON) from None
    if not isinstance(body, dict):
        raise InvalidRequest(f"{body!r} is not of type 'object'"[:200])
    return body


def _strict_json(data: bytes) -> Any:
    """JSON (RFC 8259) and nothing more, where Python's ``json`` reads more: bytes that are not
    valid in their encoding (``json.loads`` decodes bytes with ``surrogatepass``, so the bytes
    of a lone surrogate pass), ``NaN``/``Infinity``, and numbers too large for a float
    (``1e999`` reads as infinity). Each would reach the domain and the journal as a value that
    no answer, output file or journal can be written with. Raises ``ValueError``.

    How the real API treats these is unknown; as its parser is strict JSON, the fake answers
    them as a body that is not JSON."""
    return json.loads(
        data.decode(json.detect_encoding(data)),
        parse_constant=_not_json,
        parse_float=_finite_float,
    )


def _not_json(literal: str) -> Any:
    raise ValueError(f"{literal} is not JSON")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise ValueError(f"{literal} is out of range")
    return value


#: Control-plane bodies are a few bytes of JSON; anything larger is refused unread.
CONTROL_BODY_MAX = 64 * 1024


def control_object(request: Request) -> dict[str, Any]:
    """A control-plane request's JSON object; an empty body counts as ``{}``."""
    return json_object(request, CONTROL_BODY_MAX, empty={})
