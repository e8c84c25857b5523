"""The fake's notion of now.

``Clock.now()`` reads ``time.time()`` at every call (never a value bound at import), so
freezegun and time-machine steer the fake, its server thread included. On top of that the
clock keeps an offset of its own, so a test can move only the fake's time.
"""

from __future__ import annotations

import math
import time
from datetime import datetime, timedelta, timezone

#: The times a clock may show: those a ``datetime`` can hold (so ``created_at`` stays sane).
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc).timestamp()
LATEST = datetime(9999, 12, 31, tzinfo=timezone.utc).timestamp()


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def epoch_in_range(when: datetime | float | str) -> float:
    """``to_epoch(when)``, refused with ``ValueError`` unless the clock can show it."""
    return _showable(to_epoch(when))


def _showable(epoch: float) -> float:
    if not math.isfinite(epoch) or not EARLIEST <= epoch <= LATEST:
        raise ValueError(f"{epoch!r} is not a time the clock can show (1970 to 9999)")
    return epoch


def to_epoch(when: datetime | float | str) -> float:
    """Epoch seconds from a datetime (naive means UTC), a number, or an ISO 8601 string."""
    if isinstance(when, str):
        text = when.strip()
        try:
            return float(text)
        except ValueError:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if isinstance(when, datetime):
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        return when.timestamp()
    return float(when)


class Clock:
    """The process's time plus an offset that belongs to this fake alone."""

    def __init__(self, start: datetime | float | str | None = None) -> None:
        self._offset = 0.0
        if start is not None:
            self.set(start)
        self._initial_offset = self._offset

    def now(self) -> float:
        """Epoch seconds, as a float."""
        return time.time() + self._offset

    def timestamp(self) -> int:
        """Whole epoch seconds: what the API puts in ``created_at``."""
        return int(self.now())

    def advance(self, seconds: float | timedelta) -> None:
        """Move the fake's time forward (or back, with a negative amount)."""
        step = _seconds(seconds)
        _showable(self.now() + step)
        self._offset += step

    def set(self, when: datetime | float | str) -> None:
        """Make the fake's now be ``when``; time then keeps flowing from there."""
        self._offset = _showable(to_epoch(when)) - time.time()

    def follow_process_time(self) -> None:
        """Drop the fake's own offset: from now on it reads exactly the process's time."""
        self._offset = 0.0

    def rewind(self) -> None:
        """Back to the offset the clock started with (its ``start``, or none)."""
        self._offset = self._initial_offset
