"""One check's session against a target: an SDK client and a raw HTTP client that record every
exchange, remember what they created, and delete exactly that afterwards.

Every request of a check goes through one recording transport, so the SDK's calls and the raw
ones are recorded alike (for the fidelity diff), and every File or Upload a creation answer
names is remembered for clean-up without the check having to say so: clean-up can only touch
ids this session's own creation requests were answered with.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from mockfiles.client import sdk_httpx

if TYPE_CHECKING:
    from openai import OpenAI

    from mockfiles.contract.targets import Target

#: The answer headers the official SDKs read, or that say how an answer may be handled:
#: compared by presence; those in ``COMPARED_HEADER_VALUES`` by value too.
SDK_HEADERS = (
    "x-request-id",
    "openai-version",
    "openai-processing-ms",
    "openai-organization",
    "openai-project",
    "content-type",
    "retry-after",
    "retry-after-ms",
    "x-should-retry",
)
COMPARED_HEADER_VALUES = ("openai-version", "content-type", "x-should-retry")

#: Ids that differ between two targets by nature; named by order of appearance instead.
ID_PATTERN = re.compile(
    r"\b(?:file-[A-Za-z0-9]+|upload_[A-Za-z0-9]+|part_[A-Za-z0-9]+|batch_req_[A-Za-z0-9]+"
    r"|batch_[A-Za-z0-9]+)(?![A-Za-z0-9])"  # not \b: a file may be named batch_<id>_output
)

#: Bodies longer than this are recorded by length only (file downloads).
_KEPT_TEXT = 4096


@dataclass
class Exchange:
    """One request and its answer, with ids replaced by names (``{file1}``) so that the same
    exchange against two targets reads the same."""

    request: str
    status: int | None
    headers: dict[str, str]
    body: Any
    ignore: list[str] = field(default_factory=list)
    error: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Exchange:
        return cls(**data)


class IdNames:
    """Names ids by kind and order of first appearance: ``file-abc`` → ``{file1}``."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}
        self._counts: dict[str, int] = {}

    def name(self, text: str) -> str:
        return ID_PATTERN.sub(lambda match: self._name_of(match.group(0)), text)

    def _name_of(self, value: str) -> str:
        if value not in self._names:
            kind = re.split(r"[-_]", value, maxsplit=1)[0]
            self._counts[kind] = self._counts.get(kind, 0) + 1
            self._names[value] = f"{{{kind}{self._counts[kind]}}}"
        return self._names[value]

    def named(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.name(value)
        if isinstance(value, list):
            return [self.named(item) for item in value]
        if isinstance(value, dict):
            return {key: self.named(item) for key, item in value.items()}
        return value


@dataclass
class Created:
    """What a session's own creation requests were answered with: all clean-up may touch."""

    files: list[str] = field(default_factory=list)
    uploads: list[str] = field(default_factory=list)
    #: Batches cannot be deleted: clean-up cancels the unfinished ones and deletes their
    #: output and error files (``clean_up_batch``).
    batches: list[str] = field(default_factory=list)

    def note(self, method: str, path: str, status: int, body: Any) -> None:
        if method != "POST" or status != 200 or not isinstance(body, dict):
            return
        if path.endswith("/files") and body.get("object") == "file":
            self.files.append(str(body["id"]))
        elif path.endswith("/batches") and body.get("object") == "batch":
            self.batches.append(str(body["id"]))
        elif path.endswith("/uploads") and body.get("object") == "upload":
            self.uploads.append(str(body["id"]))
        elif path.endswith("/complete") and isinstance(body.get("file"), dict):
            self.files.append(str(body["file"]["id"]))


#: Statuses a batch moves on from no more.
FINISHED_BATCH = frozenset({"completed", "failed", "expired", "cancelled"})


def clean_up_batch(request: Callable[[str, str], Any], batch_id: str) -> None:
    """Cancel a batch this session created unless it is finished (or cancelling already), and
    delete the output and error files it has by now. ``request(method, path)`` sends one
    request relative to the API's base URL. Files a batch writes later (a real cancellation
    takes about ten minutes) cannot be deleted now: they expire 30 days after they are written.
    """
    answer = request("GET", f"batches/{batch_id}")
    if answer.status_code != 200:
        return
    batch = answer.json()
    if batch.get("status") not in (*FINISHED_BATCH, "cancelling"):
        cancelled = request("POST", f"batches/{batch_id}/cancel")
        if cancelled.status_code == 200:
            batch = cancelled.json()
    for key in ("output_file_id", "error_file_id"):
        if isinstance(batch.get(key), str):
            request("DELETE", f"files/{batch[key]}")


def recording_transport(inner: Any, record: Callable[[Any, Any, bytes | None], None]) -> Any:
    """An httpx transport that hands requests to ``inner`` and records each answer, read in
    full (contract exchanges are tiny), before the client sees it."""
    httpx = sdk_httpx()

    class RecordingTransport(httpx.BaseTransport):  # type: ignore[misc,name-defined]
        def handle_request(self, request: Any) -> Any:
            try:
                response = inner.handle_request(request)
                content = response.read()
            except Exception as error:
                record(request, error, None)
                raise
            record(request, response, content)
            # Decoded already: the copy must not claim an encoding or a length it lost.
            headers = [
                (name, value)
                for name, value in response.headers.multi_items()
                if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
            ]
            return httpx.Response(
                response.status_code, headers=headers, content=content, request=request
            )

        def close(self) -> None:
            pass  # the inner transport belongs to whoever made it

    return RecordingTransport()


class Clients:
    """A target's clients, made once per run (building an SDK client costs tens of ms) and
    lent to one session at a time: the recording transport records into the current one."""

    def __init__(self, target: Target) -> None:
        import openai

        httpx = sdk_httpx()
        self.sink: Callable[[Any, Any, bytes | None], None] | None = None
        self._inner = target.transport()
        transport = recording_transport(self._inner, self._record)
        headers = {"Authorization": f"Bearer {target.api_key}"}
        self.http = httpx.Client(base_url=target.base_url, headers=headers, transport=transport)
        self.sdk: OpenAI = openai.OpenAI(
            api_key=target.api_key,
            base_url=target.base_url,
            max_retries=0,
            _strict_response_validation=True,
            http_client=openai.DefaultHttpxClient(transport=transport),
        )
        # The SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from the shell when given None; the
        # raw client sends neither, and both must act in the key's own project.
        self.sdk.organization = None
        self.sdk.project = None
        # Clean-up and the control plane go around the recorder: not part of any exchange.
        self.quiet = httpx.Client(base_url=target.base_url, headers=headers, transport=self._inner)

    def _record(self, request: Any, response: Any, content: bytes | None) -> None:
        if self.sink is not None:
            self.sink(request, response, content)

    def close(self) -> None:
        self.sdk.close()
        self.http.close()
        self.quiet.close()
        self._inner.close()


class Session:
    """A check's clients against one target. Use as a context manager: on the way out (also
    on failure or Ctrl+C) every File and pending Upload it created is deleted or cancelled,
    and every Batch it created is cancelled unless finished, its output and error files
    deleted."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self.exchanges: list[Exchange] = []
        self.created = Created()
        self._names = IdNames()
        self._ignore: list[str] = []
        clients = target.clients()
        clients.sink = self._record
        #: Raw HTTP, for what the SDK hides (headers, exact bodies, requests it never sends).
        self.http = clients.http
        #: The official SDK, strict: an answer its models would not accept fails the check.
        self.sdk = clients.sdk
        self._quiet = clients.quiet
        self._clients = clients

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def ignoring(self, *paths: str) -> Iterator[None]:
        """Exchanges made inside may differ at these paths without it being a difference
        (``body.has_more`` on a live account holding other files)."""
        self._ignore.extend(paths)
        try:
            yield
        finally:
            del self._ignore[-len(paths) :]

    def control(self, method: str, name: str, body: object = None) -> Any:
        """Call the fake's control plane (``/_mockfiles/<name>``); the check must have
        declared that it needs it. Fails loudly on an error answer."""
        root = self.target.base_url.removesuffix("/v1")
        response = self._quiet.request(method, f"{root}/_mockfiles/{name}", json=body)
        if response.status_code != 200:
            raise AssertionError(f"control {method} {name} answered {response.status_code}")
        return response.json()

    def close(self) -> None:
        """Cancel the unfinished Batches this session created and delete their output and
        error files, cancel its pending Uploads, delete its Files, and touch nothing else.
        Errors are swallowed (a file a check already deleted answers 404)."""
        try:
            for batch_id in self.created.batches:
                with contextlib.suppress(Exception):  # clean-up goes on whatever one meets
                    clean_up_batch(self._quiet.request, batch_id)
            for upload_id in self.created.uploads:
                self._try("POST", f"uploads/{upload_id}/cancel")
            for file_id in self.created.files:
                self._try("DELETE", f"files/{file_id}")
        finally:
            self._clients.sink = None

    def _try(self, method: str, path: str) -> None:
        with contextlib.suppress(Exception):  # clean-up goes on whatever one request meets
            self._quiet.request(method, path)

    def _record(self, request: Any, response: Any, content: bytes | None) -> None:
        path = request.url.path
        base_path = self.target.base_url.split("://", 1)[-1].partition("/")[2]
        shown = "/" + path.removeprefix("/" + base_path).lstrip("/")
        query = request.url.query.decode() if request.url.query else ""
        line = self._names.name(f"{request.method} {shown}" + (f"?{query}" if query else ""))
        if content is None:
            exchange = Exchange(line, None, {}, None, list(self._ignore), type(response).__name__)
            self.exchanges.append(exchange)
            return
        body = _decoded(response.headers.get("content-type", ""), content)
        self.created.note(request.method, path, response.status_code, body)
        headers = {name: response.headers[name] for name in SDK_HEADERS if name in response.headers}
        self.exchanges.append(
            Exchange(
                line,
                response.status_code,
                headers,
                self._names.named(body),
                list(self._ignore),
            )
        )


def _decoded(content_type: str, content: bytes) -> Any:
    if content_type.startswith("application/json"):
        try:
            return json.loads(content)
        except ValueError:
            pass
    if len(content) <= _KEPT_TEXT:
        return {"<bytes>": len(content), "<text>": content.decode("utf-8", "replace")}
    return {"<bytes>": len(content)}
