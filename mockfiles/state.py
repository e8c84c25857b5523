"""``FakeState``: everything one fake holds, as the HTTP app is handed it.

The aggregate of the domain's parts (the file and upload stores, the clock, the id factory,
the key ring, the upload rate limiter, the fault plan, the journal), the defaults that answer
for a request naming no organization or project, the control plane's token, and the bugs the
fake found in itself. The few operations that span several parts (``reset``, ``add_key``,
``usage``, changing the limits) live here, once: the ``MockFiles`` facade and the control
plane both call them. No HTTP and no pytest here.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from mockfiles.batch_responses import NAMED_RESPONDERS, Responder
from mockfiles.batches import BatchStore, BatchTiming
from mockfiles.clock import Clock, epoch_in_range
from mockfiles.errors import InvalidRequest
from mockfiles.faults import FaultPlan
from mockfiles.ids import IdFactory
from mockfiles.journal import Journal
from mockfiles.keys import KeyRing, header_safe
from mockfiles.limits import Limits
from mockfiles.model import Content, FileObject
from mockfiles.rate import RateLimiter
from mockfiles.store import FileStore, Usage
from mockfiles.uploads import UploadStore


@dataclass(frozen=True)
class Bug:
    """An exception raised inside the fake while it answered a request."""

    method: str
    path: str
    error: BaseException
    traceback: str

    def describe(self) -> str:
        return f"mockfiles failed on {self.method} {self.path}:\n{self.traceback}"

    def as_dict(self) -> dict[str, str]:
        return {
            "method": self.method,
            "path": self.path,
            "error": repr(self.error),
            "traceback": self.traceback,
        }


class FakeState:
    """One fake's state. Thread-safe as its parts are; the bug list has its own lock."""

    def __init__(
        self,
        *,
        seed: int | None = None,
        organization: str,
        project: str,
        now: datetime | float | str | None = None,
        limits: Limits | Mapping[str, int] | None = None,
        control_token: str | None = None,
        batch_timing: BatchTiming | Mapping[str, int] | None = None,
        batch_responder: Responder | str | None = None,
        journal_size: int | None = None,
    ) -> None:
        #: Whom a request acts for when it names no organization / project.
        self.organization = header_safe(organization, "organization")
        self.project = header_safe(project, "project")
        self.clock = Clock(now)
        self.ids = IdFactory(seed)
        self.keys = KeyRing()
        self.rates = RateLimiter(self.clock)
        #: The calls answered; only the last ``journal_size`` when that is set.
        self.journal = Journal(journal_size)
        self.faults = FaultPlan(self.ids.seed)
        self.store = FileStore(self.clock, self.ids, as_limits(limits))
        self.uploads = UploadStore(self.clock, self.ids, self.store)
        self.batches = BatchStore(
            self.clock,
            self.ids,
            self.store,
            as_batch_timing(batch_timing),
            as_responder(batch_responder),
        )
        #: When set, every control-plane request must carry ``Authorization: Bearer <token>``.
        self.control_token = (
            None if control_token is None else header_safe(control_token, "control_token")
        )
        #: Called with each bug as it is recorded (``mockfiles serve`` prints it).
        self.on_bug: Callable[[Bug], None] | None = None
        self._bugs: list[Bug] = []
        self._bugs_lock = threading.Lock()

    # -- limits, keys, usage -------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return self.store.limits

    @limits.setter
    def limits(self, value: Limits | Mapping[str, int]) -> None:
        self.store.limits = as_limits(value, self.store.limits)

    def add_key(
        self,
        key: str,
        project: str | Sequence[str] | None = None,
        organization: str | None = None,
    ) -> None:
        """Register ``key`` for ``project`` (or several) and ``organization``, the fake's
        defaults unless given."""
        self.keys.add(key, project or self.project, organization or self.organization)

    def usage(self, project: str | None = None) -> Usage:
        """What one project, or every project (``None``), stores now."""
        return self.store.usage(project)

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
        """Place a file of any purpose straight into a project (the default one unless
        named), with its ``content`` or, without bytes, of ``size`` deterministic bytes.
        ``created_at`` takes a datetime, epoch seconds or ISO 8601, from 1970 to 9999."""
        try:
            created = None if created_at is None else int(epoch_in_range(created_at))
        except (ValueError, OverflowError):
            raise InvalidRequest(
                f"created_at: {created_at!r} is no time from 1970 to 9999"[:200],
                param="created_at",
            ) from None
        return self.store.place(
            self.project if project is None else project,
            filename=filename,
            purpose=purpose,
            size=size,
            content=None if content is None else as_content(content),
            created_at=created,
            expires_after=expires_after,
        )

    def reset(self) -> None:
        """No files, uploads or batches in any project (nor the tests' batch responders), no
        upload counts, no journal, no recorded bugs, and the clock back where it started. Keys,
        limits, fault rules and the batch timing and default responder stay."""
        self.store.reset()
        self.uploads.reset()
        self.batches.reset()
        self.rates.reset()
        self.journal.clear()
        self.clock.rewind()
        self.clear_bugs()

    # -- the fake's own bugs -------------------------------------------------------------

    def record_bug(self, bug: Bug) -> None:
        with self._bugs_lock:
            self._bugs.append(bug)
        report = self.on_bug
        if report is not None:
            # A failing reporter must not turn the 500 into a dropped connection: the bug
            # stays listed either way.
            with contextlib.suppress(Exception):
                report(bug)

    @property
    def bugs(self) -> list[Bug]:
        with self._bugs_lock:
            return list(self._bugs)

    def clear_bugs(self) -> None:
        with self._bugs_lock:
            self._bugs.clear()


def as_limits(value: Limits | Mapping[str, int] | None, base: Limits | None = None) -> Limits:
    """A ``Limits``, or ``base`` (the real API's limits by default) with some fields changed."""
    if isinstance(value, Limits):
        return value
    return (base or Limits()).replace(value or {})


#: What ``add_file(content=...)`` takes.
FileContent = bytes | str | Path | Iterable[Mapping[str, Any]]


def as_content(value: FileContent) -> Content:
    """A file's bytes from what a test has: bytes, text (UTF-8), a path, or dicts (JSONL)."""
    if isinstance(value, bytes | bytearray | memoryview):
        return Content.from_bytes(bytes(value))
    if isinstance(value, str):
        return Content.from_bytes(value.encode("utf-8"))
    if isinstance(value, Path):
        return Content.from_bytes(value.read_bytes())
    lines = []
    for line in value:
        if not isinstance(line, Mapping):
            raise TypeError(f"content: expected dicts to write as JSON lines, got {line!r}")
        lines.append(json.dumps(line, ensure_ascii=False).encode("utf-8") + b"\n")
    return Content(lines)


def as_batch_timing(value: BatchTiming | Mapping[str, int] | None) -> BatchTiming:
    if isinstance(value, BatchTiming):
        return value
    return BatchTiming().replace(value or {})


def as_responder(value: Responder | str | None) -> Responder | None:
    if value is None or callable(value):
        return value
    if value not in NAMED_RESPONDERS:
        raise ValueError(f"unknown batch responder {value!r}; known: {sorted(NAMED_RESPONDERS)}")
    return NAMED_RESPONDERS[value]
