"""Files and their bytes, kept per project. No HTTP here: methods mirror the operations and
raise ``APIError`` subclasses.

Every project (tenant) has its own files; an id of another project's file is as unknown as an
id that never existed.

Time is read, never scheduled: a file whose ``expires_at`` the clock has reached is removed
the next time its project's state is read (any operation, ``files()``, ``usage()``), so moving
the clock takes effect at once and no timer or thread is involved. A file is expired when
``now >= expires_at``; expiry is final, even if the clock is later set back.
"""

from __future__ import annotations

import builtins
import dataclasses
import heapq
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field

from mockfiles.clock import Clock
from mockfiles.errors import (
    DownloadNotAllowed,
    FileNotFound,
    InvalidPurpose,
    InvalidRequest,
)
from mockfiles.expiry import expires_at
from mockfiles.ids import IdFactory
from mockfiles.limits import (
    Limits,
    StorageQuotaExceeded,
    check_encoding,
    check_format,
    check_size,
)
from mockfiles.model import (
    DOWNLOADABLE_PURPOSES,
    SYSTEM_PURPOSES,
    UPLOADABLE_PURPOSES,
    Content,
    FileObject,
    Page,
    SyntheticContent,
)

LIST_LIMIT_MIN = 1
LIST_LIMIT_MAX = 10_000
LIST_LIMIT_DEFAULT = 10_000
LIST_ORDERS = ("asc", "desc")
#: A storage limit no project reaches.
_NO_QUOTA = 2**63


@dataclass(frozen=True)
class StoredFile:
    """A file as the store holds it: the API object, its bytes and where it sits in order."""

    file: FileObject
    content: Content
    project: str
    #: Creation order within the store; breaks ties between files created in the same second.
    seq: int

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.file.created_at, self.seq)


@dataclass(frozen=True)
class Usage:
    """What a project stores: the bytes of its files and how many there are."""

    bytes: int
    files: int


@dataclass
class _Project:
    files: dict[str, StoredFile] = field(default_factory=dict)
    #: Where deleted and expired files stood, so a cursor naming one still marks a place.
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: (expires_at, seq, id) of every file that expires, soonest first.
    expiries: list[tuple[int, int, str]] = field(default_factory=list)
    bytes: int = 0

    def add(self, stored: StoredFile) -> None:
        self.files[stored.file.id] = stored
        self.positions[stored.file.id] = stored.sort_key
        self.bytes += stored.file.bytes
        if stored.file.expires_at is not None:
            heapq.heappush(self.expiries, (stored.file.expires_at, stored.seq, stored.file.id))

    def remove(self, file_id: str) -> StoredFile:
        stored = self.files.pop(file_id)
        self.bytes -= stored.file.bytes
        return stored

    def purge(self, now: float) -> None:
        """Forget every file whose ``expires_at`` has come."""
        while self.expiries and self.expiries[0][0] <= now:
            _, seq, file_id = heapq.heappop(self.expiries)
            stored = self.files.get(file_id)
            if stored is not None and stored.seq == seq:  # not deleted already
                self.remove(file_id)


