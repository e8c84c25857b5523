"""Files and their bytes, kept per project. No HTTP here: methods mirror the operations and
raise ``APIError`` subclasses.

Every project (tenant) has its own files; an id of another project's file is as unknown as an
id that never existed.
"""

from __future__ import annotations

import builtins
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
from mockfiles.ids import IdFactory
from mockfiles.model import DOWNLOADABLE_PURPOSES, UPLOADABLE_PURPOSES, Content, FileObject, Page

LIST_LIMIT_MIN = 1
LIST_LIMIT_MAX = 10_000
LIST_LIMIT_DEFAULT = 10_000
LIST_ORDERS = ("asc", "desc")


@dataclass(frozen=True)
class StoredFile:
    """A file as the store holds it: the API object, its bytes and where it sits in order."""

    file: FileObject
    content: Content
    project: str
    #: Creation order within the store; breaks ties between files created in the same second.
    seq: int
    #: The ``expires_after`` form fields as sent, kept for the expiry rules.
    expires_after: Mapping[str, str] | None = None

    @property
    def sort_key(self) -> tuple[int, int]:
        return (self.file.created_at, self.seq)


@dataclass
class _Project:
    files: dict[str, StoredFile] = field(default_factory=dict)
    #: Where deleted files stood, so that a cursor naming one still marks a place in the list.
    positions: dict[str, tuple[int, int]] = field(default_factory=dict)


class FileStore:
    """All files of all projects, behind one lock.

    The lock is never held while a request body is read: callers hand over finished
    ``Content``.
    """

    def __init__(self, clock: Clock, ids: IdFactory) -> None:
        self._clock = clock
        self._ids = ids
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
        expires_after: Mapping[str, str] | None = None,
    ) -> FileObject:
        """``files.create``: store ``content`` as a new processed file."""
        if purpose not in UPLOADABLE_PURPOSES:
            raise InvalidPurpose(purpose)
        with self._lock:
            tenant = self._projects.setdefault(project, _Project())
            file_id = self._unused_id()
            obj = FileObject(
                id=file_id,
                bytes=content.size,
                created_at=self._clock.timestamp(),
                filename=filename,
                purpose=purpose,
            )
            self._seq += 1
            tenant.files[file_id] = StoredFile(
                file=obj,
                content=content,
                project=project,
                seq=self._seq,
                expires_after=dict(expires_after) if expires_after else None,
            )
            tenant.positions[file_id] = (obj.created_at, self._seq)
        return obj

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
            stored = self._get(project, file_id)
            del self._projects[project].files[file_id]
        return stored.file

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
            tenant = self._projects.get(project)
            if tenant is None:
                return Page(data=[], has_more=False)
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
            if project is None:
                tenants = list(self._projects.values())
            else:
                tenants = [self._projects[project]] if project in self._projects else []
            found = [s for t in tenants for s in t.files.values()]
        return sorted(found, key=lambda s: s.seq)

    def reset(self) -> None:
        """Forget every file of every project."""
        with self._lock:
            self._projects.clear()

    # -- internals -----------------------------------------------------------------------

    def _get(self, project: str, file_id: str) -> StoredFile:
        tenant = self._projects.get(project)
        stored = tenant.files.get(file_id) if tenant else None
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
