"""``MockFiles``: one fake Files API — its state, its clock, its HTTP app and its clients."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from mockfiles.clock import Clock, to_epoch
from mockfiles.faults import FaultPlan
from mockfiles.http.app import Bug, FilesApp
from mockfiles.ids import IdFactory
from mockfiles.journal import Call, Journal
from mockfiles.keys import KeyRing, header_safe
from mockfiles.limits import Limits
from mockfiles.model import FileObject
from mockfiles.rate import RateLimiter
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
    """A fake of OpenAI's Files API.

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
        A probability: each first attempt of any operation fails with a random retryable error
        (429, 500, 502, 503 asking for a 5 ms wait); retries are never failed by chaos, so code
        that retries stays green. The pytest option ``--mockfiles-chaos`` sets it for every test.
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
    ) -> None:
        self.organization = header_safe(organization, "organization")
        self.project = header_safe(project, "project")
        self.clock = Clock(now)
        self.ids = IdFactory(seed)
        self.keys = KeyRing()
        self.rates = RateLimiter(self.clock)
        self.journal = Journal()
        #: Fault rules: ``mock.faults.add("files.create", "rate_limit", times=2)``.
        self.faults = FaultPlan(self.ids.seed)
        for rule in faults or ():
            if isinstance(rule, str):
                self.faults.add_spec(rule)
            else:
                self.faults.add(**rule)
        if chaos:
            self.faults.add("*", "chaos", probability=chaos, first_attempts_only=True)
        self.store = FileStore(self.clock, self.ids, _limits(limits))
        self.uploads = UploadStore(self.clock, self.ids, self.store)
        for key, grant in (keys or {}).items():
            if isinstance(grant, str):
                self.add_key(key, project=grant)
            else:
                self.add_key(key, **grant)
        self.api_key = api_key or next(iter(keys or {}), DEFAULT_API_KEY)
        self.app = FilesApp(self)
        self._server: MockServer | None = None
        self._clients: list[OpenAI] = []
        self._freezers: list[Any] = []

    def __repr__(self) -> str:
        where = self._server.base_url if self._server else "in-process"
        return f"<MockFiles {where} seed={self.seed}>"

    @property
    def seed(self) -> int:
        return self.ids.seed

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
        max_retries: int = 0,
        **kwargs: Any,
    ) -> OpenAI:
        """An official ``openai.OpenAI`` client talking to this fake.

        Over the socket when the fake is served, in-process otherwise (or when ``in_process``
        says so). ``strict`` turns on the SDK's strict response validation, so any answer the
        SDK's models would not accept fails loudly. ``max_retries`` is 0 unless asked for: the
        SDK's default of 2 would silently absorb an injected fault, so a test sees every fault
        unless it opts in to retries. Other keyword arguments go to ``openai.OpenAI``
        (``timeout``, ``organization``, ``project``, ...).
        """
        from mockfiles.client import make_client

        client = make_client(
            base_url=self._base_url_for(in_process),
            app=self.app,
            api_key=kwargs.pop("api_key", self.api_key),
            strict=strict,
            max_retries=max_retries,
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
        """The ``openai.AsyncOpenAI`` twin of ``client()``.

        Close it in the event loop that used it (``async with`` or ``await client.close()``):
        its connections belong to that loop, so the fake cannot close them afterwards.
        """
        from mockfiles.client import make_async_client

        return make_async_client(
            base_url=self._base_url_for(in_process),
            app=self.app,
            api_key=kwargs.pop("api_key", self.api_key),
            strict=strict,
            max_retries=max_retries,
            **kwargs,
        )

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
        return self.app.bugs

    def check(self) -> None:
        """Raise ``FakeBugError`` if the fake failed on any request so far."""
        bugs = self.app.bugs
        if bugs:
            self.app.clear_bugs()
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
        return self.store.limits

    @limits.setter
    def limits(self, value: Limits | Mapping[str, int]) -> None:
        self.store.limits = _limits(value, self.store.limits)

    def add_key(
        self,
        key: str,
        project: str | Sequence[str] | None = None,
        organization: str | None = None,
    ) -> None:
        """Register an API key for a project (or several; the first is where it acts when a
        request names none) and an organization, the fake's defaults unless given. From then
        on unknown keys get the real 401 ``invalid_api_key``."""
        self.keys.add(key, project or self.project, organization or self.organization)

    def add_file(
        self,
        *,
        purpose: str,
        size: int,
        filename: str = "file.jsonl",
        created_at: int | None = None,
        project: str | None = None,
        expires_after: Mapping[str, object] | None = None,
    ) -> FileObject:
        """Put a file straight into the store without sending or holding its bytes: a
        download streams ``size`` deterministic bytes. The project's quota applies; the
        per-file limits do not (files this large arrive through the Uploads API)."""
        return self.store.place(
            self.project if project is None else project,
            filename=filename,
            purpose=purpose,
            size=size,
            created_at=created_at,
            expires_after=expires_after,
        )

    # -- the journal -----------------------------------------------------------------------

    def calls(self, operation: str | None = None) -> list[Call]:
        """The requests answered so far (of one operation, or all), oldest first."""
        return self.journal.calls(operation)

    def assert_called(self, operation: str, times: int | None = None) -> list[Call]:
        """Fail unless ``operation`` was requested (exactly ``times`` times, when given);
        returns its calls. Retries count: each attempt is a call."""
        calls = self.journal.calls(operation)
        if (times is None and not calls) or (times is not None and len(calls) != times):
            wanted = "at least once" if times is None else f"{times} time(s)"
            raise AssertionError(
                f"expected {operation} {wanted}, got {len(calls)}:\n{self.journal.table()}"
            )
        return calls

    def usage(self, project: str | None = None) -> Usage:
        """What a project (the default one unless named) stores now: bytes and file count.
        Deleted and expired files no longer count."""
        return self.store.usage(self.project if project is None else project)

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
        """Empty the fake: no files or uploads in any project, no upload counts, no journal, no
        recorded bugs, and the clock back where it started. Keys, limits and fault rules stay."""
        self.store.reset()
        self.uploads.reset()
        self.rates.reset()
        self.journal.clear()
        self.clock.rewind()
        self.app.clear_bugs()

    # -- internals -----------------------------------------------------------------------

    def _base_url_for(self, in_process: bool | None) -> str | None:
        if in_process or (in_process is None and self._server is None):
            return None
        return self.url

    def _served_by(self, server: MockServer | None) -> None:
        self._server = server


def _limits(value: Limits | Mapping[str, int] | None, base: Limits | None = None) -> Limits:
    if isinstance(value, Limits):
        return value
    return (base or Limits()).replace(value or {})
