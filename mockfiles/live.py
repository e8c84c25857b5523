"""The user's own tests against the live API: ``pytest --mockfiles-target=live``.

The ``mockfiles`` fixture then hands out ``LiveFiles`` instead of a fake: its clients, and
``OPENAI_BASE_URL`` for code that builds its own client, reach the real API (``--mockfiles-live-
url``, by default https://api.openai.com/v1) through a local pass-through that notes every File,
Upload and Batch the test creates. After the test, exactly those are deleted (or cancelled;
batches cannot be deleted: the unfinished ones are cancelled and the output and error files
they have are deleted): what the test did not create is never touched, even in the same
project. The fake-only controls
(clock, faults, limits, keys, ``add_file``, ``reset``, the journal) skip the test with a reason;
the read helpers (``files()``, ``content()``, ``usage()``) ask the real API about the test's
own files.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from werkzeug.serving import WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from mockfiles.client import sdk_httpx
from mockfiles.contract.session import Created, clean_up_batch
from mockfiles.contract.targets import DEFAULT_LIVE_URL
from mockfiles.guard import GUARD
from mockfiles.store import Usage

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment
    from openai import AsyncOpenAI, OpenAI

#: Headers that belong to one hop, not to the request or answer passed on.
_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "host", "content-length", "accept-encoding"}
)
#: The request headers that say whom a request acts for. Reads and clean-up of what a request
#: created present the same ones: a File made in the project ``OPENAI_PROJECT_ID`` (or
#: ``project=``) names is not found in the key's default project.
_SCOPE_HEADERS = frozenset({"authorization", "openai-organization", "openai-project"})
#: Marker options that configure a fake: a test that sets one tests the fake, not the API.
_FAKE_OPTIONS = (
    "now",
    "limits",
    "keys",
    "faults",
    "chaos",
    "organization",
    "project",
    "batch_timing",
    "batch_responder",
)


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Quiet: a test's output is no place for an access log."""


