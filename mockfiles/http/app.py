"""The WSGI application: route → authenticate → view → answer, with one error boundary.

Every answer is JSON in the real API's shape (or a file's raw bytes): werkzeug's own HTTP
errors are translated, and any other exception is a bug in the fake, answered as a JSON 500
and recorded so the test that caused it fails.
"""

from __future__ import annotations

import base64
import threading
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from mockfiles.errors import (
    APIError,
    InternalServerError,
    InvalidRequest,
    InvalidURL,
    MissingAPIKey,
    UnreadableBody,
)
from mockfiles.faults import Fault
from mockfiles.http.control import CONTROL_VIEWS
from mockfiles.http.render import error_response, stamp_headers
from mockfiles.http.upload_views import UPLOAD_VIEWS
from mockfiles.http.views import VIEWS, Caller, Context, View
from mockfiles.journal import Call

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from mockfiles.facade import MockFiles

#: The routes; each endpoint is an operation name (see ``views.VIEWS``) or a control endpoint
#: (``control.*``, see ``control.CONTROL_VIEWS``). Slashes are taken literally: ``/v1/files/``
#: and ``//v1/files`` are unknown URLs, not redirects.
URL_MAP = Map(
    [
        Rule("/v1/files", endpoint="files.create", methods=["POST"]),
        Rule("/v1/files", endpoint="files.list", methods=["GET"]),
        Rule("/v1/files/<file_id>", endpoint="files.retrieve", methods=["GET"]),
        Rule("/v1/files/<file_id>", endpoint="files.delete", methods=["DELETE"]),
        Rule("/v1/files/<file_id>/content", endpoint="files.content", methods=["GET"]),
        Rule("/v1/uploads", endpoint="uploads.create", methods=["POST"]),
        Rule("/v1/uploads/<upload_id>/parts", endpoint="uploads.parts.create", methods=["POST"]),
        Rule("/v1/uploads/<upload_id>/complete", endpoint="uploads.complete", methods=["POST"]),
        Rule("/v1/uploads/<upload_id>/cancel", endpoint="uploads.cancel", methods=["POST"]),
        Rule("/_mockfiles/clock", endpoint="control.clock", methods=["GET"]),
        Rule("/_mockfiles/clock", endpoint="control.clock.move", methods=["POST"]),
        Rule("/_mockfiles/reset", endpoint="control.reset", methods=["POST"]),
        Rule("/_mockfiles/limits", endpoint="control.limits", methods=["GET"]),
        Rule("/_mockfiles/limits", endpoint="control.limits.change", methods=["POST"]),
        Rule("/_mockfiles/keys", endpoint="control.keys", methods=["GET"]),
        Rule("/_mockfiles/keys", endpoint="control.keys.add", methods=["POST"]),
        Rule("/_mockfiles/usage", endpoint="control.usage", methods=["GET"]),
        Rule("/_mockfiles/faults", endpoint="control.faults", methods=["GET"]),
        Rule("/_mockfiles/faults", endpoint="control.faults.add", methods=["POST"]),
        Rule("/_mockfiles/faults", endpoint="control.faults.clear", methods=["DELETE"]),
        Rule("/_mockfiles/state", endpoint="control.state", methods=["GET"]),
        Rule("/_mockfiles/journal", endpoint="control.journal", methods=["GET"]),
        Rule("/_mockfiles/journal", endpoint="control.journal.clear", methods=["DELETE"]),
    ],
    merge_slashes=False,
)

#: Every operation's view, by the operation's name.
OPERATION_VIEWS: dict[str, View] = {**VIEWS, **UPLOAD_VIEWS}

#: Set in the WSGI environ once the request body has been read to its end, so that the
#: server may keep the connection open for the next request.
BODY_DRAINED = "mockfiles.body_drained"

_DRAIN_SIZE = 64 * 1024


