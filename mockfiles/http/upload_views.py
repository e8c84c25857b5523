"""The Uploads API's views: JSON bodies for create, complete and cancel; a multipart ``data``
part for each part."""

from __future__ import annotations

from typing import Any

from werkzeug.http import parse_options_header
from werkzeug.wrappers import Request, Response

from mockfiles.errors import InvalidRequest, RequiredProperty, UnsupportedContentType
from mockfiles.http.bodies import json_object
from mockfiles.http.forms import read_form
from mockfiles.http.recording import note_form, note_json
from mockfiles.http.render import json_response
from mockfiles.http.views import Context
from mockfiles.model import Content

#: JSON bodies of the Uploads API are small; a larger one is refused unread.
MAX_JSON_BYTES = 1024 * 1024


def create_upload(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    body = _json_body(request)
    note_json(request, body)
    upload = ctx.uploads.create(
        ctx.caller.project,
        filename=_field(body, "filename", str),
        purpose=_field(body, "purpose", str),
        bytes=_field(body, "bytes", int),
        mime_type=_field(body, "mime_type", str),
        expires_after=_expires_after(body),
    )
    return json_response(upload.to_dict())


def add_part(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    form = read_form(request, keep_files=("data",), bound=ctx.uploads.part_bound())
    note_form(request, form, "data")
    upload = form.files.get("data")
    if upload is not None:
        content = upload.content
    elif "data" in form.fields:  # sent as a text field, as `curl -F data=...` does
        content = Content.from_bytes(form.fields["data"].encode("utf-8"))
    else:
        raise RequiredProperty("data")
    part = ctx.uploads.add_part(ctx.caller.project, args["upload_id"], content)
    return json_response(part.to_dict())


def complete_upload(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    body = _json_body(request)
    note_json(request, body)
    part_ids = _field(body, "part_ids", list)
    if not all(isinstance(part_id, str) for part_id in part_ids):
        raise InvalidRequest("part_ids must be a list of strings - 'part_ids'", param="part_ids")
    md5 = body.get("md5")
    if md5 is not None and not isinstance(md5, str):
        raise InvalidRequest(f"{md5!r} is not of type 'string' - 'md5'", param="md5")
    upload = ctx.uploads.complete(ctx.caller.project, args["upload_id"], part_ids, md5)
    return json_response(upload.to_dict())


def cancel_upload(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    if request.content_length:  # the SDK sends none; a body, if any, must still be JSON
        _json_body(request)
    return json_response(ctx.uploads.cancel(ctx.caller.project, args["upload_id"]).to_dict())


def _json_body(request: Request) -> dict[str, Any]:
    mimetype, _ = parse_options_header(request.headers.get("Content-Type", ""))
    if mimetype.lower() != "application/json":
        raise UnsupportedContentType(mimetype.lower(), "application/json")
    return json_object(request, MAX_JSON_BYTES)


def _field(body: dict[str, Any], name: str, kind: type) -> Any:
    if name not in body:
        raise RequiredProperty(name)
    value = body[name]
    wrong = isinstance(value, bool) or not isinstance(value, kind)
    if wrong:
        type_name = {str: "string", int: "integer", list: "array"}[kind]
        raise InvalidRequest(f"{value!r} is not of type {type_name!r} - {name!r}", param=name)
    return value


def _expires_after(body: dict[str, Any]) -> dict[str, object] | None:
    value = body.get("expires_after")
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest(
            f"{value!r} is not of type 'object' - 'expires_after'", param="expires_after"
        )
    return value


#: Operation name → view, beside the Files API's.
UPLOAD_VIEWS = {
    "uploads.create": create_upload,
    "uploads.parts.create": add_part,
    "uploads.complete": complete_upload,
    "uploads.cancel": cancel_upload,
}
