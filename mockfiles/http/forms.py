"""Streaming ``multipart/form-data`` bodies into memory, with werkzeug's decoder.

werkzeug's stock form parser spools files to temporary files and copies each chunk several
times. Here the body is read from the socket into one reused buffer, fed to werkzeug's
sans-IO ``MultipartDecoder``, and the file parts the operation wants are kept as the list of
chunks the decoder hands out: each byte lands in fresh memory once, and nothing touches disk.
Parts the operation does not want are decoded and dropped as they stream past.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

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
from mockfiles.http.decoder import decoder_class
from mockfiles.model import Content

#: How much of the body is read from the socket at a time. Large reads keep the decoder's
#: per-call overhead small; the buffer is reused, so this is also the reader's own footprint.
READ_SIZE = 1024 * 1024

#: A text field (``purpose`` and the like) larger than this is not a field anyone sends.
MAX_FIELD_BYTES = 64 * 1024

#: More parts than this is not a form any client sends; it guards the decoder's work.
MAX_PARTS = 1000


@dataclass
class UploadedFile:
    """One file part: its name as sent, its declared type and its bytes."""

    filename: str
    content_type: str | None
    content: Content


@dataclass
class Form:
    """The decoded form: text fields and the kept file parts, the last of each name winning."""

    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)


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


def read_form(request: Request, keep_files: Collection[str]) -> Form:
    """Decode the whole multipart body of ``request``.

    File parts named in ``keep_files`` are kept in memory; other file parts are read and
    dropped. Raises ``APIError`` subclasses for every malformed body, never lets a decoder
    error escape.
    """
    boundary = require_multipart(request)
    decoder = decoder_class()(boundary, max_parts=MAX_PARTS)
    reader = _FormBuilder(keep_files)
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
            reader.drain(decoder)
        decoder.receive_data(None)
        try:
            reader.drain(decoder)
        except ValueError:
            # The decoder's way of saying the body stopped before a part or in the middle of one.
            raise MalformedBody(
                _NO_OPENING if decoder.state is State.PREAMBLE else _ENDS_EARLY
            ) from None
    except ClientDisconnected:
        raise UnreadableBody(
            "Invalid multipart/form-data body: the body ended before its Content-Length."
        ) from None
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

    def __init__(self, keep_files: Collection[str]) -> None:
        self.form = Form()
        self.complete = False
        self._keep_files = keep_files
        self._name = ""
        self._file: File | None = None
        self._chunks: list[bytes] | None = None
        self._field_size = 0

    def drain(self, decoder: MultipartDecoder) -> None:
        while True:
            event = decoder.next_event()
            if isinstance(event, NeedData):
                return
            if isinstance(event, Data):
                self._data(event)
            elif isinstance(event, File | Field):
                self._start(event)
            elif isinstance(event, Epilogue):
                self.complete = True
                return

    def _start(self, event: File | Field) -> None:
        self._name = event.name or ""
        self._field_size = 0
        if isinstance(event, File):
            self._file = event
            self._chunks = [] if self._name in self._keep_files else None
        else:
            self._file = None
            self._chunks = []

    def _data(self, event: Data) -> None:
        if self._chunks is not None and event.data:
            if self._file is None:
                self._field_size += len(event.data)
                if self._field_size > MAX_FIELD_BYTES:
                    raise InvalidRequest(
                        f"The form field {self._name!r} is larger than {MAX_FIELD_BYTES} bytes.",
                        param=self._name or None,
                    )
            self._chunks.append(event.data)
        if event.more_data:
            return
        if self._file is None:
            text = b"".join(self._chunks or ()).decode("utf-8", errors="replace")
            self.form.fields[self._name] = text
        elif self._chunks is not None:
            self.form.files[self._name] = UploadedFile(
                filename=self._file.filename,
                content_type=_content_type(self._file.headers),
                content=Content(self._chunks),
            )
        self._chunks = None


def _content_type(headers: Headers) -> str | None:
    value = headers.get("Content-Type")
    return value or None
