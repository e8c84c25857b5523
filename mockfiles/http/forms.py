"""Streaming ``multipart/form-data`` bodies into memory, with werkzeug's decoder.

werkzeug's stock form parser spools files to temporary files and copies each chunk several
times. Here the body is read from the socket into one reused buffer, fed to werkzeug's
sans-IO ``MultipartDecoder``, and the file parts the operation wants are kept as the list of
chunks the decoder hands out: each byte lands in fresh memory once, and nothing touches disk.
Parts the operation does not want are decoded and dropped as they stream past.

A kept file part is never held past its bound (``FileBound``: the size limit and the storage
quota left, as known when the part starts), whatever the framing or the order of the fields:
the moment its bytes pass the bound, the upload is refused with the API's error, without
reading on.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from werkzeug.datastructures import Headers
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import (
    Data,
    Epilogue,
    Field,
    File,
    MultipartDecoder,
    NeedData,
    State,
)
from werkzeug.wrappers import Request

from mockfiles.errors import (
    InvalidRequest,
    MalformedBody,
    UnreadableBody,
    UnsupportedContentType,
)
from mockfiles.http.bodies import unreadable
from mockfiles.http.decoder import decoder_class
from mockfiles.model import Content

#: How much of the body is read from the socket at a time. Large reads keep the decoder's
#: per-call overhead small; the buffer is reused, so this is also the reader's own footprint.
READ_SIZE = 1024 * 1024

#: A text field (``purpose`` and the like) larger than this is not a field anyone sends.
MAX_FIELD_BYTES = 64 * 1024

#: More parts than this is not a form any client sends; it guards the decoder's work.
MAX_PARTS = 1000


#: When the body's length says a file part may be over its bound, this much of it is still kept
#: in case more parts follow it (so the file is smaller than it looks); past this, its bytes are
#: counted and dropped. It bounds what a refused upload with a Content-Length costs in memory.
UNSURE_KEEP_BYTES = 16 * 1024 * 1024

#: How much longer than a file's bound a body may be and still count as carrying a file within
#: it: the closing boundary's line break, an epilogue, small fields after the file.
ROOM_SLACK = 64 * 1024


class FileBound(Protocol):
    """How much of a kept file part may be held (the domain says: ``FileStore.upload_bound``,
    ``UploadStore.part_bound``)."""

    def room(self, fields: Mapping[str, str]) -> int:
        """The most bytes the part may have, given the text fields decoded before it."""

    def refuse(self, fields: Mapping[str, str], filename: str, size: int) -> None:
        """Raise the API's error for a part of ``size`` bytes, if one applies given the text
        fields read so far."""


@dataclass
class UploadedFile:
    """One file part: its name as sent, its declared type, its size and its bytes."""

    filename: str
    content_type: str | None
    size: int
    content: Content


@dataclass
class Form:
    """The decoded form: text fields and the kept file parts, the last of each name winning."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    #: File parts read and dropped (not in ``keep_files``): name -> (filename, size).
    dropped: dict[str, tuple[str, int]] = field(default_factory=dict)


def require_multipart(request: Request) -> bytes:
    """The boundary of a multipart body, or the error the API gives for any other body."""
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    # Media types are case-insensitive; the real message names the type without parameters.
    mimetype = mimetype.lower()
    if mimetype != "multipart/form-data":
        raise UnsupportedContentType(mimetype, "multipart/form-data")
    boundary = options.get("boundary", "")
    if not boundary:
        raise MalformedBody("Invalid multipart/form-data body: the Content-Type has no boundary.")
    try:
        return boundary.encode("ascii")
    except UnicodeEncodeError:
        raise MalformedBody(
            "Invalid multipart/form-data body: the boundary is not ASCII."
        ) from None


def read_form(
    request: Request, keep_files: Collection[str], bound: FileBound | None = None
) -> Form:
    """Decode the whole multipart body of ``request``.

    File parts named in ``keep_files`` are kept in memory, up to their ``bound``: a part that
    passes it is refused at once (``bound.refuse``). Other file parts are read and dropped.
    Raises ``APIError`` subclasses for every malformed body, never lets a decoder error escape.
    """
    boundary = require_multipart(request)
    decoder = decoder_class()(boundary, max_parts=MAX_PARTS)
    # Whatever follows a file's data: at least "\r\n--<boundary>--".
    trailer = len(boundary) + 6
    size = request.content_length
    reader = _FormBuilder(keep_files, bound, None if size is None else size - trailer)
    fed = 0
    stream = request.stream
    # A small body gets a small buffer: a fresh megabyte costs page faults on every request.
    buffer = bytearray(min(READ_SIZE, max(request.content_length or READ_SIZE, 1)))
    view = memoryview(buffer)
    try:
        while True:
            count = stream.readinto(buffer)  # type: ignore[attr-defined]
            if not count:
                break
            # The decoder only extends a bytearray with it: any buffer will do, no copy needed.
            decoder.receive_data(view[:count])  # type: ignore[arg-type]
            fed += count
            reader.drain(decoder, fed)
        decoder.receive_data(None)
        try:
            reader.drain(decoder, fed)
        except ValueError:
            # The decoder's way of saying the body stopped before a part or in the middle of one.
            raise MalformedBody(
                _NO_OPENING if decoder.state is State.PREAMBLE else _ENDS_EARLY
            ) from None
    except ClientDisconnected as error:
        raise unreadable(error, "Invalid multipart/form-data body: ") from None
    except OSError:
        # werkzeug's reader of chunked bodies raises OSError for framing it cannot follow.
        raise UnreadableBody(
            "Invalid multipart/form-data body: its chunked transfer encoding is malformed."
        ) from None
    except RequestEntityTooLarge:
        raise MalformedBody(
            f"Invalid multipart/form-data body: more than {MAX_PARTS} parts."
        ) from None
    except (ValueError, UnicodeDecodeError) as error:
        # The decoder raises ValueError for a body it cannot make sense of, and
        # UnicodeDecodeError for part headers that are not UTF-8.
        raise MalformedBody(f"Invalid multipart/form-data body: {_reason(error)}") from None
    finally:
        view.release()
    if not reader.complete:
        raise MalformedBody(_ENDS_EARLY)
    reader.refuse_dropped()
    return reader.form


