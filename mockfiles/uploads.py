"""The Uploads API: a file sent in parts, then completed into a File (or cancelled, or left to
expire an hour after it was created).

The objects and the happy path are the real API's (recorded); nearly every error text of the
real Uploads API is unknown. The messages here are the fake's own, each saying what is wrong;
the README's fidelity notes list them as chosen, not known. State errors are 400s.

A completed upload's File is made of the parts' own chunks, in the order given: no byte is
copied, so completing an upload of N bytes holds about N bytes.
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from mockfiles.clock import Clock
from mockfiles.errors import APIError, InvalidPurpose, InvalidRequest
from mockfiles.expiry import expires_at as file_expires_at
from mockfiles.ids import IdFactory
from mockfiles.limits import FileTooLarge, check_encoding, check_format, human_size
from mockfiles.model import UPLOADABLE_PURPOSES, Content, FileObject
from mockfiles.store import FileStore

#: An upload left pending this long after its creation expires.
UPLOAD_LIFETIME = 3_600


class UploadNotFound(APIError):
    """An upload id the caller's project has none of. Modelled on the Files API's 404."""

    status = 404
    param = "id"

    def __init__(self, upload_id: str) -> None:
        super().__init__(f"No such Upload object: {upload_id}")


@dataclass(frozen=True)
class Part:
    id: str
    upload_id: str
    created_at: int
    content: Content

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "upload.part",
            "created_at": self.created_at,
            "upload_id": self.upload_id,
        }


@dataclass
class Upload:
    id: str
    project: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: int
    expires_after: Mapping[str, object] | None
    status: str = "pending"
    file: FileObject | None = None
    parts: dict[str, Part] = field(default_factory=dict)

    @property
    def expires_at(self) -> int:
        return self.created_at + UPLOAD_LIFETIME

    @property
    def received(self) -> int:
        """Bytes of the parts added so far."""
        return sum(part.content.size for part in self.parts.values())

    def to_dict(self) -> dict[str, Any]:
        # Key order of the real answers; "file" appears only once the upload is completed.
        body: dict[str, Any] = {
            "id": self.id,
            "object": "upload",
            "bytes": self.bytes,
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": self.status,
            "expires_at": self.expires_at,
        }
        if self.file is not None:
            body["file"] = self.file.to_dict()
        return body


@dataclass(frozen=True)
class PendingUpload:
    """A pending upload as a test sees it: where it stands, not its parts' bytes."""

    id: str
    project: str
    filename: str
    purpose: str
    bytes: int
    created_at: int
    expires_at: int
    #: How many parts were added, and their bytes.
    parts: int
    received: int

    def to_dict(self) -> dict[str, Any]:
        """Its API object's fields plus ``parts`` and ``received`` (the control plane's
        ``/_mockfiles/state``), without ``project``."""
        body = dataclasses.asdict(self)
        del body["project"]
        return {"object": "upload", "status": "pending", **body}


