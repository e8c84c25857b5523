"""Identifiers in the real API's formats, drawn from a seedable source.

With a seed, the n-th file created gets the same id in every run, so a failing test's ids
reproduce. Request ids come from a second stream so that retries (which add requests) do not
shift the file ids.
"""

from __future__ import annotations

import os
import random
import threading

#: Bitcoin's base58 alphabet: digits and letters without 0, O, I and l. Real file ids since
#: late 2024 use exactly this set.
BASE58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


class IdFactory:
    """Makes ``file-…`` and ``req_…`` ids; thread-safe."""

    def __init__(self, seed: int | None = None) -> None:
        if seed is None:
            seed = int.from_bytes(os.urandom(8), "big")
        self.seed = seed
        self._lock = threading.Lock()
        self._files = random.Random(seed)
        self._requests = random.Random(seed ^ 0x5EED_0F_2E0)

    def file_id(self) -> str:
        """``file-`` followed by 22 base58 characters (the format since 2024-11)."""
        with self._lock:
            return "file-" + "".join(self._files.choices(BASE58, k=22))

    def upload_id(self, created_at: int) -> str:
        """``upload_`` and 32 lowercase hex digits, the first 8 the creation time (as real ids
        appear to be built)."""
        return f"upload_{self._timed_hex(created_at)}"

    def part_id(self, created_at: int) -> str:
        """``part_`` and 32 lowercase hex digits, like upload ids."""
        return f"part_{self._timed_hex(created_at)}"

    def _timed_hex(self, created_at: int) -> str:
        with self._lock:
            return f"{created_at & 0xFFFFFFFF:08x}{self._files.getrandbits(96):024x}"

    def request_id(self) -> str:
        """``req_`` followed by 32 lowercase hex digits."""
        with self._lock:
            return f"req_{self._requests.getrandbits(128):032x}"