class FileStore:
    """All files of all projects, behind one lock.

    The lock is never held while a request body is read: callers hand over finished
    ``Content``.
    """

    def __init__(self, clock: Clock, ids: IdFactory, limits: Limits | None = None) -> None:
        self._clock = clock
        self._ids = ids
        #: Replace it whole to change limits; readers take one consistent snapshot.
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._projects: dict[str, _Project] = {}
        self._seq = 0

    # -- the operations ----------------------------------------------------------------

    def create(
        self,
        project: str,
        *,
        filename: str,
        purpose: str,
        content: Content,
        expires_after: Mapping[str, object] | None = None,
    ) -> FileObject:
        """``files.create``: store ``content`` as a new processed file.

        ``expires_after`` is ``{"anchor": "created_at", "seconds": N}`` (values as sent); it
        sets ``expires_at``, else the purpose's default lifetime does. Checks, in order: the
        purpose, the file's format, its size, its encoding, ``expires_after``, the project's
        storage quota.
        """
        limits = self.limits
        self.check_upload(purpose, filename, content.size, limits)
        check_encoding(purpose, content)
        return self._insert(project, filename, purpose, content, None, expires_after, limits)

    def create_from_upload(
        self,
        project: str,
        *,
        filename: str,
        purpose: str,
        content: Content,
        created_at: int,
        expires_after: Mapping[str, object] | None,
    ) -> FileObject:
        """The File a completed Upload becomes: created when the upload was, checked against
        the project's quota (its name, purpose and size were checked when the upload was
        created, its encoding when it was completed)."""
        return self._insert(
            project, filename, purpose, content, created_at, expires_after, self.limits
        )

    def check_upload(
        self, purpose: str, filename: str, size: int, limits: Limits | None = None
    ) -> None:
        """The checks ``create`` makes before it looks at the bytes: the purpose, the file's
        format and its size. For an upload whose bytes were not kept because it was too large."""
        if purpose not in UPLOADABLE_PURPOSES:
            raise InvalidPurpose(purpose)
        check_format(purpose, filename)
        check_size(limits or self.limits, purpose, size)

    def upload_bound(self, project: str) -> UploadBound:
        """What may be held of a file being uploaded to ``project`` while its bytes arrive."""
        return UploadBound(self, project)

    def room(self, project: str, purpose: str | None) -> int:
        """The most bytes a file of ``purpose`` (``None``: not known yet) could hold in
        ``project`` now: the smaller of its size limit and what the storage quota leaves."""
        limits = self.limits
        with self._lock:
            used = self._tenant(project).bytes
        return max(0, min(limits.max_file_bytes(purpose), limits.storage_bytes - used))

    def refuse_upload(self, project: str, purpose: str | None, filename: str, size: int) -> None:
        """For a file whose bytes were not kept: raise the error a file of ``size`` bytes gets,
        with the checks in ``create``'s order (purpose, format, size, quota), if one applies.
        ``purpose`` is ``None`` while the form has not said it yet."""
        limits = self.limits
        if purpose is not None:
            self.check_upload(purpose, filename, size, limits)
        check_size(limits, purpose, size)
        if self.usage(project).bytes + size > limits.storage_bytes:
            raise StorageQuotaExceeded(limits.storage_bytes)

    def place(
        self,
        project: str,
        *,
        filename: str,
        purpose: str,
        size: int | None = None,
        content: Content | None = None,
        created_at: int | None = None,
        expires_after: Mapping[str, object] | None = None,
        within_quota: bool = True,
    ) -> FileObject:
        """Put a file straight into the store, as if it had been uploaded (by any route, so
        only the project's quota applies): ``content`` as given, or ``size`` synthetic bytes.
        System purposes such as ``batch_output`` are allowed: the platform makes those files.
        ``within_quota=False`` is for the files the platform writes itself (a batch's output):
        they count in the project's storage but are never refused."""
        if purpose not in UPLOADABLE_PURPOSES + SYSTEM_PURPOSES:
            raise InvalidPurpose(purpose)
        if content is None:
            if size is None:
                raise InvalidRequest("Give a file's content or its size.", param="content")
            if size < 0:
                raise InvalidRequest("A file's size cannot be negative.", param="size")
            content = SyntheticContent(size, seed=f"{project}/{filename}/{self._seq}")
        elif size is not None and size != content.size:
            raise InvalidRequest(
                f"size={size} does not match the {content.size} bytes of the content given.",
                param="size",
            )
        limits = (
            self.limits
            if within_quota
            else dataclasses.replace(self.limits, storage_bytes=_NO_QUOTA)
        )
        return self._insert(project, filename, purpose, content, created_at, expires_after, limits)

    def retrieve(self, project: str, file_id: str) -> FileObject:
        """``files.retrieve``."""
        with self._lock:
            return self._get(project, file_id).file

    def content(self, project: str, file_id: str) -> tuple[FileObject, Content]:
        """``files.content``: the file and its bytes, for the purposes that may be downloaded."""
        with self._lock:
            stored = self._get(project, file_id)
        if stored.file.purpose not in DOWNLOADABLE_PURPOSES:
            raise DownloadNotAllowed(stored.file.purpose)
        return stored.file, stored.content

    def delete(self, project: str, file_id: str) -> FileObject:
        """``files.delete``: forget the file and drop the store's hold on its bytes."""
        with self._lock:
            self._get(project, file_id)
            return self._projects[project].remove(file_id).file

    def list(
        self,
        project: str,
        *,
        purpose: str | None = None,
        limit: int = LIST_LIMIT_DEFAULT,
        order: str = "desc",
        after: str | None = None,
    ) -> Page:
        """``files.list``: one page in ``created_at`` order, ties in creation order.

        ``after`` is exclusive and walks in the requested order. A cursor naming a file that was
        deleted still marks its place. A cursor naming no file this project ever had yields an
        empty page: nothing is known to follow it (what a keyset query whose cursor row is
        missing returns). The real API's behaviour here is unknown.
        """
        if not LIST_LIMIT_MIN <= limit <= LIST_LIMIT_MAX:
            bound = (
                "less than the minimum of 1"
                if limit < LIST_LIMIT_MIN
                else ("greater than the maximum of 10000")
            )
            raise InvalidRequest(f"{limit} is {bound} - 'limit'", param="limit")
        if order not in LIST_ORDERS:
            raise InvalidRequest(
                f"{order!r} is not one of {list(LIST_ORDERS)!r} - 'order'", param="order"
            )
        with self._lock:
            tenant = self._tenant(project)
            records = [
                s for s in tenant.files.values() if purpose is None or s.file.purpose == purpose
            ]
            cursor = tenant.positions.get(after) if after is not None else None
        if after is not None and cursor is None:
            return Page(data=[], has_more=False)
        # Files are nearly always created in clock order, so this sort is close to linear.
        records.sort(key=lambda s: s.sort_key)
        keys = [s.sort_key for s in records]
        if order == "asc":
            start = bisect_right(keys, cursor) if cursor else 0
            window = records[start : start + limit + 1]
        else:
            end = bisect_left(keys, cursor) if cursor else len(records)
            window = records[max(0, end - limit - 1) : end][::-1]
        return Page(data=[s.file for s in window[:limit]], has_more=len(window) > limit)

    # -- read access for tests and the facade --------------------------------------------

    def files(self, project: str | None = None) -> builtins.list[StoredFile]:
        """Every stored file (of one project, or of all), in creation order."""
        with self._lock:
            names = list(self._projects) if project is None else [project]
            found = [s for name in names for s in self._tenant(name).files.values()]
        return sorted(found, key=lambda s: s.seq)

    def usage(self, project: str | None) -> Usage:
        """The bytes and the number of the files a project (or every project) stores now."""
        with self._lock:
            names = list(self._projects) if project is None else [project]
            tenants = [self._tenant(name) for name in names]
            return Usage(
                bytes=sum(t.bytes for t in tenants), files=sum(len(t.files) for t in tenants)
            )

    def reset(self) -> None:
        """Forget every file of every project."""
        with self._lock:
            self._projects.clear()

    # -- internals -----------------------------------------------------------------------

    def _insert(
        self,
        project: str,
        filename: str,
        purpose: str,
        content: Content,
        created_at: int | None,
        expires_after: Mapping[str, object] | None,
        limits: Limits,
    ) -> FileObject:
        with self._lock:
            tenant = self._tenant(project)
            created = self._clock.timestamp() if created_at is None else created_at
            expiry = expires_at(purpose, created, expires_after)
            # Checked under the lock, with the insert: concurrent uploads cannot both fit.
            if tenant.bytes + content.size > limits.storage_bytes:
                raise StorageQuotaExceeded(limits.storage_bytes)
            obj = FileObject(
                id=self._unused_id(),
                bytes=content.size,
                created_at=created,
                filename=filename,
                purpose=purpose,
                expires_at=expiry,
            )
            self._seq += 1
            tenant.add(StoredFile(file=obj, content=content, project=project, seq=self._seq))
        return obj

    def _tenant(self, project: str) -> _Project:
        """The project's state, with its expired files gone. Call with the lock held."""
        tenant = self._projects.get(project)
        if tenant is None:
            tenant = self._projects[project] = _Project()
        tenant.purge(self._clock.now())
        return tenant

    def _get(self, project: str, file_id: str) -> StoredFile:
        stored = self._tenant(project).files.get(file_id)
        if stored is None:
            raise FileNotFound(file_id)
        return stored

    def _unused_id(self) -> str:
        # Ids are unique across projects, as the real API's are. 128 random bits make a
        # collision all but impossible; a seeded run replays the same draws, so check anyway.
        while True:
            file_id = self._ids.file_id()
            if not any(file_id in t.positions for t in self._projects.values()):
                return file_id


class UploadBound:
    """The bound on one project's uploads, as the form reader asks for it: the ``room`` a file
    has given the form fields read before it, and the refusal once it has more."""

    def __init__(self, store: FileStore, project: str) -> None:
        self._store = store
        self._project = project

    def room(self, fields: Mapping[str, str]) -> int:
        return self._store.room(self._project, fields.get("purpose"))

    def refuse(self, fields: Mapping[str, str], filename: str, size: int) -> None:
        self._store.refuse_upload(self._project, fields.get("purpose"), filename, size)
