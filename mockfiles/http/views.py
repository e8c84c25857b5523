"""One function per operation: decode the request, call the store, render the answer.

Views hold no rules of their own; the store decides, the views translate.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from werkzeug.wrappers import Request, Response

from mockfiles.batches import BatchStore
from mockfiles.errors import InvalidRequest, RequiredProperty
from mockfiles.http.forms import read_form
from mockfiles.http.recording import note_form
from mockfiles.http.render import bytes_response, json_response
from mockfiles.model import not_an_integer, parse_decimal
from mockfiles.rate import RateLimiter
from mockfiles.store import LIST_LIMIT_DEFAULT, FileStore
from mockfiles.uploads import UploadStore


@dataclass(frozen=True)
class Caller:
    """Who is asking: the key they presented and the organization and project it acts for."""

    api_key: str
    organization: str
    project: str


@dataclass(frozen=True)
class Context:
    """What a view may use: the fake's state and who is calling."""

    store: FileStore
    caller: Caller
    rates: RateLimiter
    uploads: UploadStore
    batches: BatchStore


View = Callable[[Context, Request, dict[str, str]], Response]


def create_file(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    limits = ctx.store.limits
    ctx.rates.take(ctx.caller.api_key, limits.uploads_per_minute, ctx.caller.organization)
    form = read_form(
        request, keep_files=("file",), bound=ctx.store.upload_bound(ctx.caller.project)
    )
    note_form(request, form, "file")
    upload = form.files.get("file")
    if upload is None or not upload.filename:
        raise RequiredProperty("file")
    purpose = form.fields.get("purpose")
    if purpose is None:
        raise RequiredProperty("purpose")
    expires_after = {
        key: form.fields[f"expires_after[{key}]"]
        for key in ("anchor", "seconds")
        if f"expires_after[{key}]" in form.fields
    }
    created = ctx.store.create(
        ctx.caller.project,
        filename=upload.filename,
        purpose=purpose,
        content=upload.content,
        expires_after=expires_after or None,
    )
    return json_response(created.to_dict())


def list_files(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    query = request.args
    page = ctx.store.list(
        ctx.caller.project,
        purpose=query.get("purpose"),
        limit=_integer(query.get("limit"), "limit", LIST_LIMIT_DEFAULT),
        order=query.get("order", "desc"),
        after=query.get("after"),
    )
    return json_response(page.to_dict())


def retrieve_file(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    return json_response(ctx.store.retrieve(ctx.caller.project, args["file_id"]).to_dict())


def delete_file(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    deleted = ctx.store.delete(ctx.caller.project, args["file_id"])
    # Key order of the real answer.
    return json_response({"object": "file", "deleted": True, "id": deleted.id})


def file_content(ctx: Context, request: Request, args: dict[str, str]) -> Response:
    file, content = ctx.store.content(ctx.caller.project, args["file_id"])
    return bytes_response(content, file.bytes, file.filename)


def _integer(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    value = parse_decimal(raw, max_length=100)
    if value is None:
        raise InvalidRequest(f"{not_an_integer(raw)} - {name!r}", param=name)
    return value


#: Operation name → view. The same names are the routes' endpoints, the journal's operations
#: and the fault targets.
VIEWS: dict[str, View] = {
    "files.create": create_file,
    "files.list": list_files,
    "files.retrieve": retrieve_file,
    "files.delete": delete_file,
    "files.content": file_content,
}
