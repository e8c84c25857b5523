"""The WSGI application: route → authenticate → fault → view → drain → stamp → record.

Every answer is JSON in the real API's shape (or a file's raw bytes): werkzeug's own HTTP
errors are translated, and any other exception is a bug in the fake, answered as a JSON 500
and recorded so the test that caused it fails.
"""

from __future__ import annotations

import base64
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from werkzeug.exceptions import ClientDisconnected, HTTPException
from werkzeug.wrappers import Request, Response

from mockfiles.errors import (
    APIError,
    InternalServerError,
    InvalidRequest,
    InvalidURL,
    MissingAPIKey,
    UnreadableBody,
)
from mockfiles.faults import LATE_ANSWERS, Fault
from mockfiles.http.batch_views import BATCH_VIEWS
from mockfiles.http.control import CONTROL_VIEWS, guard
from mockfiles.http.recording import answer_details, cut, note_faulted_body, request_details
from mockfiles.http.render import error_response, stamp_headers
from mockfiles.http.routes import CONTROL_PREFIX, ROUTER
from mockfiles.http.upload_views import UPLOAD_VIEWS
from mockfiles.http.views import VIEWS, Caller, Context, View
from mockfiles.journal import Call
from mockfiles.state import Bug, FakeState

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

#: Every operation's view, by the operation's name.
OPERATION_VIEWS: dict[str, View] = {**VIEWS, **UPLOAD_VIEWS, **BATCH_VIEWS}

#: Set in the WSGI environ once the request body has been read to its end, so that the
#: server may keep the connection open for the next request.
BODY_DRAINED = "mockfiles.body_drained"

_DRAIN_SIZE = 64 * 1024


@dataclass(slots=True)
class Exchange:
    """One request on its way through ``FilesApp.respond``: what each step found out."""

    request: Request
    #: ``time.perf_counter()`` when the request reached the app.
    started: float
    #: 1 for a first try; the SDK's retries are 2, 3, ...
    attempt: int
    #: Who is asking; the fake's defaults until ``authenticate`` knows better.
    caller: Caller
    #: Whether ``caller`` came from the request (it did not if refused before that).
    known_caller: bool = False
    #: The path as the client wrote it (not percent-decoded), without the query.
    sent_path: str = ""
    #: The operation name (the journal's), ``"unknown"`` until routed, ``None`` for the
    #: control plane, which is not journaled.
    operation: str | None = "unknown"
    endpoint: str = ""
    args: dict[str, str] = field(default_factory=dict)
    fault: Fault | None = None
    error: APIError | None = None
    response: Response | None = None
    request_id: str = ""


