"""The Batches API's views: a JSON body for create, none for the others."""

from __future__ import annotations

from typing import Any

from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

from mockfiles.batch_validation import InvalidBatchRequest
from mockfiles.batches import LIST_LIMIT_DEFAULT
from mockfiles.errors import UnsupportedContentType
from mockfiles.http.bodies import json_object
from mockfiles.http.recording import note_json
from mockfiles.http.render import json_response
from mockfiles.http.views import Context, View
from mockfiles.model import not_an_integer, parse_decimal

#: A create body names a file and a few strings; a larger one is refused unread.
MAX_JSON_BYTES = 1024 * 1024


def create_batch(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    mimetype, _ = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype.lower() != "application/json":
        raise UnsupportedContentType(mimetype.lower(), "application/json")
    body: dict[str, Any] = json_object(request, MAX_JSON_BYTES)
    note_json(request, body)
    batch = ctx.batches.create(ctx.caller.project, ctx.caller.organization, body)
    return json_response(batch.to_dict())


def retrieve_batch(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    return json_response(ctx.batches.retrieve(ctx.caller.project, args["batch_id"]).to_dict())


def list_batches(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    raw = request.args.get("limit")
    limit = LIST_LIMIT_DEFAULT if raw is None else parse_decimal(raw, max_length=100)
    if limit is None:
        raise InvalidBatchRequest(f"{not_an_integer(raw)} - 'limit'", param="limit")
    page = ctx.batches.list(ctx.caller.project, limit=limit, after=request.args.get("after"))
    return json_response(page.to_dict())


def cancel_batch(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    # The SDKs send no body (Content-Length: 0); whatever is sent is drained unread.
    return json_response(ctx.batches.cancel(ctx.caller.project, args["batch_id"]).to_dict())


#: Operation name → view, beside the Files and Uploads APIs'.
BATCH_VIEWS: dict[str, View] = {
    "batches.create": create_batch,
    "batches.retrieve": retrieve_batch,
    "batches.list": list_batches,
    "batches.cancel": cancel_batch,
}