class PassThrough:
    """A local HTTP server that forwards every request to the live API unchanged and notes
    the Files, Uploads and Batches its answers say were created."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.created = Created()
        #: The scope headers of the request that created each id (see ``_SCOPE_HEADERS``).
        self.scopes: dict[str, dict[str, str]] = {}
        self._noting = threading.Lock()
        self._client_made: Any = None
        self._server = make_server(
            "127.0.0.1", 0, self._wsgi, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/v1"

    @property
    def _client(self) -> Any:
        # Made on the first request: loading the certificates costs tens of ms, and a test
        # that skips on a fake-only control never sends one.
        if self._client_made is None:
            self._client_made = sdk_httpx().Client(timeout=600)
        return self._client_made

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()
        if self._client_made is not None:
            self._client_made.close()

    def _wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> list[bytes]:
        request = Request(environ)
        path = request.path.removeprefix("/v1")
        query = environ.get("QUERY_STRING", "")
        answer = self._client.request(
            request.method,
            self.upstream + path + (f"?{query}" if query else ""),
            headers=[(k, v) for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS],
            content=request.get_data(),
        )
        content = answer.content
        if answer.headers.get("content-type", "").startswith("application/json"):
            with contextlib.suppress(ValueError):  # not JSON after all: nothing created
                self._note(request, path, answer.status_code, json.loads(content))
        headers = [
            (k, v)
            for k, v in answer.headers.multi_items()
            if k.lower() not in _HOP_HEADERS and k.lower() != "content-encoding"
        ]
        start_response(f"{answer.status_code} {answer.reason_phrase}", headers)
        return [content]

    def _note(self, request: Request, path: str, status: int, body: Any) -> None:
        scope = {k: v for k, v in request.headers.items() if k.lower() in _SCOPE_HEADERS}
        created = self.created
        with self._noting:
            known = {*created.files, *created.uploads, *created.batches}
            created.note(request.method, path, status, body)
            for made in (*created.files, *created.uploads, *created.batches):
                if made not in known:
                    self.scopes[made] = scope


class LiveFiles:
    """What the ``mockfiles`` fixture hands out in live mode (see the module's docstring)."""

    def __init__(self, upstream: str, api_key: str, skip: Callable[[str], NoReturn]) -> None:
        self.api_key = api_key
        self.upstream = upstream
        self._skip = skip
        self._pass = PassThrough(upstream)
        self._clients: list[OpenAI] = []
        self._reader_made: Any = None

    @property
    def url(self) -> str:
        """The local pass-through to the live API, ending in ``/v1``."""
        return self._pass.url

    def client(
        self,
        *,
        in_process: bool | None = None,
        strict: bool = True,
        max_retries: int = 0,
        **kwargs: Any,
    ) -> OpenAI:
        """An official client for the live API (through the pass-through; never in-process)."""
        import openai

        client = openai.OpenAI(
            api_key=kwargs.pop("api_key", self.api_key),
            base_url=self.url,
            max_retries=max_retries,
            _strict_response_validation=strict,
            **kwargs,
        )
        self._clients.append(client)
        return client

    def async_client(
        self,
        *,
        in_process: bool | None = None,
        strict: bool = True,
        max_retries: int = 0,
        **kwargs: Any,
    ) -> AsyncOpenAI:
        import openai

        return openai.AsyncOpenAI(
            api_key=kwargs.pop("api_key", self.api_key),
            base_url=self.url,
            max_retries=max_retries,
            _strict_response_validation=strict,
            **kwargs,
        )

    # -- read helpers: the real API, about this test's own files --------------------------

    def files(self, project: str | None = None) -> list[Any]:
        """The files this test created that still exist, oldest first (the live account's
        other files are not this test's business)."""
        self._no_project(project)
        client = self._reader
        found = []
        for file_id in self._pass.created.files:
            answer = client.get(f"{self.upstream}/files/{file_id}", headers=self._scope(file_id))
            if answer.status_code == 200:
                found.append(answer.json())
        import openai.types

        return [openai.types.FileObject.construct(**data) for data in found]

    def content(self, file_id: str) -> bytes:
        answer = self._reader.get(
            f"{self.upstream}/files/{file_id}/content", headers=self._scope(file_id)
        )
        if answer.status_code == 400 and "Not allowed to download" in answer.text:
            self._skip(f"mockfiles live: the live API does not hand back this file: {answer.text}")
        if answer.status_code != 200:
            raise KeyError(file_id)
        return bytes(answer.content)

    def usage(self, project: str | None = None) -> Usage:
        """Bytes and count of the files this test created that still exist (a live project's
        whole usage is not computable from the API)."""
        files = self.files(project)
        return Usage(sum(int(f.bytes) for f in files), len(files))

    # -- nothing to check, nothing to close but the clients -------------------------------

    @property
    def bugs(self) -> list[Any]:
        """Always empty: there is no fake to have a bug."""
        return []

    def check(self) -> None:
        """The live API has no fake to fail."""

    def close(self) -> None:
        """Close the clients, then delete what the test created, and only that."""
        for client in self._clients:
            client.close()
        created = self._pass.created
        try:
            # Batches cannot be deleted: the unfinished ones are cancelled, and the output and
            # error files they have are deleted before the input files.
            for batch_id in created.batches:
                request = partial(self._absolute_request, headers=self._scope(batch_id))
                _quietly(partial(clean_up_batch, request, batch_id))
            for upload_id in created.uploads:
                cancel = f"{self.upstream}/uploads/{upload_id}/cancel"
                _quietly(partial(self._reader.post, cancel, headers=self._scope(upload_id)))
            for file_id in created.files:
                delete = f"{self.upstream}/files/{file_id}"
                _quietly(partial(self._reader.delete, delete, headers=self._scope(file_id)))
        finally:
            if self._reader_made is not None:
                self._reader_made.close()
            self._pass.close()

    # -- the fake-only controls skip ----------------------------------------------------

    def _fake_only(self, what: str) -> NoReturn:
        self._skip(
            f"mockfiles live: {what} is a control of the fake; the live API has none "
            "(this test runs only against the fake)"
        )

    @property
    def clock(self) -> Any:
        self._fake_only("the clock")

    @property
    def faults(self) -> Any:
        self._fake_only("fault injection")

    @property
    def limits(self) -> Any:
        self._fake_only("limits")

    @limits.setter
    def limits(self, value: Any) -> None:
        self._fake_only("limits")

    @property
    def keys(self) -> Any:
        self._fake_only("keys")

    @property
    def store(self) -> Any:
        self._fake_only("the store")

    @property
    def uploads(self) -> Any:
        self._fake_only("the uploads store")

    @property
    def batches(self) -> Any:
        self._fake_only("the batches' responders and timing")

    @property
    def journal(self) -> Any:
        self._fake_only("the journal")

    def add_key(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._fake_only("add_key()")

    def add_file(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._fake_only("add_file()")

    def reset(self) -> NoReturn:
        self._fake_only("reset()")

    def freeze(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._fake_only("freeze()")

    def calls(self, operation: str | None = None) -> NoReturn:
        self._fake_only("the journal (calls())")

    def assert_called(self, *args: Any, **kwargs: Any) -> NoReturn:
        self._fake_only("the journal (assert_called())")

    def _absolute_request(
        self, method: str, path: str, headers: Mapping[str, str] | None = None
    ) -> Any:
        return self._reader.request(method, f"{self.upstream}/{path}", headers=headers)

    def _scope(self, made_id: str) -> dict[str, str]:
        """The key, organization and project the request that created ``made_id`` sent."""
        return self._pass.scopes.get(made_id, {})

    @property
    def _reader(self) -> Any:
        """Reads and clean-up go straight to the live API, past the pass-through."""
        if self._reader_made is None:
            self._reader_made = sdk_httpx().Client(
                headers={"Authorization": f"Bearer {self.api_key}"}, timeout=60
            )
        return self._reader_made

    def _no_project(self, project: str | None) -> None:
        if project is not None:
            self._skip("mockfiles live: files(project=...) names the fake's projects")


def _quietly(call: Callable[[], object]) -> None:
    with contextlib.suppress(Exception):  # clean-up goes on whatever one request meets
        call()


def live_fixture(request: Any, options: Mapping[str, Any]) -> Iterator[Any]:
    """The ``mockfiles`` fixture's body under ``--mockfiles-target=live``."""
    import pytest

    key = os.environ.get("OPENAI_API_KEY", "")
    if not key:
        pytest.exit(
            "--mockfiles-target=live needs OPENAI_API_KEY: nothing was sent",
            returncode=pytest.ExitCode.USAGE_ERROR,
        )
    configured = sorted(name for name in _FAKE_OPTIONS if options.get(name))
    if configured:
        pytest.skip(f"mockfiles live: the test configures the fake ({', '.join(configured)})")
    upstream = request.config.getoption("mockfiles_live_url") or DEFAULT_LIVE_URL
    live = LiveFiles(upstream, key, pytest.skip)
    saved = os.environ.get("OPENAI_BASE_URL")
    os.environ["OPENAI_BASE_URL"] = live.url
    # The pass-through and its upstream are the fake's own traffic: respx lets them through,
    # as it does a served fake's.
    own = {_host_port(live.url), _host_port(upstream)}
    GUARD.fakes.update(own)
    try:
        yield live
    finally:
        if saved is None:
            os.environ.pop("OPENAI_BASE_URL", None)
        else:
            os.environ["OPENAI_BASE_URL"] = saved
        try:
            live.close()  # its clean-up is the fake's own traffic too
        finally:
            GUARD.fakes.difference_update(own)


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"{parts.hostname}:{port}"
