"""The journal: every request the fake answered, in order, for tests to query and for the
failure report to show."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Call:
    """One request and what the fake did with it."""

    #: The operation name (``files.create``...), or ``"unknown"`` for a URL that is none.
    operation: str
    method: str
    path: str
    #: The project it acted in; ``None`` when it was refused before the caller was known.
    project: str | None
    #: The HTTP status answered; ``None`` when a transport fault left the client without one.
    status: int | None
    #: The injected fault's name, if one fired.
    fault: str | None
    #: 1 for a first try; the SDK's retries are 2, 3, ... (from ``x-stainless-retry-count``).
    attempt: int
    #: When the request reached the fake, in ``time.perf_counter()`` seconds (for spacing).
    started: float
    duration_ms: float
    request_id: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __repr__(self) -> str:
        fault = f" fault={self.fault}" if self.fault else ""
        return (
            f"<Call {self.operation} {self.method} {self.path} -> {self.status}{fault} "
            f"attempt={self.attempt} project={self.project}>"
        )


class Journal:
    """The calls, in the order they were answered; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: list[Call] = []

    def record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)

    def calls(self, operation: str | None = None) -> list[Call]:
        with self._lock:
            return [c for c in self._calls if operation is None or c.operation == operation]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

    def table(self) -> str:
        """The calls as a compact text table (the pytest report's "mockfiles" section)."""
        calls = self.calls()
        if not calls:
            return "(no requests reached the fake)"
        rows = [("#", "operation", "request", "project", "status", "fault", "try", "ms")]
        for index, call in enumerate(calls, 1):
            rows.append(
                (
                    str(index),
                    call.operation,
                    f"{call.method} {call.path}",
                    call.project or "-",
                    "-" if call.status is None else str(call.status),
                    call.fault or "",
                    str(call.attempt),
                    f"{call.duration_ms:.1f}",
                )
            )
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        return "\n".join(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in rows
        )