_ENDS_EARLY = "Invalid multipart/form-data body: the body ends before its closing boundary."
_NO_OPENING = (
    "Invalid multipart/form-data body: no part starts with the boundary its Content-Type names."
)


def _reason(error: Exception) -> str:
    if isinstance(error, UnicodeDecodeError):
        return "part headers must be UTF-8."
    return f"{error}."


class _FormBuilder:
    """Turns the decoder's events into a ``Form``."""

    def __init__(
        self, keep_files: Collection[str], bound: FileBound | None, data_end: int | None
    ) -> None:
        self.form = Form()
        self.complete = False
        self._keep_files = keep_files
        self._bound = bound
        #: Where the last part's data must end at the latest, when the body's length is known.
        self._data_end = data_end
        #: The most bytes the current file part may have (its bound's room).
        self._room: int | None = None
        #: Kept file parts whose bytes were dropped: (name, filename, size).
        self._dropped: list[tuple[str, str, int]] = []
        self._name = ""
        self._file: File | None = None
        self._chunks: list[bytes] | None = None
        self._size = 0
        self._keep_at_most: int | None = None

    def drain(self, decoder: MultipartDecoder, fed: int) -> None:
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                return
            if isinstance(event, Data):
                self._data(event)
            elif isinstance(event, File | Field):
                # How far into the body this part's data starts.
                self._start(event, fed - len(decoder.buffer))
            elif isinstance(event, Epilogue):
                self.complete = True
                return

    def _start(self, event: File | Field, position: int) -> None:
        self._name = event.name or ""
        self._size = 0
        self._keep_at_most = MAX_FIELD_BYTES
        self._room = None
        self._chunks = []
        self._file = event if isinstance(event, File) else None
        if self._file is None:
            return
        if self._name not in self._keep_files:
            self._chunks = None
            return
        self._room = None if self._bound is None else self._bound.room(self.form.fields)
        body_room = None if self._data_end is None else self._data_end - position
        if self._room is None or body_room is None or body_room <= self._room + ROOM_SLACK:
            self._keep_at_most = self._room
        else:
            # The body is long enough for this file to be over its bound; keep a little in case
            # other parts follow it, then count without keeping.
            self._keep_at_most = min(self._room, UNSURE_KEEP_BYTES)

    def _data(self, event: Data) -> None:
        self._size += len(event.data)
        if self._file is not None and self._room is not None and self._size > self._room:
            assert self._bound is not None  # a room comes from a bound
            self._chunks = None  # let go of the bytes before the answer is made
            self._bound.refuse(self.form.fields, self._file.filename, self._size)
            # No error applies after all (the quota freed up meanwhile): it is over its room.
            raise _not_kept(self._name)
        if self._chunks is not None and event.data:
            if self._keep_at_most is not None and self._size > self._keep_at_most:
                if self._file is None:
                    raise InvalidRequest(
                        f"The form field {self._name!r} is larger than {MAX_FIELD_BYTES} bytes.",
                        param=self._name or None,
                    )
                self._chunks = None  # maybe over its bound: from here on, counted, not kept
            else:
                self._chunks.append(event.data)
        if event.more_data:
            return
        if self._file is None:
            text = b"".join(self._chunks or ()).decode("utf-8", errors="replace")
            self.form.fields[self._name] = text
        elif self._name in self._keep_files:
            if self._chunks is None:
                # Fields after it (its purpose) may still say which error it gets.
                self._dropped.append((self._name, self._file.filename, self._size))
                self._chunks = None
                return
            self.form.files[self._name] = UploadedFile(
                filename=self._file.filename,
                content_type=_content_type(self._file.headers),
                size=self._size,
                content=Content(self._chunks or ()),
            )
        else:
            self.form.dropped[self._name] = (self._file.filename, self._size)
        self._chunks = None

    def refuse_dropped(self) -> None:
        """A kept file part whose bytes were dropped is refused, with the error its size gets
        given every field of the form, else as not kept."""
        for name, filename, size in self._dropped:
            if self._bound is not None:
                self._bound.refuse(self.form.fields, filename, size)
            raise _not_kept(name)


def _not_kept(name: str) -> InvalidRequest:
    return InvalidRequest(
        f"The bytes of {name!r} were not kept: the request body was long enough for it to be "
        f"over its size limit. Send no large form parts after {name!r}.",
        param=name,
    )


def _content_type(headers: Headers) -> str | None:
    value = headers.get("Content-Type")
    return value or None
