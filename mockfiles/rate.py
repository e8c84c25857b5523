"""The upload rate limit: ``files.create`` requests per API key per minute of the fake's clock.

A sliding window: a request is refused when the key already made ``limit`` requests in the
60 seconds before it. Refused requests do not count.
"""

from __future__ import annotations

import math
import threading
from collections import deque

from mockfiles.clock import Clock
from mockfiles.errors import APIError

WINDOW_SECONDS = 60.0


class RateLimited(APIError):
    """A 429 in the shape of the real rate-limit errors. The files endpoint's own wording is
    unknown; this follows the real message of the per-minute request limits."""

    status = 429
    type = "requests"
    code = "rate_limit_exceeded"

    def __init__(self, organization: str, limit: int, retry_after: int) -> None:
        super().__init__(
            f"Rate limit reached for files.create in organization {organization} on requests "
            f"per min (RPM): Limit {limit}, Used {limit}, Requested 1. Please try again in "
            f"{retry_after}s. Visit https://platform.openai.com/account/rate-limits to learn more.",
            headers={"retry-after": str(retry_after)},
        )


class RateLimiter:
    """Counts requests per key in a sliding minute; thread-safe."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._seen: dict[str, deque[float]] = {}

    def take(self, key: str, limit: int, organization: str) -> None:
        """Count one request of ``key``, or raise ``RateLimited`` if the minute is full."""
        with self._lock:
            # Read under the lock: a time read before it could be older than one already counted.
            now = self._clock.now()
            seen = self._seen.setdefault(key, deque())
            # Forget requests older than the window, and any "from the future" left behind
            # when a test set the clock back.
            while seen and (seen[0] <= now - WINDOW_SECONDS or seen[0] > now):
                seen.popleft()
            if len(seen) >= limit:
                wait = max(1, math.ceil(seen[-limit] + WINDOW_SECONDS - now))
                raise RateLimited(organization, limit, wait)
            seen.append(now)

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
