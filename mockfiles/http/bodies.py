"""JSON request bodies, read with a size cap that holds for chunked bodies too."""

from __future__ import annotations

import json
from typing import Any

from werkzeug.wrappers import Request

from mockfiles.errors import InvalidRequest

#: The real API's answer to a body that is not JSON (as users report it).
NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't "
    "using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was "
    "sent was not valid JSON. If you have trouble figuring out how to fix this, please contact "
    "us through our help center at help.openai.com.)"
)


def json_object(request: Request, max_bytes: int, *, empty: object = None) -> dict[str, Any]:
    """The body as a JSON object. An empty body counts as ``empty`` (``None``: not JSON).

    At most ``max_bytes`` are read, whatever ``Content-Length`` says (a chunked body has none):
    the rest is left to the app's drain, which discards it.
    """
    data = request.stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InvalidRequest(f"The request body may not exceed {max_bytes} bytes.")
    try:
        body = json.loads(data) if data else empty
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than Python's stack
        raise InvalidRequest(NOT_JSON) from None
    if not isinstance(body, dict):
        raise InvalidRequest(f"{body!r} is not of type 'object'"[:200])
    return body
