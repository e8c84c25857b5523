"""The objects of the Files API as plain data: no HTTP, no storage rules."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

#: Purposes a client may upload, in the order the real API lists them in its error message
#: (which differs from the order of the OpenAPI enum).
UPLOADABLE_PURPOSES: tuple[str, ...] = (
    "fine-tune",
    "assistants",
    "batch",
    "user_data",
    "vision",
    "evals",
)

#: The operations, named as the official SDK names its methods: the same names are the
#: routes' endpoints, the journal's ``operation`` and what fault rules target.
OPERATIONS: tuple[str, ...] = (
    "files.create",
    "files.list",
    "files.retrieve",
    "files.delete",
    "files.content",
    "uploads.create",
    "uploads.parts.create",
    "uploads.complete",
    "uploads.cancel",
    "batches.create",
    "batches.retrieve",
    "batches.list",
    "batches.cancel",
)

#: Purposes only the platform itself creates (outputs of batches, fine-tunes, assistants).
SYSTEM_PURPOSES: tuple[str, ...] = ("assistants_output", "batch_output", "fine-tune-results")

#: Purposes whose bytes ``files.content`` hands back. The others answer 400
#: "Not allowed to download files of purpose: <purpose>".
DOWNLOADABLE_PURPOSES: frozenset[str] = frozenset(
    {"batch", "vision", "assistants_output", "batch_output", "fine-tune-results"}
)


def parse_decimal(text: str, max_length: int) -> int | None:
    """A whole number written in plain decimal digits (an optional sign, no ``_``, no other
    scripts' digits, as ``int()`` would take), or ``None``. Text longer than ``max_length`` is
    no number here: ``int()`` refuses more than 4300 digits anyway."""
    text = text.strip()
    if len(text) > max_length or not _DECIMAL.fullmatch(text):
        return None
    return int(text)


_DECIMAL = re.compile(r"[+-]?[0-9]+")

#: How much of a refused value an error message echoes.
SHOWN_CHARACTERS = 100


def not_an_integer(raw: object) -> str:
    """The jsonschema-style start of the error for a value that is no integer, echoing at most
    ``SHOWN_CHARACTERS`` of it: a client may send kilobytes of digits, and an error message
    that repeats them all helps no one."""
    shown = repr(raw)
    if len(shown) > SHOWN_CHARACTERS:
        shown = shown[: SHOWN_CHARACTERS - 3] + "..."
    return f"{shown} is not of type 'integer'"


class Content:
    """The bytes of one stored file, kept as the chunks they arrived in.

    Keeping the chunks (rather than joining them) means an upload is held exactly once; a
    download streams the same chunks back out.
    """

    __slots__ = ("_chunks", "size")

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks: tuple[bytes, ...] = tuple(chunks)
        self.size: int = sum(len(c) for c in self._chunks)

    @classmethod
    def from_bytes(cls, data: bytes) -> Content:
        return cls((data,) if data else ())

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def read(self) -> bytes:
        """All the bytes as one ``bytes`` object (a copy: meant for tests and small files)."""
        return b"".join(self)


class SyntheticContent(Content):
    """The bytes of a file placed without any (``MockFiles.add_file``): ``size`` deterministic
    bytes made on the fly from ``seed``, so a project can hold terabytes that take no memory
    and a download still streams the right length."""

    __slots__ = ("_block",)

    BLOCK = 64 * 1024

    def __init__(self, size: int, seed: str) -> None:
        super().__init__(())
        self.size = size
        pattern = hashlib.sha256(seed.encode()).hexdigest().encode()  # 64 printable bytes
        self._block = pattern * (self.BLOCK // len(pattern))

    def __iter__(self) -> Iterator[bytes]:
        full, rest = divmod(self.size, self.BLOCK)
        for _ in range(full):
            yield self._block
        if rest:
            yield self._block[:rest]


@dataclass(frozen=True)
class FileObject:
    """A File as the API describes it. Every key is always present in its JSON form."""

    id: str
    bytes: int
    created_at: int
    filename: str
    purpose: str
    expires_at: int | None = None
    status: str = "processed"
    status_details: str | None = None

    def to_dict(self) -> dict[str, Any]:
        # Key order of the real responses; clients do not depend on it, but people read it.
        return {
            "object": "file",
            "id": self.id,
            "purpose": self.purpose,
            "filename": self.filename,
            "bytes": self.bytes,
            "created_at": self.created_at,
            "expires_at": self.expires_at,
            "status": self.status,
            "status_details": self.status_details,
        }


@dataclass(frozen=True)
class Page:
    """One page of ``files.list``: the files in order and whether more follow."""

    data: list[FileObject]
    has_more: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "object": "list",
            "data": [f.to_dict() for f in self.data],
            "has_more": self.has_more,
            "first_id": self.data[0].id if self.data else None,
            "last_id": self.data[-1].id if self.data else None,
        }
