"""The journal: every request the fake answered, in order, with what the client sent (never
the bodies' bytes), for tests to query and for the failure report to show."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from mockfiles.faults import CHAOS_LABEL


@dataclass(frozen=True)
class Call:
    """One request and what the fake did with it."""

    #: The operation name (``files.create``...), or ``"unknown"`` for a URL that is none.
    operation: str
    method: str
    #: The path as sent, without the query; cut to ``recording.MAX_TEXT`` characters.
    path: str
    #: The project it acted in; ``None`` when it was refused before the caller was known.
    project: str | None
    #: The HTTP status answered; ``None`` when a transport fault left the client without one.
    status: int | None
    #: The injected fault's name (``rate_limit``, ``reset``, ``chaos:server_error``...).
    fault: str | None
    #: 1 for a first try; the SDK's retries are 2, 3, ... (from ``x-stainless-retry-count``).
    attempt: int
    #: When the request reached the fake, in ``time.perf_counter()`` seconds (for spacing).
    started: float
    #: How long the answer took, counting the seconds a ``delay`` or ``slow_body`` fault added.
    duration_ms: float
    request_id: str
    #: The query parameters (the first value of each name).
    query: Mapping[str, str] = field(default_factory=dict)
    #: The form fields other than files (``purpose``, ``expires_after[seconds]``), or a JSON
    #: body's scalar fields (``filename``, ``bytes``, ``expires_after[anchor]``).
    fields: Mapping[str, str | int | float | bool] = field(default_factory=dict)
    #: The file part's name as sent and its size in bytes (``file`` or an upload's ``data``).
    filename: str | None = None
    file_bytes: int | None = None
    #: The headers a test may care about, by lower-case name (see ``recording.HEADERS``).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: The file, upload and batch the request created or touched (a batch's input file is
    #: ``fields["input_file_id"]``, not ``file_id``: the request names it, it does not touch it).
    file_id: str | None = None
    upload_id: str | None = None
    batch_id: str | None = None
    #: The answered error's ``code`` (``rate_limit_exceeded``...), when it has one.
    error_code: str | None = None
    #: How long a transport fault held the answer (``delay``, ``slow_body``: also counted in
    #: ``duration_ms``; ``timeout``: its cap, which the client gives up before).
    injected_ms: float | None = None

    @property
    def is_chaos(self) -> bool:
        """Whether chaos, rather than the test's own rules, failed this attempt."""
        return self.fault is not None and self.fault.startswith(CHAOS_LABEL)

    def get(self, name: str) -> Any:
        """A filter's value: the call's own field, else a form or JSON field, else a query
        parameter, else a header (``idempotency_key`` finds ``Idempotency-Key``). An own
        field that is unset gives way to a sent field of that name: ``filename=`` finds the
        file part's name, or ``uploads.create``'s JSON ``filename``."""
        if name in _OWN_FIELDS:
            own = getattr(self, name)
            if own is not None or name not in self.fields:
                return own
        for source in (self.fields, self.query):
            if name in source:
                return source[name]
        return self.headers.get(name.lower().replace("_", "-"))

    def matches(self, **filters: Any) -> bool:
        """Whether every filter holds: ``purpose="batch"``, ``status=200``, ``limit=100`` (a
        number matches the text sent), or a predicate (``file_bytes=lambda n: n > 0``)."""
        return all(_holds(self.get(name), wanted) for name, wanted in filters.items())

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "query": dict(self.query), "fields": dict(self.fields)}

    def __repr__(self) -> str:
        fault = f" fault={self.fault}" if self.fault else ""
        return (
            f"<Call {self.operation} {self.method} {self.path} -> {self.status}{fault} "
            f"attempt={self.attempt} project={self.project}>"
        )


_OWN_FIELDS = frozenset(Call.__dataclass_fields__) - {"query", "fields", "headers"}


def _holds(actual: Any, wanted: Any) -> bool:
    if callable(wanted):
        return bool(wanted(actual))
    if actual == wanted:
        return True
    # Query values arrive as text: limit=100 matches "100".
    return (
        isinstance(actual, str)
        and isinstance(wanted, int | float)
        and not isinstance(wanted, bool)
        and actual == str(wanted)
    )

    def __repr__(self) -> str:
        fault = f" fault={self.fault}" if self.fault else ""
        return (
            f"<Call {self.operation} {self.method} {self.path} -> {self.status}{fault} "
            f"attempt={self.attempt} project={self.project}>"
        )


class Journal:
    """The calls, in the order they were answered; thread-safe.

    ``max_calls`` keeps only the last N (``mockfiles serve`` keeps 10,000 by default, so a
    long-running server's memory stays bounded); ``None`` keeps all (the pytest fixture).
    """

    def __init__(self, max_calls: int | None = None) -> None:
        if max_calls is not None and max_calls < 1:
            raise ValueError("max_calls must be at least 1 (or None to keep every call)")
        self._lock = threading.Lock()
        self._calls: deque[Call] = deque(maxlen=max_calls)
        self.max_calls = max_calls
        #: How many calls were dropped to keep within ``max_calls``.
        self.dropped = 0

    def record(self, call: Call) -> None:
        with self._lock:
            if self.max_calls is not None and len(self._calls) == self.max_calls:
                self.dropped += 1
            self._calls.append(call)

    def calls(
        self, operation: str | None = None, *, include_chaos: bool = True, **filters: Any
    ) -> list[Call]:
        """The calls of ``operation`` (or all) that match ``filters`` (see ``Call.matches``);
        without the attempts chaos failed unless ``include_chaos``."""
        with self._lock:
            calls = list(self._calls)
        return [
            call
            for call in calls
            if (operation is None or call.operation == operation)
            and (include_chaos or not call.is_chaos)
            and call.matches(**filters)
        ]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self.dropped = 0

    def table(self) -> str:
        """The calls as a compact text table (the pytest report's "mockfiles" section)."""
        with self._lock:
            calls, dropped = list(self._calls), self.dropped
        if not calls:
            return "(no requests reached the fake)"
        rows = [("#", "operation", "request", "project", "status", "fault", "try", "ms", "sent")]
        for index, call in enumerate(calls, dropped + 1):
            rows.append(
                (
                    str(index),
                    call.operation,
                    f"{call.method} {_cut(call.path + _query(call.query), 60)}",
                    call.project or "-",
                    "-" if call.status is None else str(call.status),
                    call.fault or "",
                    str(call.attempt),
                    f"{call.duration_ms:.1f}",
                    _detail(call),
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        ]
        if dropped:
            lines.insert(0, f"({dropped} earlier call(s) dropped: the journal keeps {len(calls)})")
        return "\n".join(lines)


def _query(query: Mapping[str, str]) -> str:
    return "?" + "&".join(f"{name}={value}" for name, value in query.items()) if query else ""


def _detail(call: Call) -> str:
    """What the client sent and what it got, in a few words: fields, file, ids, error code."""
    parts = [f"{name}={_cut(str(value), 40)}" for name, value in call.fields.items()]
    if call.filename is not None:
        parts.append(f"file={_cut(call.filename, 40)} ({call.file_bytes} B)")
    for name in ("idempotency-key", "openai-project"):
        if name in call.headers:
            parts.append(f"{name}={_cut(call.headers[name], 40)}")
    touched = [value for value in (call.upload_id, call.file_id, call.batch_id) if value]
    if touched:
        parts.append("-> " + " ".join(touched))
    if call.error_code:
        parts.append(f"code={call.error_code}")
    return " ".join(parts)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