@dataclass(frozen=True)
class Bug:
    """An exception raised inside the fake while it answered a request."""

    method: str
    path: str
    error: BaseException
    traceback: str

    def describe(self) -> str:
        return f"mockfiles failed on {self.method} {self.path}:\n{self.traceback}"


class FilesApp:
    """The fake's HTTP face. Holds no state of its own beside the bugs it has seen."""

    def __init__(self, mock: MockFiles) -> None:
        self._mock = mock
        self._bugs: list[Bug] = []
        self._bugs_lock = threading.Lock()

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    @property
    def bugs(self) -> list[Bug]:
        with self._bugs_lock:
            return list(self._bugs)

    def clear_bugs(self) -> None:
        with self._bugs_lock:
            self._bugs.clear()

    def respond(self, request: Request) -> Response:
        """Answer one request: route, authenticate, take a fault (if a rule fires), run the
        operation, record the call in the journal.

        Never raises but ``TransportFault``, which the serving layer (the socket server or the
        in-process transport) carries out.
        """
        started = time.perf_counter()
        mock = self._mock
        caller = Caller(api_key="", organization=mock.organization, project=mock.project)
        error: APIError | None = None
        fault: Fault | None = None
        operation: str | None = "unknown"
        known_caller = False
        attempt = _attempt(request)
        try:
            endpoint, args = self._route(request)
            if endpoint in CONTROL_VIEWS:  # the control plane needs no key, and is not journaled
                operation = None
                response = CONTROL_VIEWS[endpoint](mock, request)
            else:
                operation = endpoint
                caller = self._authenticate(request)
                known_caller = True
                fault = mock.faults.draw(
                    endpoint, caller.project, caller.api_key, attempt, caller.organization
                )
                if fault is not None and fault.error is not None:
                    raise fault.error
                if fault is not None and fault.transport in ("reset", "disconnect"):
                    response = Response(status=200)  # never sent: the connection breaks first
                else:
                    context = Context(
                        store=mock.store, caller=caller, rates=mock.rates, uploads=mock.uploads
                    )
                    response = OPERATION_VIEWS[endpoint](context, request, args)
        except APIError as raised:
            error = raised
        except ClientDisconnected:
            error = UnreadableBody("The request body ended before its Content-Length.")
        except HTTPException as raised:
            # werkzeug's own refusals (a body over a size limit and the like), in JSON.
            error = InvalidRequest(raised.description or raised.name, status=raised.code or 400)
        except Exception as raised:  # noqa: BLE001 - the fake's own bug: answer, then report
            self._record_bug(request, raised)
            error = InternalServerError()
        if error is not None:
            try:
                response = error_response(error)
            except Exception as raised:  # noqa: BLE001 - e.g. a message that is no JSON
                self._record_bug(request, raised)
                response = error_response(InternalServerError())
        if not isinstance(error, UnreadableBody) and not (fault and fault.transport == "reset"):
            self._drain(request)
        request_id = mock.ids.request_id()
        try:
            stamp_headers(
                response,
                request_id=request_id,
                processing_ms=int((time.perf_counter() - started) * 1000),
                organization=caller.organization,
                project=caller.project,
                error=error,
            )
        except Exception as raised:  # noqa: BLE001 - e.g. a default that is no header value
            self._record_bug(request, raised)
            response = error_response(InternalServerError())
            response.headers["x-request-id"] = request_id
        if operation is not None:
            answered = fault is None or fault.transport in (None, "delay", "slow_body")
            mock.journal.record(
                Call(
                    operation=operation,
                    method=request.method,
                    path=request.environ.get(_SENT_PATH) or request.path,
                    project=caller.project if known_caller else None,
                    status=response.status_code if answered else None,
                    fault=fault.name if fault else None,
                    attempt=attempt,
                    started=started,
                    duration_ms=(time.perf_counter() - started) * 1000,
                    request_id=request_id,
                )
            )
        if fault is not None and fault.transport is not None:
            raise TransportFault(fault.transport, fault.seconds, response)
        return response

    def _route(self, request: Request) -> tuple[str, dict[str, str]]:
        sent = request.environ[_SENT_PATH] = _path_as_sent(request)
        adapter = URL_MAP.bind_to_environ(request.environ)
        try:
            if sent.startswith("//"):
                # werkzeug's server folds a leading "//v1" into "/v1"; the route was not sent.
                raise InvalidURL(request.method, sent)
            endpoint, args = adapter.match()
        except HTTPException:
            # Unknown paths, wrong methods and would-be redirects: the real API answers all of
            # them with the same 404.
            raise InvalidURL(request.method, sent) from None
        return str(endpoint), {name: str(value) for name, value in args.items()}

    def _authenticate(self, request: Request) -> Caller:
        key = _bearer_key(request.headers.get("Authorization", ""))
        if not key:
            raise MissingAPIKey()
        mock = self._mock
        organization = _header_value(request, "OpenAI-Organization")
        project = _header_value(request, "OpenAI-Project")
        granted = mock.keys.resolve(key, project or None, organization or None)
        if granted is not None:
            organization, project = granted
        return Caller(
            api_key=key,
            organization=organization or mock.organization,
            project=project or mock.project,
        )

    def _record_bug(self, request: Request, error: BaseException) -> None:
        bug = Bug(
            method=request.method,
            path=request.full_path.rstrip("?"),
            error=error,
            traceback="".join(traceback.format_exception(error)),
        )
        with self._bugs_lock:
            self._bugs.append(bug)

    @staticmethod
    def _drain(request: Request) -> None:
        """Read what is left of the body, so the client sees the answer (not a reset socket)
        and the connection can serve its next request. Nothing read here is kept."""
        try:
            stream = request.stream
            if getattr(stream, "drains_after_answer", False):
                return  # the socket server's body: it reads the rest itself, within bounds
            # read() rather than a reused buffer: an empty body then costs no allocation.
            while not getattr(stream, "is_exhausted", False) and stream.read(_DRAIN_SIZE):
                pass
        except (ClientDisconnected, OSError, ValueError):
            return
        request.environ[BODY_DRAINED] = True


