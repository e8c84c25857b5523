"""``MockFiles``: one fake of the Files API (with Uploads and Batches): its state, its clock,
its HTTP app and its clients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mockfiles.batch_responses import Responder
from mockfiles.batches import BatchStore, BatchTiming
from mockfiles.clock import Clock, to_epoch
from mockfiles.faults import FaultPlan
from mockfiles.http.app import FilesApp
from mockfiles.ids import IdFactory
from mockfiles.journal import Call, Journal
from mockfiles.keys import KeyRing
from mockfiles.limits import Limits
from mockfiles.model import FileObject
from mockfiles.rate import RateLimiter
from mockfiles.state import Bug, FakeState, FileContent
from mockfiles.store import FileStore, Usage
from mockfiles.uploads import UploadStore

if TYPE_CHECKING:
    from openai import AsyncOpenAI, OpenAI

    from mockfiles.server import MockServer

DEFAULT_API_KEY = "sk-mockfiles-test-key"
DEFAULT_ORGANIZATION = "user-mockfiles"
DEFAULT_PROJECT = "proj_mockfiles"


class FakeBugError(AssertionError):
    """The fake raised an exception while answering a request: a bug in mockfiles (or in a
    test that patched it), never the client's fault."""


class MockFiles:
    """A fake of OpenAI's Files API, with its Uploads and Batches APIs.

    Keyword arguments (also accepted by ``@pytest.mark.mockfiles(...)``):

    ``seed``
        Seeds the ids (``file-…``), so a run's ids reproduce. Random when omitted.
    ``organization``, ``project``
        Whom requests act for when they send no ``OpenAI-Organization`` / ``OpenAI-Project``
        header; named in the ``openai-organization`` / ``openai-project`` answer headers.
    ``api_key``
        The key the clients handed out by ``client()`` present; by default the first of
        ``keys``, else ``sk-mockfiles-test-key`` (while no key is registered, any non-empty key
        is accepted).
    ``now``
        Where the fake's clock starts (``datetime``, epoch seconds or ISO 8601); the real time
        when omitted.
    ``limits``
        A ``Limits`` or a mapping of its fields to change (``{"file_bytes": 100}``); the real
        API's limits otherwise.
    ``keys``
        Keys to register, each mapped to its project (``{"sk-a": "proj_a"}``) or to
        ``{"project": ..., "organization": ...}`` (``project`` may be a list). Once a key is
        registered, only registered keys are accepted.
    ``faults``
        Fault rules to start with: specs (``"files.create:rate_limit:times=2"``) or mappings of
        ``FaultPlan.add``'s arguments (``{"operations": "files.create", "action": "reset"}``).
    ``chaos``
        A probability: each first attempt of an operation no fault rule of the test matches
        fails with a random retryable error (429, 500, 502, 503 asking for a 5 ms wait),
        labelled ``chaos:<preset>``; retries are never failed by chaos, and ``client()`` then
        retries by default, so code that retries stays green (``docs/chaos.md``). The pytest
        option ``--mockfiles-chaos`` sets it for every test.
    ``control_token``
        When given, every request to the control plane (``/_mockfiles/*``) must carry
        ``Authorization: Bearer <control_token>``.
    ``batch_timing``
        Seconds of the fake's clock each batch phase lasts: a ``BatchTiming`` or a mapping of
        its fields (``{"in_progress": 60}``; ``validating``, ``in_progress``, ``finalizing``,
        ``cancelling``). Short by default; all ``0`` completes a batch at once.
    ``batch_responder``
        What batch requests answer when a test sets nothing (``batches.respond``): a function
        of the request line, or ``"default"`` / ``"fail"``; ``reset()`` keeps it.
    ``journal_size``
        Keep only the last N calls in the journal (``None``, the default, keeps all).
    ``strict_faults``
        Under the pytest fixture: fail the test at teardown if a fault rule never fired.
    """

    def __init__(
        self,
        *,
        seed: int | None = None,
        organization: str = DEFAULT_ORGANIZATION,
        project: str = DEFAULT_PROJECT,
        api_key: str | None = None,
        now: datetime | float | str | None = None,
        limits: Limits | Mapping[str, int] | None = None,
        keys: Mapping[str, str | Mapping[str, Any]] | None = None,
        faults: Sequence[str | Mapping[str, Any]] | None = None,
        chaos: float = 0.0,
        control_token: str | None = None,
        batch_timing: BatchTiming | Mapping[str, int] | None = None,
        batch_responder: Responder | str | None = None,
        journal_size: int | None = None,
        strict_faults: bool = False,
    ) -> None:
        #: The domain state the HTTP app is handed; the attributes below are its parts.
        self.state = FakeState(
            seed=seed,
            organization=organization,
            project=project,
            now=now,
            limits=limits,
            control_token=control_token,
            batch_timing=batch_timing,
            batch_responder=batch_responder,
            journal_size=journal_size,
        )
        self.clock: Clock = self.state.clock
        self.ids: IdFactory = self.state.ids
        self.keys: KeyRing = self.state.keys
        self.rates: RateLimiter = self.state.rates
        self.journal: Journal = self.state.journal
        #: Under the pytest fixture: fail the test at teardown if a fault rule never fired.
        self.strict_faults = strict_faults
        #: Fault rules: ``mock.faults.add("files.create", "rate_limit", times=2)``.
        self.faults: FaultPlan = self.state.faults
        self.store: FileStore = self.state.store
        self.uploads: UploadStore = self.state.uploads
        #: The Batches API's state; ``mock.batches.respond(fn)`` says what requests answer.
        self.batches: BatchStore = self.state.batches
        for rule in faults or ():
            if isinstance(rule, str):
                self.faults.add_spec(rule)
            else:
                self.faults.add(**rule)
        if chaos:
            self.faults.add("*", "chaos", probability=chaos, first_attempts_only=True)
        for key, grant in (keys or {}).items():
            if isinstance(grant, str):
                self.add_key(key, project=grant)
            else:
                self.add_key(key, **grant)
        self.api_key = api_key or next(iter(keys or {}), DEFAULT_API_KEY)
        self.app = FilesApp(self.state)
        self._server: MockServer | None = None
        self._clients: list[OpenAI] = []
        self._freezers: list[Any] = []

    def __repr__(self) -> str:
        where = self._server.base_url if self._server else "in-process"
        return f"<MockFiles {where} seed={self.seed}>"

    @property
    def seed(self) -> int:
        return self.ids.seed

    @property
    def organization(self) -> str:
        """Whom requests act for when they send no ``OpenAI-Organization`` header."""
        return self.state.organization

    @property
    def project(self) -> str:
        """Where requests act when they send no ``OpenAI-Project`` header."""
        return self.state.project

    # -- reaching the fake ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """The base URL of the socket this fake is served on, ending in ``/v1``."""
        if self._server is None:
            raise RuntimeError(
                "this MockFiles is not served on a socket: use the `mockfiles` fixture, "
                "`mockfiles.serve()`, or an in-process client (client(in_process=True))"
            )
        return self._server.base_url

    def client(
        self,
        *,
        in_process: bool | None = None,
        strict: bool = True,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> OpenAI:
        """An official ``openai.OpenAI`` client talking to this fake.

        Over the socket when the fake is served, in-process otherwise (or when ``in_process``
        says so). ``strict`` turns on the SDK's strict response validation, so any answer the
        SDK's models would not accept fails loudly. Unless ``max_retries`` is given, the client
        never retries a fault the test injects (the SDK's default of 2 would silently absorb
        it), and re-sends only the requests chaos failed, below the SDK (``chaos_retry``): a
        test's own rules behave exactly as without chaos, and chaos never fails the test's own
        steps. With ``max_retries=N``, the SDK retries as it would against the real API, chaos
        included. Other keyword arguments go to ``openai.OpenAI`` (``timeout``,
        ``organization``, ``project``, ...).
        """
        from mockfiles.client import make_client

        client = make_client(**self._client_options(in_process, strict, max_retries, kwargs))
        self._clients.append(client)
        return client

    def async_client(
        self,
        *,
        in_process: bool | None = None,
        strict: bool = True,
        max_retries: int | None = None,
        **kwargs: Any,
    ) -> AsyncOpenAI:
        """The ``openai.AsyncOpenAI`` twin of ``client()``.

        Close it in the event loop that used it (``async with`` or ``await client.close()``):
        its connections belong to that loop, so the fake cannot close them afterwards.
        """
        from mockfiles.client import make_async_client

        return make_async_client(**self._client_options(in_process, strict, max_retries, kwargs))

    # -- reading the state ---------------------------------------------------------------

    def files(self, project: str | None = None) -> list[FileObject]:
        """The stored files (of every project, or of one), oldest first."""
        return [stored.file for stored in self.store.files(project)]

    def content(self, file_id: str) -> bytes:
        """The stored bytes of a file of any project, whatever its purpose."""
        for stored in self.store.files():
            if stored.file.id == file_id:
                return stored.content.read()
        raise KeyError(file_id)

    @property
    def bugs(self) -> list[Bug]:
        """Exceptions the fake raised while answering (each also answered as a JSON 500)."""
        return self.state.bugs

    def check(self) -> None:
        """Raise ``FakeBugError`` if the fake failed on any request so far."""
        bugs = self.state.bugs
        if bugs:
            self.state.clear_bugs()
            raise FakeBugError("\n".join(bug.describe() for bug in bugs)) from bugs[0].error

    def close(self) -> None:
        """Undo ``freeze()`` and close the sync clients ``client()`` handed out (the fixture
        does this after each test, so neither outlives it)."""
        freezers, self._freezers = self._freezers, []
        for freezer in reversed(freezers):
            freezer.stop()
        clients, self._clients = self._clients, []
        for client in clients:
            client.close()

    # -- limits, keys and files without bytes -------------------------------------------

    @property
    def limits(self) -> Limits:
        """The limits in force; assign a ``Limits`` or a mapping of fields to change."""
        return self.state.limits

    @limits.setter
    def limits(self, value: Limits | Mapping[str, int]) -> None:
        self.state.limits = value

    def add_key(
        self,
        key: str,
        project: str | Sequence[str] | None = None,
        organization: str | None = None,
    ) -> None:
        """Register an API key for a project (or several; the first is where it acts when a
        request names none) and an organization, the fake's defaults unless given. From then
        on unknown keys get the real 401 ``invalid_api_key``."""
        self.state.add_key(key, project, organization)

    def add_file(
        self,
        *,
        purpose: str,
        size: int | None = None,
        content: FileContent | None = None,
        filename: str = "file.jsonl",
        created_at: datetime | float | str | None = None,
        project: str | None = None,
        expires_after: Mapping[str, object] | None = None,
    ) -> FileObject:
        """Put a file straight into the store, of any purpose (``batch_output`` and the other
        system purposes included), with its ``content`` (bytes, text stored as UTF-8, a
        ``Path`` to read, or an iterable of dicts written as JSON Lines) or, without bytes,
        of ``size`` deterministic bytes streamed on download. ``created_at`` takes a datetime,
        epoch seconds or ISO 8601 (now on the fake's clock by default); ``project`` is the
        fake's default unless named. The project's quota applies;
        the per-file limits do not (files this large arrive through the Uploads API)."""
        return self.state.add_file(
            purpose=purpose,
            size=size,
            content=content,
            filename=filename,
            created_at=created_at,
            project=project,
            expires_after=expires_after,
        )

    # -- the journal -----------------------------------------------------------------------

    def calls(
        self, operation: str | None = None, *, include_chaos: bool = False, **filters: Any
    ) -> list[Call]:
        """The requests answered so far (of one operation, or all), oldest first, that match
        ``filters`` (``purpose="batch"``, ``status=200``, ``idempotency_key="k"``: see
        ``Call.get``). The attempts chaos failed are left out unless ``include_chaos``."""
        return self.journal.calls(operation, include_chaos=include_chaos, **filters)

    def assert_called(
        self,
        operation: str,
        times: int | None = None,
        *,
        include_chaos: bool = False,
        **filters: Any,
    ) -> list[Call]:
        """Fail unless ``operation`` was requested (exactly ``times`` times, when given) with
        ``filters`` holding; returns those calls. Retries count: each attempt is a call, but
        not those chaos failed (unless ``include_chaos``)."""
        calls = self.calls(operation, include_chaos=include_chaos, **filters)
        if (times is None and not calls) or (times is not None and len(calls) != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            matching = "".join(f" {name}={value!r}" for name, value in filters.items())
            raise AssertionError(
                f"expected {operation}{matching} {wanted}, got {len(calls)}:\n"
                + self.journal.table()
            )
        return calls

    def last_call(
        self, operation: str | None = None, *, include_chaos: bool = False, **filters: Any
    ) -> Call:
        """The latest call ``calls(...)`` would list; fails, showing the journal, if none."""
        calls = self.calls(operation, include_chaos=include_chaos, **filters)
        if not calls:
            raise AssertionError(
                f"no call of {operation or 'any operation'} matching {filters or 'anything'}:\n"
                + self.journal.table()
            )
        return calls[-1]

    def usage(self, project: str | None = None) -> Usage:
        """What one project, or every project (``None``, as for ``files()``), stores now:
        bytes and file count. Deleted and expired files no longer count."""
        return self.state.usage(project)

    def freeze(self, when: datetime | float | str | None = None, **kwargs: Any) -> Any:
        """Freeze the process's time with freezegun: the test's and the fake's together.

        ``when`` defaults to the fake's current now; the fake's own clock offset is dropped,
        so the test and the fake read the same instant. Returns freezegun's factory, so
        ``tick()`` and ``move_to()`` move both; keyword arguments go to
        ``freezegun.freeze_time`` (``tick=True`` lets time run on from there). Undone by
        ``close()``, which the fixture calls after each test. freezegun's scan for names bound
        to the real clock skips the SDK and its stack (``mockfiles.freezing``): their callers
        still read the frozen clock.
        """
        import freezegun

        from mockfiles.freezing import start_without_scanning_libraries

        # pytest's own timing (durations, junit) keeps real time.
        kwargs.setdefault("ignore", ["_pytest.timing"])
        instant = self.clock.now() if when is None else to_epoch(when)
        freezer = freezegun.freeze_time(datetime.fromtimestamp(instant, tz=timezone.utc), **kwargs)
        factory = start_without_scanning_libraries(freezer)
        self.clock.follow_process_time()
        self._freezers.append(freezer)
        return factory

    def reset(self) -> None:
        """Empty the fake: no files, uploads or batches in any project (nor the tests' batch
        responders), no upload counts, no journal, no recorded bugs, and the clock back where
        it started. Keys, limits, fault rules and the batch timing and default responder
        stay."""
        self.state.reset()

    # -- internals -----------------------------------------------------------------------

    def _client_options(
        self,
        in_process: bool | None,
        strict: bool,
        max_retries: int | None,
        kwargs: dict[str, Any],
    ) -> dict[str, Any]:
        """What ``client()`` and ``async_client()`` hand their SDK client alike."""
        return {
            "base_url": self._base_url_for(in_process),
            "app": self.app,
            "api_key": kwargs.pop("api_key", self.api_key),
            "strict": strict,
            "max_retries": 0 if max_retries is None else max_retries,
            "retry_chaos": max_retries is None and "http_client" not in kwargs,
            **kwargs,
        }

    def _base_url_for(self, in_process: bool | None) -> str | None:
        if in_process or (in_process is None and self._server is None):
            return None
        return self.url

    def _served_by(self, server: MockServer | None) -> None:
        self._server = server