class UploadStore:
    """Uploads of every project, behind one lock (never held while a part's body is read)."""

    def __init__(self, clock: Clock, ids: IdFactory, files: FileStore) -> None:
        self._clock = clock
        self._ids = ids
        self._files = files
        self._lock = threading.Lock()
        self._uploads: dict[str, Upload] = {}

    def create(
        self,
        project: str,
        *,
        filename: str,
        purpose: str,
        bytes: int,
        mime_type: str,
        expires_after: Mapping[str, object] | None = None,
    ) -> Upload:
        """``uploads.create``: a pending upload for ``bytes`` bytes of ``filename``."""
        limits = self._files.limits
        if purpose not in UPLOADABLE_PURPOSES:
            raise InvalidPurpose(purpose)
        if bytes < 0:
            raise InvalidRequest(f"{bytes} is less than the minimum of 0 - 'bytes'", param="bytes")
        if bytes > limits.upload_bytes:
            raise InvalidRequest(
                f"{bytes} is greater than the maximum of {limits.upload_bytes} - 'bytes'",
                param="bytes",
            )
        check_format(purpose, filename)
        if purpose == "batch" and bytes > limits.batch_file_bytes:
            raise FileTooLarge()
        now = self._clock.timestamp()
        file_expires_at(purpose, now, expires_after)  # refuse a bad expires_after now
        upload = Upload(
            id=self._ids.upload_id(now),
            project=project,
            filename=filename,
            purpose=purpose,
            bytes=bytes,
            mime_type=mime_type,
            created_at=now,
            expires_after=dict(expires_after) if expires_after else None,
        )
        with self._lock:
            self._uploads[upload.id] = upload
        return upload

    def add_part(self, project: str, upload_id: str, content: Content) -> Part:
        """``uploads.parts.create``: keep one part of a pending upload."""
        limits = self._files.limits
        if content.size > limits.part_bytes:
            raise PartTooLarge(limits.part_bytes)
        with self._lock:
            upload = self._pending(project, upload_id, "add parts to")
            total = upload.received + content.size
            if total > limits.upload_bytes:
                raise InvalidRequest(
                    f"Adding this part would take the Upload to {total} bytes, over the "
                    f"{human_size(limits.upload_bytes)} an Upload may hold.",
                    param="data",
                )
            now = self._clock.timestamp()
            part = Part(self._ids.part_id(now), upload.id, now, content)
            upload.parts[part.id] = part
        return part

    def part_bound(self) -> PartBound:
        """What may be held of a part while its bytes arrive: the part size limit."""
        return PartBound(self._files.limits.part_bytes)

    def complete(
        self, project: str, upload_id: str, part_ids: Sequence[str], md5: str | None = None
    ) -> Upload:
        """``uploads.complete``: the parts, in the order given, become a File.

        The checks that read every byte (md5, a batch file's encoding) run without the lock, so
        other uploads go on meanwhile; the upload is then checked again (still pending, the
        same parts) before the File is made.
        """
        with self._lock:
            upload = self._pending(project, upload_id, "complete")
            parts = self._chosen_parts(upload, part_ids)
        total = sum(p.content.size for p in parts)
        if total != upload.bytes:
            raise InvalidRequest(
                f"The parts add up to {total} bytes, but the Upload was created for "
                f"{upload.bytes} bytes.",
                param="part_ids",
            )
        content = Content([chunk for part in parts for chunk in part.content])
        if md5 is not None:
            _check_md5(content, md5)
        check_encoding(upload.purpose, content)
        with self._lock:
            again = self._pending(project, upload_id, "complete")
            if self._chosen_parts(again, part_ids) != parts:
                raise InvalidRequest(f"The parts of Upload {upload_id} changed while completing.")
            again.file = self._files.create_from_upload(
                project,
                filename=again.filename,
                purpose=again.purpose,
                content=content,
                created_at=again.created_at,
                expires_after=again.expires_after,
            )
            again.status = "completed"
            again.parts.clear()  # the File holds the chunks it uses; the rest are freed
            return again

    def cancel(self, project: str, upload_id: str) -> Upload:
        """``uploads.cancel``: a pending upload is cancelled and its parts freed."""
        with self._lock:
            upload = self._pending(project, upload_id, "cancel")
            upload.status = "cancelled"
            upload.parts.clear()
            return upload

    def pending(self, project: str | None = None) -> builtins.list[PendingUpload]:
        """The uploads still pending (of one project, or of all), oldest first, each a
        ``PendingUpload`` snapshot taken under the lock so parts arriving meanwhile cannot
        tear it."""
        with self._lock:
            found = []
            for upload in self._uploads.values():
                self._expire(upload)
                if upload.status == "pending" and project in (None, upload.project):
                    found.append(
                        PendingUpload(
                            id=upload.id,
                            project=upload.project,
                            filename=upload.filename,
                            purpose=upload.purpose,
                            bytes=upload.bytes,
                            created_at=upload.created_at,
                            expires_at=upload.expires_at,
                            parts=len(upload.parts),
                            received=upload.received,
                        )
                    )
            return found

    def find(self, upload_id: str) -> Upload | None:
        """The upload with this id in any project and status (for tests and the facade)."""
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is not None:
                self._expire(upload)
            return upload

    def reset(self) -> None:
        with self._lock:
            self._uploads.clear()

    # -- internals (call with the lock held) ---------------------------------------------

    def _pending(self, project: str, upload_id: str, doing: str) -> Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or upload.project != project:
            raise UploadNotFound(upload_id)
        self._expire(upload)
        if upload.status != "pending":
            raise InvalidRequest(
                f"Cannot {doing} Upload {upload_id}: its status is {upload.status!r}, "
                "not 'pending'."
            )
        return upload

    def _expire(self, upload: Upload) -> None:
        """Time is read, never scheduled: a pending upload is expired once the clock says so."""
        if upload.status == "pending" and self._clock.now() >= upload.expires_at:
            upload.status = "expired"
            upload.parts.clear()

    @staticmethod
    def _chosen_parts(upload: Upload, part_ids: Sequence[str]) -> builtins.list[Part]:
        seen: set[str] = set()
        parts = []
        for part_id in part_ids:
            if part_id in seen:
                raise InvalidRequest(
                    f"Part {part_id} is listed more than once in part_ids.", param="part_ids"
                )
            seen.add(part_id)
            part = upload.parts.get(part_id)
            if part is None:
                raise InvalidRequest(
                    f"No such Part of Upload {upload.id}: {part_id}", param="part_ids"
                )
            parts.append(part)
        return parts


class PartTooLarge(InvalidRequest):
    param = "data"

    def __init__(self, limit: int) -> None:
        super().__init__(f"The part is larger than the {human_size(limit)} a part may hold.")


class PartBound:
    """The bound on a part, as the form reader asks for it (see ``FileStore.upload_bound``)."""

    def __init__(self, limit: int) -> None:
        self._limit = limit

    def room(self, fields: Mapping[str, str]) -> int:
        return self._limit

    def refuse(self, fields: Mapping[str, str], filename: str, size: int) -> None:
        if size > self._limit:
            raise PartTooLarge(self._limit)


def _check_md5(chunks: Iterable[bytes], expected: str) -> None:
    digest = hashlib.md5(usedforsecurity=False)
    for chunk in chunks:
        digest.update(chunk)
    if digest.hexdigest() != expected.strip().lower():
        raise InvalidRequest(
            f"The md5 of the parts ({digest.hexdigest()}) does not match the md5 given "
            f"({expected}).",
            param="md5",
        )
