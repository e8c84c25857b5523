"""The Batches API over the fake's files: create, retrieve, list, cancel; no HTTP here.

A batch moves through its statuses on the fake's clock, lazily, like file expiry: nothing is
scheduled; whenever a batch is read, every transition whose time has come is applied, each
stamped with the instant it was due (not the instant it was noticed). So
``clock.advance(timing.total)`` completes a batch, and moving the clock by exactly a phase's
duration is the boundary second at which that phase ends.

    validating --(timing.validating)--> in_progress | failed
    in_progress --(timing.in_progress)--> finalizing --(timing.finalizing)--> completed
    in_progress --(24 h window ends first)--> finalizing --(timing.finalizing)--> expired
    validating | in_progress --cancel--> cancelling --(timing.cancelling)--> cancelled

Chosen by the fake where the real behaviour is unknown (see docs/batches.md): an unknown input
file, or one of another purpose, fails the batch at validation (the observed 2025 behaviour for
unknown files); ``model`` is the model the lines name, not a resolved snapshot; every request
runs at the instant the batch completes, so ``request_counts.completed`` stays 0 until then;
cancelling a ``cancelling``/``cancelled`` batch answers it unchanged, cancelling a
``finalizing`` one is a 409 like ``completed``; output files are written even past the
project's storage quota (they count in it).
"""

from __future__ import annotations

import builtins
import dataclasses
import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockfiles.batch_lines import LineError, answered_line, check_lines, jsonl, unrun_line
from mockfiles.batch_model import Batch, BatchNotFound, BatchPage, BatchTiming, CannotCancel
from mockfiles.batch_responses import RequestError, Responder, default_answer
from mockfiles.batch_validation import BATCH_WINDOW, InvalidBatchRequest, check_create
from mockfiles.clock import Clock
from mockfiles.errors import FileNotFound
from mockfiles.ids import IdFactory
from mockfiles.limits import human_size
from mockfiles.model import Content
from mockfiles.store import FileStore

__all__ = [
    "Batch",
    "BatchNotFound",
    "BatchPage",
    "BatchStore",
    "BatchTiming",
    "CannotCancel",
    "RequestError",
    "Responder",
]

LIST_LIMIT_DEFAULT = 20
LIST_LIMIT_MAX = 100
#: Output files are kept 30 days unless the batch asked otherwise (Batch guide).
OUTPUT_LIFETIME = 30 * 86_400


@dataclass
class _Record:
    batch: Batch
    project: str
    organization: str
    seq: int
    output_expires_after: Mapping[str, object] | None
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Whether the completion window ended before the work did (the batch will expire).
    window_ended: bool = False