class TransportFault(Exception):  # noqa: N818 - an instruction to the server, not an error
    """Raised out of the app for a fault of the connection (``reset``, ``disconnect``,
    ``truncate``, ``delay``, ``slow_body``): the socket server breaks its connection that
    way, the in-process transport raises the exception the HTTP client would. ``response`` is
    the answer the operation produced (for the faults that deliver or cut one)."""

    def __init__(self, kind: str, seconds: float, response: Response) -> None:
        super().__init__(kind)
        self.kind = kind
        self.seconds = seconds
        self.response = response


#: Where ``_route`` leaves the path as sent, for the journal.
_SENT_PATH = "mockfiles.sent_path"


def _attempt(request: Request) -> int:
    """1 for a first try; the SDKs count their retries in ``x-stainless-retry-count``."""
    raw = request.headers.get("x-stainless-retry-count", "0").strip()
    return int(raw) + 1 if raw.isdigit() and len(raw) < 6 else 1


def _header_value(request: Request, name: str) -> str:
    """A header's value with its whitespace folded: a value continued over several lines would
    otherwise carry a line break into the answer's headers."""
    return " ".join(request.headers.get(name, "").split())


def _path_as_sent(request: Request) -> str:
    """The path as the client wrote it (not percent-decoded), without the query."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if isinstance(raw, str) and raw.startswith("/"):
        return raw.partition("?")[0]
    return request.path


def _bearer_key(header: str) -> str:
    """The API key from ``Authorization``: ``Bearer <key>`` or, as the real API also takes,
    HTTP Basic with the key as the password."""
    scheme, _, value = header.strip().partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return value.strip()
    if scheme == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except ValueError:  # not base64 (or not ASCII at all), or not UTF-8 inside
            return ""
        return decoded.partition(":")[2]
    return ""