class FilesApp:
    """The fake's HTTP face: a WSGI app over a ``FakeState``. Holds no state of its own; the
    bugs it finds in itself go to ``state.record_bug``."""

    def __init__(self, state: FakeState) -> None:
        self._state = state

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.respond(Request(environ))(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Answer one request: route → authenticate → fault → view, with one error boundary,
        then drain → stamp → record.

        Never raises but ``TransportFault``, which the serving layer (the socket server or the
        in-process transport) carries out.
        """
        exchange = self._begin(request)
        try:
            self._route(exchange)
            if exchange.operation is None:
                self._control(exchange)
            else:
                self._authenticate(exchange)
                self._fault(exchange)
                self._view(exchange)
        except Exception as raised:  # noqa: BLE001 - every failure is answered, in JSON
            self._refuse(exchange, raised)
        if _body_still_readable(exchange):
            self._drain(exchange.request)
        self._stamp(exchange)
        self._record(exchange)
        return self._deliver(exchange)

    # -- the steps, in order ---------------------------------------------------------------

    def _begin(self, request: Request) -> Exchange:
        state = self._state
        return Exchange(
            request=request,
            started=time.perf_counter(),
            attempt=_attempt(request),
            caller=Caller(api_key="", organization=state.organization, project=state.project),
        )

    def _route(self, exchange: Exchange) -> None:
        request = exchange.request
        sent = exchange.sent_path = request.environ[_SENT_PATH] = _path_as_sent(request)
        if sent.startswith("//"):
            # werkzeug's server folds a leading "//v1" into "/v1"; the route was not sent.
            raise InvalidURL(request.method, sent)
        path = request.path
        if path.startswith(CONTROL_PREFIX):
            exchange.operation = None  # the control plane is not journaled
            guard(self._state, request)
        matched = ROUTER.match(request.method, path)
        if matched is None:
            # Unknown paths, wrong methods and would-be redirects: the real API answers all of
            # them with the same 404.
            raise InvalidURL(request.method, sent)
        exchange.endpoint, exchange.args = matched
        if exchange.operation is not None:
            exchange.operation = exchange.endpoint

    def _control(self, exchange: Exchange) -> None:
        """A control-plane request (no key; ``guard`` has let it in)."""
        exchange.response = CONTROL_VIEWS[exchange.endpoint](self._state, exchange.request)

    def _authenticate(self, exchange: Exchange) -> None:
        request = exchange.request
        key = _bearer_key(request.headers.get("Authorization", ""))
        if not key:
            raise MissingAPIKey()
        state = self._state
        organization = _header_value(request, "OpenAI-Organization")
        project = _header_value(request, "OpenAI-Project")
        granted = state.keys.resolve(key, project or None, organization or None)
        if granted is not None:
            organization, project = granted
        exchange.caller = Caller(
            api_key=key,
            organization=organization or state.organization,
            project=project or state.project,
        )
        exchange.known_caller = True

    def _fault(self, exchange: Exchange) -> None:
        caller = exchange.caller
        fault = exchange.fault = self._state.faults.draw(
            exchange.endpoint, caller.project, caller.api_key, exchange.attempt, caller.organization
        )
        if fault is not None and fault.error is not None:
            note_faulted_body(exchange.endpoint, exchange.request)
            raise fault.error

    def _view(self, exchange: Exchange) -> None:
        fault = exchange.fault
        if fault is not None and fault.transport in ("reset", "disconnect"):
            exchange.response = Response(status=200)  # never sent: the connection breaks first
            return
        state = self._state
        context = Context(
            store=state.store,
            caller=exchange.caller,
            rates=state.rates,
            uploads=state.uploads,
            batches=state.batches,
        )
        exchange.response = OPERATION_VIEWS[exchange.endpoint](
            context, exchange.request, exchange.args
        )

    def _refuse(self, exchange: Exchange, raised: Exception) -> None:
        """The error boundary: the answer to whatever a step raised."""
        if isinstance(raised, APIError):
            error: APIError = raised
        elif isinstance(raised, ClientDisconnected):
            error = UnreadableBody("The request body ended before its Content-Length.")
        elif isinstance(raised, HTTPException):
            # werkzeug's own refusals (a body over a size limit and the like), in JSON.
            error = InvalidRequest(raised.description or raised.name, status=raised.code or 400)
        else:  # the fake's own bug: answer, then report
            self._record_bug(exchange.request, raised)
            error = InternalServerError()
        exchange.error = error
        try:
            exchange.response = error_response(error)
        except Exception as failed:  # noqa: BLE001 - e.g. a header value that cannot be sent
            self._record_bug(exchange.request, failed)
            exchange.response = error_response(InternalServerError())

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

    def _stamp(self, exchange: Exchange) -> None:
        """The headers every answer carries (see ``render.stamp_headers``)."""
        request_id = exchange.request_id = self._state.ids.request_id()
        response = exchange.response
        assert response is not None  # every path above sets one
        try:
            stamp_headers(
                response,
                request_id=request_id,
                processing_ms=int((time.perf_counter() - exchange.started) * 1000),
                organization=exchange.caller.organization,
                project=exchange.caller.project,
                error=exchange.error,
                control=exchange.operation is None,
            )
        except Exception as raised:  # noqa: BLE001 - e.g. a default that is no header value
            self._record_bug(exchange.request, raised)
            response = exchange.response = error_response(InternalServerError())
            response.headers["x-request-id"] = request_id

    def _record(self, exchange: Exchange) -> None:
        """The journal's record of this call (the control plane's are not kept)."""
        if exchange.operation is None:
            return
        fault, response = exchange.fault, exchange.response
        assert response is not None
        request = exchange.request
        answered = fault is None or fault.transport in (None, *LATE_ANSWERS)
        self._state.journal.record(
            Call(
                operation=exchange.operation,
                method=request.method,
                path=cut(exchange.sent_path or request.path),
                project=exchange.caller.project if exchange.known_caller else None,
                status=response.status_code if answered else None,
                fault=fault.name if fault else None,
                attempt=exchange.attempt,
                started=exchange.started,
                duration_ms=(time.perf_counter() - exchange.started) * 1000
                + (fault.late_ms if fault else 0),
                request_id=exchange.request_id,
                injected_ms=fault.held_ms if fault else None,
                **request_details(request),
                **answer_details(exchange.operation, request, response, exchange.error),
            )
        )

    @staticmethod
    def _deliver(exchange: Exchange) -> Response:
        """The answer, or for a fault of the connection the instruction to break it so."""
        fault, response = exchange.fault, exchange.response
        assert response is not None
        if fault is not None and fault.transport is not None:
            raise TransportFault(fault.transport, fault.seconds, response)
        return response

    def _record_bug(self, request: Request, error: BaseException) -> None:
        self._state.record_bug(
            Bug(
                method=request.method,
                path=request.full_path.rstrip("?"),
                error=error,
                traceback="".join(traceback.format_exception(error)),
            )
        )


def _body_still_readable(exchange: Exchange) -> bool:
    """Whether the rest of the body can be read: not after it broke off, nor when a ``reset``
    fault is about to drop the connection."""
    fault = exchange.fault
    return not isinstance(exchange.error, UnreadableBody) and not (
        fault is not None and fault.transport == "reset"
    )


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