class BatchStore:
    """Every project's batches, behind one lock. The lock is re-entrant and held while a
    batch's transitions run (its responder included), so a batch completes exactly once."""

    def __init__(
        self,
        clock: Clock,
        ids: IdFactory,
        files: FileStore,
        timing: BatchTiming | None = None,
        responder: Responder | None = None,
    ) -> None:
        self._clock = clock
        self._files = files
        #: Replace it whole to change how long the phases last.
        self.timing = timing or BatchTiming()
        #: The answer of every request no test responder covers (``None``: ``default_answer``);
        #: kept by ``reset()``.
        self.default_responder = responder
        self._lock = threading.RLock()
        self._records: dict[str, _Record] = {}
        self._seq = 0
        # Its own stream, so batches do not shift the ids of files in a seeded run.
        self._random = random.Random(ids.seed ^ 0xBA7C4)
        self._responder: Responder | None = None
        self._by_custom_id: dict[str, Responder] = {}
        self._by_endpoint: dict[str, Responder] = {}

    # -- what the requests answer ----------------------------------------------------------

    def respond(
        self,
        answer: Responder | Mapping[str, Any] | RequestError,
        *,
        custom_id: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        """Say what requests answer: ``answer`` is ``fn(request_line) -> body | RequestError``
        or a fixed body or ``RequestError``; for the request with ``custom_id``, for every
        request to ``endpoint``, or (neither given) for every request. The most specific
        responder wins: custom_id, then endpoint, then the general one, then the default."""
        responder: Responder = answer if callable(answer) else (lambda line: answer)
        with self._lock:
            if custom_id is not None:
                self._by_custom_id[custom_id] = responder
            elif endpoint is not None:
                self._by_endpoint[endpoint] = responder
            else:
                self._responder = responder

    # -- the operations --------------------------------------------------------------------

    def create(self, project: str, organization: str, body: Mapping[str, Any]) -> Batch:
        """``batches.create`` with the request's JSON body: checked as the real API checks it
        at create time; the input file itself is read when validation ends."""
        request = check_create(body)
        with self._lock:
            now = self._clock.timestamp()
            self._seq += 1
            batch = Batch(
                id=self._batch_id(now),
                endpoint=request.endpoint,
                input_file_id=request.input_file_id,
                completion_window=request.completion_window,
                created_at=now,
                expires_at=now + BATCH_WINDOW,
                metadata=request.metadata,
            )
            self._records[batch.id] = _Record(
                batch, project, organization, self._seq, request.output_expires_after
            )
            return batch

    def retrieve(self, project: str, batch_id: str) -> Batch:
        with self._lock:
            return self._current(project, batch_id).batch

    def cancel(self, project: str, batch_id: str) -> Batch:
        with self._lock:
            record = self._current(project, batch_id)
            batch = record.batch
            if batch.status in ("cancelling", "cancelled"):
                return batch
            if batch.status not in ("validating", "in_progress"):
                raise CannotCancel(batch.status)
            record.batch = dataclasses.replace(
                batch, status="cancelling", cancelling_at=self._clock.timestamp()
            )
            return self._advance(record).batch

    def list(
        self, project: str, *, limit: int = LIST_LIMIT_DEFAULT, after: str | None = None
    ) -> BatchPage:
        """Newest first (ties: the later created first); ``after`` is exclusive. An ``after``
        naming no batch of the project gives an empty page (the real answer is unknown)."""
        if not 1 <= limit <= LIST_LIMIT_MAX:
            bound = "less than the minimum of 1" if limit < 1 else "greater than the maximum of 100"
            raise InvalidBatchRequest(f"{limit} is {bound} - 'limit'", param="limit")
        with self._lock:
            records = sorted(
                (r for r in self._records.values() if r.project == project),
                key=lambda r: (r.batch.created_at, r.seq),
                reverse=True,
            )
            start = 0
            if after is not None:
                ids = [r.batch.id for r in records]
                if after not in ids:
                    return BatchPage([], False)
                start = ids.index(after) + 1
            window = [self._advance(r).batch for r in records[start : start + limit + 1]]
        return BatchPage(window[:limit], len(window) > limit)

    # -- read access for tests, the facade and the control plane ----------------------------

    def batches(self, project: str | None = None) -> builtins.list[Batch]:
        """Every batch (of one project, or of all), oldest first, brought up to now."""
        with self._lock:
            return [
                self._advance(r).batch
                for r in sorted(self._records.values(), key=lambda r: r.seq)
                if project is None or r.project == project
            ]

    def project_of(self, batch_id: str) -> str:
        with self._lock:
            return self._records[batch_id].project

    def reset(self) -> None:
        """Forget every batch and the tests' responders (the default responder stays)."""
        with self._lock:
            self._records.clear()
            self._responder = None
            self._by_custom_id.clear()
            self._by_endpoint.clear()

    # -- the life cycle --------------------------------------------------------------------

    def _current(self, project: str, batch_id: str) -> _Record:
        record = self._records.get(batch_id)
        if record is None or record.project != project:
            raise BatchNotFound(batch_id)
        return self._advance(record)

    def _advance(self, record: _Record) -> _Record:
        """Apply every transition due by now, each at the instant it was due."""
        now, timing = self._clock.now(), self.timing
        while True:
            batch = record.batch
            if batch.status == "validating":
                due = batch.created_at + timing.validating
                if now < due:
                    break
                record.batch = self._validate(record, due)
            elif batch.status == "in_progress":
                assert batch.in_progress_at is not None
                due = batch.in_progress_at + timing.in_progress
                window_ended = batch.expires_at < due
                if window_ended:
                    due = max(batch.expires_at, batch.in_progress_at)
                if now < due:
                    break
                record.window_ended = window_ended
                record.batch = dataclasses.replace(batch, status="finalizing", finalizing_at=due)
            elif batch.status == "finalizing":
                assert batch.finalizing_at is not None
                due = batch.finalizing_at + timing.finalizing
                if now < due:
                    break
                record.batch = (
                    self._stop(record, due, "expired")
                    if record.window_ended
                    else self._run(record, due)
                )
                record.requests = []  # in the files now: the parsed lines need not stay
            elif batch.status == "cancelling":
                assert batch.cancelling_at is not None
                due = batch.cancelling_at + timing.cancelling
                if now < due:
                    break
                record.batch = self._stop(record, due, "cancelled")
                record.requests = []
            else:
                break
        return record

    def _validate(self, record: _Record, at: int) -> Batch:
        batch = record.batch
        try:
            file = self._files.retrieve(record.project, batch.input_file_id)
        except FileNotFound:
            file = None
        limit = self._files.limits.batch_file_bytes
        error: LineError | None = None
        if file is None:
            error = LineError(
                "invalid_request",
                f"Cannot find file {batch.input_file_id}, or organization "
                f"{record.organization} does not have access to it.",
                "file_id",
            )
        elif file.purpose != "batch":
            error = LineError(
                "invalid_file_purpose",
                f"The input file {file.id} has purpose '{file.purpose}', but a batch's input "
                "file must have purpose 'batch'.",
                "input_file_id",
            )
        elif file.bytes > limit:  # also keeps a huge byte-less file from being read at all
            error = LineError(
                "file_too_large",
                f"The input file {file.id} is too large: a batch's input file may hold at most "
                f"{human_size(limit)}.",
                "input_file_id",
            )
        if error is not None:
            return dataclasses.replace(batch, status="failed", failed_at=at, errors=(error,))
        assert file is not None
        _, content = self._files.content(record.project, file.id)
        checked = check_lines(content.read(), batch.endpoint)
        if checked.errors:
            errors = tuple(checked.errors)
            return dataclasses.replace(batch, status="failed", failed_at=at, errors=errors)
        record.requests = checked.requests
        return dataclasses.replace(
            batch,
            status="in_progress",
            in_progress_at=at,
            model=checked.model,
            request_counts=(len(checked.requests), 0, 0),
        )

    def _run(self, record: _Record, at: int) -> Batch:
        """Every request answers now: successes to the output file, errors to the error file."""
        outputs, failures = [], []
        tokens_in = tokens_out = 0
        for line in record.requests:
            answer = self._responder_for(line, at)(line)
            custom_id = line["custom_id"]
            if isinstance(answer, RequestError):
                failures.append(
                    answered_line(
                        self._line_id(), custom_id, self._hex(), answer.status_code, answer.body()
                    )
                )
                continue
            if type(answer) is not dict and not isinstance(answer, Mapping):
                raise TypeError(
                    f"the batch responder for {custom_id!r} returned {answer!r}: return a dict "
                    "(the response body) or a RequestError"
                )
            body = dict(answer)
            usage = body.get("usage")
            if isinstance(usage, Mapping):
                tokens_in += _count(usage, "prompt_tokens", "input_tokens")
                tokens_out += _count(usage, "completion_tokens", "output_tokens")
            outputs.append(answered_line(self._line_id(), custom_id, self._hex(), 200, body))
        batch = record.batch
        return dataclasses.replace(
            batch,
            status="completed",
            completed_at=at,
            output_file_id=self._write(record, "output", outputs, at),
            error_file_id=self._write(record, "error", failures, at),
            request_counts=(len(record.requests), len(outputs), len(failures)),
            usage=(tokens_in, tokens_out),
        )

    def _stop(self, record: _Record, at: int, why: str) -> Batch:
        """Expired or cancelled: requests that never ran go to the error file (once the batch
        was in progress), and are not counted as failed (as the real counts show)."""
        batch = record.batch
        lines = [unrun_line(self._line_id(), r["custom_id"], why) for r in record.requests]
        stopped = dataclasses.replace(
            batch, status=why, error_file_id=self._write(record, "error", lines, at)
        )
        if why == "expired":
            return dataclasses.replace(stopped, expired_at=at)
        return dataclasses.replace(stopped, cancelled_at=at)

    def _responder_for(self, line: Mapping[str, Any], at: int) -> Responder:
        found = (
            self._by_custom_id.get(line["custom_id"])
            or self._by_endpoint.get(line["url"])
            or self._responder
            or self.default_responder
        )
        if found is not None:
            return found
        return lambda request: default_answer(request, at)

    def _write(
        self, record: _Record, kind: str, lines: builtins.list[dict[str, Any]], at: int
    ) -> str | None:
        """The output or error file (``batch_<id>_<kind>.jsonl``, purpose ``batch_output``),
        or ``None`` when it would hold no line."""
        if not lines:
            return None
        expires_after = record.output_expires_after or {
            "anchor": "created_at",
            "seconds": OUTPUT_LIFETIME,
        }
        file = self._files.place(
            record.project,
            filename=f"{record.batch.id}_{kind}.jsonl",
            purpose="batch_output",
            content=Content.from_bytes(jsonl(lines)),
            created_at=at,
            expires_after=expires_after,
            within_quota=False,
        )
        return file.id

    def _batch_id(self, created_at: int) -> str:
        # batch_ + 32 hex: the creation time, then hex 13-16 "8190" as in most real ids.
        head = f"{created_at & 0xFFFFFFFF:08x}{self._random.getrandbits(16):04x}"
        while True:
            candidate = f"batch_{head}8190{self._random.getrandbits(64):016x}"
            if candidate not in self._records:
                return candidate

    def _line_id(self) -> str:
        return f"batch_req_{self._hex()}"

    def _hex(self) -> str:
        return f"{self._random.getrandbits(128):032x}"


def _count(usage: Mapping[str, Any], *names: str) -> int:
    for name in names:
        value = usage.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0
