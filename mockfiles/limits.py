"""The real API's limits, as data a test can replace, and the checks that enforce them.

Units: the real API documents "512 MB", "200 MB" and "2.5 TB" without saying whether they are
decimal or binary. The fake reads them as binary (512 MiB = 536,870,912 bytes and so on): the
more permissive reading, so the fake never refuses a file the real API might accept.
"""

from __future__ import annotations

import codecs
import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mockfiles.errors import InvalidRequest

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB
TiB = 1024 * GiB


@dataclass(frozen=True)
class Limits:
    """What one fake enforces. Every field can be replaced per test (``MockFiles(limits=...)``,
    the marker), per server (``mockfiles serve --file-bytes ...``) or at run time (the control
    plane's ``/_mockfiles/limits``)."""

    #: Largest file ``files.create`` takes.
    file_bytes: int = 512 * MiB
    #: Largest ``batch`` file.
    batch_file_bytes: int = 200 * MiB
    #: Bytes a project may store in all (files of every purpose; expired and deleted ones free
    #: their share).
    storage_bytes: int = int(2.5 * TiB)
    #: ``files.create`` requests one API key may make within a minute of the fake's clock.
    uploads_per_minute: int = 1_000
    #: Largest file the Uploads API assembles.
    upload_bytes: int = 8 * GiB
    #: Largest part of an Upload.
    part_bytes: int = 64 * MiB

    def max_file_bytes(self, purpose: str | None) -> int:
        """The size limit for a file of ``purpose`` (the general one while it is unknown)."""
        if purpose == "batch":
            return min(self.file_bytes, self.batch_file_bytes)
        return self.file_bytes

    def replace(self, changes: Mapping[str, object]) -> Limits:
        """A copy with some fields changed; every value must be a positive integer."""
        names = {f.name for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in names:
                raise InvalidRequest(f"Unknown limit {name!r}; known: {sorted(names)}.", param=name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidRequest(f"The limit {name!r} must be a positive integer.", param=name)
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, int]:
        return dataclasses.asdict(self)


#: Purposes whose files must be JSON Lines, with the name of the API the real message names.
JSONL_PURPOSES: Mapping[str, str] = {"batch": "Batch API", "fine-tune": "Fine-Tuning API"}


class FileTooLarge(InvalidRequest):
    """A file over its purpose's size limit. The text is the real one for batch files; the
    fake uses it for the general 512 MB limit too (that text is unknown)."""

    def __init__(self) -> None:
        super().__init__("File is too large.")


class StorageQuotaExceeded(InvalidRequest):
    """A file that would take the project past its storage quota. The real text of today's
    per-project quota is unknown; this one is the known older (per-organization) message with
    the project's limit in it."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            "You have exceeded your file storage quota. Projects are limited to "
            f"{human_size(limit)} of files. Please delete old files or attempt with a smaller "
            "file size."
        )


def check_format(purpose: str, filename: str) -> None:
    """Batch and fine-tuning files must be ``.jsonl``. A name without any extension passes, as
    it does for real; the extension is compared without regard to case."""
    api = JSONL_PURPOSES.get(purpose)
    if api is None or "." not in filename:
        return
    if filename.rsplit(".", 1)[1].lower() != "jsonl":
        raise InvalidRequest(f"Invalid file format for {api}. Must be .jsonl")


def check_size(limits: Limits, purpose: str | None, size: int) -> None:
    if size > limits.max_file_bytes(purpose):
        raise FileTooLarge()


def check_encoding(purpose: str, chunks: Iterable[bytes]) -> None:
    """Batch files must be UTF-8; checked chunk by chunk, without joining the file."""
    if purpose != "batch":
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in chunks:
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise InvalidRequest("Invalid file for Batch API. Must be utf-8 encoded") from None


def human_size(size: int) -> str:
    """``2748779069440`` → ``"2.5 TB"``: the API's way of naming sizes (in binary units)."""
    for unit, name in ((TiB, "TB"), (GiB, "GB"), (MiB, "MB"), (KiB, "KB")):
        if size >= unit:
            return f"{size / unit:.2f}".rstrip("0").rstrip(".") + f" {name}"
    return f"{size} bytes"
