"""Generated hostile requests for ``test_hostile.py``: thousands of malformed, odd or
half-finished HTTP/1.1 requests in families, from seeded random sources (every run sends the
same bytes).

Each ``Hostile`` says what may come back: an answer is required wherever HTTP allows one; a
request whose framing cannot be trusted must be answered with the connection's end announced
(``Connection: close``); a request that is merely odd keeps the connection, so the follow-up
request pipelined after it must be answered, in sync.
"""

from __future__ import annotations

import json
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass

AUTH = b"Authorization: Bearer sk-hostile"
HOST = b"Host: mockfiles"
JSON_TYPE = b"Content-Type: application/json"

#: How the client ends its side after sending.
OPEN = "open"  # keeps the connection open and reads the answers
HALF_CLOSE = "half-close"  # ends its sending side, then reads
ABORT = "abort"  # closes at once, reading nothing
STALL = "stall"  # keeps the connection open and sends nothing more

#: Endpoints that read a JSON body (the control plane's included), and the multipart ones.
#: Never the control endpoints that could change what the storm relies on (keys, limits,
#: faults, reset): a generated body may be a valid one.
BATCH_TARGETS = (b"/v1/batches", b"/v1/batches/batch_hostile/cancel")
CONTROL_TARGETS = (
    b"/_mockfiles/clock",
    b"/_mockfiles/files",
    b"/_mockfiles/batches/respond",
    b"/_mockfiles/batches/timing",
)
JSON_TARGETS = (
    b"/v1/uploads",
    b"/v1/uploads/upload_hostile/complete",
    b"/v1/uploads/upload_hostile/cancel",
    *BATCH_TARGETS,
    *CONTROL_TARGETS,
)
BODY_TARGETS = (*JSON_TARGETS, b"/v1/files", b"/v1/uploads/upload_hostile/parts")


@dataclass(frozen=True)
class Hostile:
    family: str
    label: str
    wire: bytes
    #: Whether an answer is required (False: none may come, or it cannot be read).
    answered: bool = True
    #: Whether the follow-up request must be answered on the same connection.
    keeps: bool = True
    ending: str = OPEN
    #: Statuses the first answer may have (``None``: any below 500).
    statuses: frozenset[int] | None = None
    #: Whether the method is HEAD (its answer has no body).
    head: bool = False
    #: How many requests the bytes hold (pipelining): the follow-up's answer comes after theirs.
    requests: int = 1

    def describe(self) -> str:
        shown = self.wire if len(self.wire) <= 120 else self.wire[:120] + b"..."
        return f"[{self.family}: {self.label}] {shown!r} ({len(self.wire)} bytes)"


def request(
    method: bytes,
    target: bytes,
    headers: tuple[bytes, ...] = (AUTH,),
    body: bytes = b"",
    *,
    length: bool = True,
    version: bytes = b"HTTP/1.1",
) -> bytes:
    lines = [b"%s %s %s" % (method, target, version), HOST, *headers]
    if length:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def chunked(*pieces: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces if p) + b"0\r\n\r\n"


def token(rng: random.Random, size: int, alphabet: str = string.ascii_letters) -> bytes:
    return "".join(rng.choice(alphabet) for _ in range(size)).encode()


BAD = frozenset({400})
FRAMING = frozenset({400, 431})


def upload_form(rng: random.Random, boundary: bytes, purpose: bytes = b"nonsense") -> bytes:
    """A well-formed upload form; its purpose is refused, so nothing is stored."""
    data = rng.randbytes(rng.randrange(0, 200))
    return (
        b'--%s\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n%s\r\n'
        b'--%s\r\nContent-Disposition: form-data; name="file"; filename="h.jsonl"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n%s\r\n--%s--\r\n"
    ) % (boundary, purpose, boundary, data, boundary)


# -- the families ------------------------------------------------------------------------


def content_lengths(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "content-length"
    invalid = [
        b"abc",
        b"-1",
        b"+2",
        b"0x2",
        b"1e1",
        b"\xef\xbc\x92",
        b"2.0",
        b"",
        b"2 2",
        b"99999999999999999999999999",
        b"0,1",
        b"2, 3",
        b"\xd9\xa2",
        b"1_0",
        b"-0",
    ]
    for i in range(count):
        target = rng.choice(BODY_TARGETS + (b"/v1/files/file-x", b"/v1/files"))
        body = b'{"purpose": "batch"}'
        kind = i % 5
        if kind <= 1:
            value = rng.choice(invalid)
            wire = request(
                b"POST", target, (AUTH, JSON_TYPE, b"Content-Length: " + value), body, length=False
            )
            yield Hostile(family, f"Content-Length {value!r}", wire, keeps=False, statuses=BAD)
        elif kind == 2:
            a, b = rng.sample(range(0, 40), 2)
            headers = (AUTH, JSON_TYPE, b"Content-Length: %d" % a, b"Content-Length: %d" % b)
            wire = request(b"POST", target, headers, body[: min(a, b)], length=False)
            yield Hostile(family, "two differing Content-Lengths", wire, keeps=False, statuses=BAD)
        elif kind == 3:
            n = len(body)
            headers = (AUTH, JSON_TYPE, b"Content-Length: %d" % n, b"Content-Length: %d" % n)
            wire = request(b"POST", target, headers, body, length=False)
            yield Hostile(family, "two equal Content-Lengths", wire)
        else:
            # Declared shorter than sent: the rest is read as the next request (garbage: refused).
            extra = token(rng, rng.randrange(1, 30), string.ascii_letters) + b" \x00\r\n"
            headers = (AUTH, JSON_TYPE, b"Content-Length: %d" % len(body))
            wire = request(b"POST", target, headers, body + extra, length=False)
            yield Hostile(family, "a body longer than its Content-Length", wire, keeps=False)


def transfer_encodings(rng: random.Random, count: int, victim: bytes) -> Iterator[Hostile]:
    family = "transfer-encoding"
    refused = [
        b"Transfer-Encoding: xchunked",
        b"Transfer-Encoding: identity",
        b"Transfer-Encoding: gzip, chunked",
        b"Transfer-Encoding: chunked, gzip",
        b"Transfer-Encoding: chunked, chunked",
        b"Transfer-Encoding : chunked",
        b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked",
        b"Transfer-Encoding: gzip",
        b"Transfer-Encoding:",
        b"Transfer-Encoding: \x0bchunked",
        b"Transfer-Encoding: chunk",
    ]
    accepted = [
        b"Transfer-Encoding: chunked",
        b"Transfer-Encoding: Chunked",
        b"Transfer-Encoding: CHUNKED",
        b"Transfer-Encoding:chunked",
        b"Transfer-Encoding: chunked  ",
    ]
    smuggled = b"DELETE /v1/files/%s HTTP/1.1\r\nHost: x\r\n%s\r\n\r\n" % (victim, AUTH)
    for i in range(count):
        target = rng.choice(BODY_TARGETS)
        body = chunked(b'{"advance": 0}')
        kind = i % 4
        if kind == 0:
            te = rng.choice(refused)
            wire = request(b"POST", target, (AUTH, JSON_TYPE, te), body + smuggled, length=False)
            yield Hostile(family, repr(te), wire, keeps=False, statuses=BAD)
        elif kind == 1:
            te = rng.choice(accepted)
            wire = request(b"POST", target, (AUTH, JSON_TYPE, te), body, length=False)
            yield Hostile(family, repr(te), wire)
        elif kind == 2:
            # Content-Length and Transfer-Encoding: the chunked coding wins and the connection
            # closes; the smuggled DELETE must never run.
            length = rng.choice([5, 0, len(body), len(body) + len(smuggled)])
            headers = (AUTH, JSON_TYPE, b"Content-Length: %d" % length, rng.choice(accepted))
            if rng.random() < 0.5:
                headers = headers[:2] + headers[3:] + headers[2:3]
            wire = request(b"POST", target, headers, body + smuggled, length=False)
            yield Hostile(family, "Content-Length with Transfer-Encoding", wire, keeps=False)
        else:
            wire = request(
                b"POST",
                target,
                (AUTH, JSON_TYPE, b"Transfer-Encoding: chunked"),
                body,
                length=False,
                version=b"HTTP/1.0",
            )
            yield Hostile(family, "chunked in HTTP/1.0", wire, keeps=False)


def chunk_framings(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "chunk-framing"
    te = b"Transfer-Encoding: chunked"
    payload = b'{"advance": 0}'
    legal = [
        ("an extension", b"%x;ext=1\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)),
        ("extensions", b'%x;a=b;c="d"\r\n%s\r\n0;z\r\n\r\n' % (len(payload), payload)),
        ("a trailer", chunked(payload)[:-2] + b"X-T: 1\r\n\r\n"),
        ("trailers", chunked(payload)[:-2] + b"X-T: 1\r\nX-U: 2\r\n\r\n"),
        ("one-byte chunks", b"".join(b"1\r\n%c\r\n" % c for c in payload) + b"0\r\n\r\n"),
        ("upper-case hex", b"%X\r\n%s\r\n0\r\n\r\n" % (len(payload), payload)),
        ("leading zeros", b"000%x\r\n%s\r\n0000\r\n\r\n" % (len(payload), payload)),
        ("an empty body", b"0\r\n\r\n"),
    ]
    malformed = [
        ("a size that is not hex", b"zz\r\n0\r\n\r\n"),
        ("a negative size", b"-5\r\nabcde\r\n0\r\n\r\n"),
        ("a chunk without its CRLF", b"3\r\nabcXX\r\n0\r\n\r\n"),
        ("a bad size, then hex digits", b"zz\r\nabc\r\n0\r\n\r\n"),
        ("a size of 0x", b"0x3\r\nabc\r\n0\r\n\r\n"),
        ("a size of 30 digits", b"1" * 30 + b"\r\nabc\r\n0\r\n\r\n"),
        ("a space before the size", b" 3\r\nabc\r\n0\r\n\r\n"),
        ("an empty size line", b"\r\nabc\r\n0\r\n\r\n"),
        ("a chunk longer than its size", b"2\r\nabcdef\r\n0\r\n\r\n"),
        ("a malformed trailer", b"3\r\nabc\r\n0\r\nno colon here\r\n\r\n"),
    ]
    for i in range(count):
        target = rng.choice(BODY_TARGETS + (b"/v1/files?limit=1",))
        method = b"GET" if target.startswith(b"/v1/files?") else b"POST"
        headers = (AUTH, JSON_TYPE, te)
        kind = i % 4
        if kind == 0:
            label, body = rng.choice(legal)
            yield Hostile(family, label, request(method, target, headers, body, length=False))
        elif kind in (1, 2):
            label, body = rng.choice(malformed)
            wire = request(method, target, headers, body, length=False)
            yield Hostile(family, label, wire, keeps=False, statuses=BAD)
        else:
            # Cut off inside the framing, then the client ends its side: a 400, never a bug.
            label, body = rng.choice(
                legal + [("a chunk of 2^64 - 1 bytes", b"ffffffffffffffff\r\nabc")]
            )
            body = body[: rng.randrange(0, len(body))]
            wire = request(method, target, headers, body, length=False)
            yield Hostile(family, f"{label}, cut off", wire, keeps=False, ending=HALF_CLOSE)


def multiparts(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "multipart"
    for i in range(count):
        boundary = b"hb" + token(rng, 12)
        form = upload_form(rng, boundary)
        target = rng.choice([b"/v1/files", b"/v1/uploads/upload_hostile/parts"])
        declared = b"Content-Type: multipart/form-data; boundary=" + boundary
        kind = i % 6
        if kind == 0:
            form = form[: rng.randrange(0, len(form))]
            label = "truncated"
        elif kind == 1:
            at = rng.randrange(0, len(form))
            form = form[:at] + rng.randbytes(rng.randrange(1, 20)) + form[at:]
            label = "random bytes inserted"
        elif kind == 2:
            declared = rng.choice(
                [
                    b"Content-Type: multipart/form-data",
                    b"Content-Type: multipart/form-data; b=x",
                    b"Content-Type: multipart/form-data; boundary=\xff",
                    b"Content-Type: text/plain",
                    b"Content-Type: multipart/form-data; boundary=" + b"x" * 2000,
                ]
            )
            label = "an odd Content-Type"
        elif kind == 3:
            form = form.replace(b"purpose", b"pur\xffpose", 1)
            label = "a field name that is not UTF-8"
        elif kind == 4:
            form = form.replace(b"\r\n", b"\n")
            label = "bare LFs"
        else:
            big = b"p" * rng.randrange(60_000, 70_000)
            form = form.replace(b"nonsense", big, 1)
            label = "a purpose of 64 KiB or so"
        if rng.random() < 0.3:
            wire = request(
                b"POST",
                target,
                (AUTH, declared, b"Transfer-Encoding: chunked"),
                chunked(form[: len(form) // 2], form[len(form) // 2 :]),
                length=False,
            )
            label += ", chunked"
        else:
            wire = request(b"POST", target, (AUTH, declared), form)
        yield Hostile(family, label, wire)


def odd_headers(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "headers"
    refused = [
        b"X-Nul: a\x00b",
        b"X-Cr: a\rb",
        b"NoColon",
        b": empty-name",
        b"X Space: 1",
        b"X-\x01: 1",
        b"\x7f: 1",
        b"X-Bad\xe9: 1",
    ]
    odd = [
        b"X-Fold: a\r\n b\r\n\tc",
        b"X-Latin: \xe9\xff",
        b"X-Utf8: \xe2\x82\xac",
        b"X-Tab: a\tb",
        b"X-Empty:",
        b"OpenAI-Project: \xe9t\xe9",
        b"OpenAI-Organization: " + b"o" * 5000,
        b"Expect: something-else",
        b"Connection: upgrade\r\nUpgrade: h2c",
        b"Content_Type: text/plain",
        b"X-Long: " + b"l" * 20_000,
        b"Cookie: " + b"c=1; " * 500,
        b"x-stainless-retry-count: 99999999999",
        b"Authorization: Bearer " + b"k" * 3000,
    ]
    for i in range(count):
        target = rng.choice([b"/v1/files", b"/v1/files/file-x", b"/_mockfiles/clock"])
        kind = i % 5
        if kind == 0:
            header = rng.choice(refused)
            wire = request(b"GET", target, (AUTH, header))
            yield Hostile(family, repr(header[:40]), wire, keeps=False, statuses=BAD)
        elif kind in (1, 2):
            chosen = tuple(rng.sample(odd, rng.randrange(1, 4)))
            yield Hostile(family, repr(chosen)[:60], request(b"GET", target, (AUTH, *chosen)))
        elif kind == 3:
            many = tuple(b"X-%d: %s" % (n, token(rng, 8)) for n in range(rng.randrange(95, 110)))
            over = len(many) + 2 > 100  # Host and Authorization count too
            wire = request(b"GET", target, (AUTH, *many), length=False)
            yield Hostile(family, f"{len(many)} extra headers", wire, keeps=not over)
        else:
            wire = request(b"GET", target, (), length=False)
            wire = wire.replace(HOST + b"\r\n", b"", 1)  # HTTP/1.1 needs a Host
            yield Hostile(family, "no Host", wire, keeps=False, statuses=BAD)


def request_lines(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "request-line"
    refused = [
        b"GET /v1/files HTTP/2.0",
        b"GET /v1/files HTTP/1.2",
        b"GET /v1/files http/1.1",
        b"GET  /v1/files HTTP/1.1",
        b"GET /v1/files  HTTP/1.1",
        b"GET\t/v1/files HTTP/1.1",
        b"GET /v1/files",
        b"/v1/files HTTP/1.1",
        b"GET /v1/fi les HTTP/1.1",
        b"",
        b"GET /v1/files HTTP/1.1 extra",
        b"GET /v1/\xe9 HTTP/1.1",
        b"G\x00T / HTTP/1.1",
        b"GET /v1/files?a=" + b"a" * 70_000 + b" HTTP/1.1",
    ]
    for i in range(count):
        kind = i % 4
        if kind == 0:
            line = rng.choice(refused)
            wire = line + b"\r\n" + HOST + b"\r\n" + AUTH + b"\r\n\r\n"
            yield Hostile(family, repr(line[:50]), wire, keeps=False)
        elif kind == 1:
            blank = rng.choice([b"\r\n", b"\n", b"\r\n\r\n", b"\r\n" * 5, b"\n\r\n"])
            wire = blank + request(b"GET", b"/v1/files/file-x")
            yield Hostile(family, f"{blank!r} before the request line", wire)
        elif kind == 2:
            target = rng.choice(
                [
                    b"http://mockfiles/v1/files",
                    b"*",
                    b"mockfiles:443",
                    b"//v1/files",
                    b"/v1/files#frag",
                    b"/v1/files?",
                    b"/?",
                ]
            )
            method = rng.choice([b"GET", b"OPTIONS", b"CONNECT", b"POST"])
            yield Hostile(family, f"{method!r} {target!r}", request(method, target))
        else:
            wire = request(b"GET", b"/v1/files/file-x", version=b"HTTP/1.0")
            yield Hostile(family, "HTTP/1.0", wire, keeps=False)


def methods_and_paths(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "methods-and-paths"
    methods = [
        b"GET",
        b"POST",
        b"DELETE",
        b"PUT",
        b"PATCH",
        b"HEAD",
        b"OPTIONS",
        b"TRACE",
        b"FOO",
        b"get",
        b"M-SEARCH",
        b"PROPFIND",
        b"X" * 40,
    ]
    segments = (
        b". .. %2e %2F %00 %ZZ %e2%82%ac %ff files v1 content uploads parts complete "
        b"cancel file- upload_x ~ %20 + @ : ! $ & ' ( ) * , ; = _mockfiles clock"
    ).split()
    for _ in range(count):
        method = rng.choice(methods)
        path = b"/" + b"/".join(rng.choice(segments) for _ in range(rng.randrange(0, 7)))
        if rng.random() < 0.3:
            path = b"/v1/files/" + path.lstrip(b"/")
        if b"_mockfiles" in path and method not in (b"GET", b"HEAD"):
            path = path.replace(b"_mockfiles", b"_mockfilez")  # never drive the control plane
        body = rng.randbytes(rng.randrange(0, 40)) if rng.random() < 0.4 else b""
        yield Hostile(
            family, f"{method!r} {path!r}", request(method, path, body=body), head=method == b"HEAD"
        )


def query_values(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "query-values"
    pieces = (
        b"limit=abc limit=0 limit=10001 limit=-1 limit= limit=1.5 limit=1e3 limit=%20 "
        b"limit=%EF%BC%91 limit=+5 limit=99999999999999999999999 limit=%00 order=asc "
        b"order=sideways order= order=%00 after=unknown after= after=%ff%fe purpose=batch "
        b"purpose=%00 %ZZ=%ZZ = && a=b=c ; % limit=1 limit=10000 after=file-x limit=100 "
        b"limit=101 limit=%2B1 limit=0x10 limit=1%00 after=batch_x after=batch_%ff "
        b"after=%ed%a0%80 after=%F0%9F%98%80 limit=%D9%A1"
    ).split()
    for i in range(count):
        query = b"&".join(rng.choice(pieces) for _ in range(rng.randrange(1, 6)))
        # Every other one lists batches: the same values, another parser of them.
        path = b"/v1/batches?" if i % 2 else b"/v1/files?"
        yield Hostile(family, repr(path + query), request(b"GET", path + query))


def json_bodies(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "json-bodies"
    fixed = [
        b"",
        b" ",
        b"null",
        b"[]",
        b'"x"',
        b"1",
        b"{",
        b"{}",
        b'{"a":}',
        b"\xef\xbb\xbf{}",
        b'{"bytes": 1e999}',
        b'{"bytes": NaN}',
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b"\xff\xfe{}",
        b'{"a": "\\ud800"}',
        b'{"advance": "x"}',
        b'{"set": "not a date"}',
        b'{"advance": 1e308}',
        b'{"advance": 0, "set": 0}',
        b'{"part_ids": [1, 2]}',
        b'{"md5": 5}',
    ]
    for _ in range(count):
        target = rng.choice(JSON_TARGETS)
        if rng.random() < 0.5:
            body = rng.choice(fixed)
        else:
            value = {
                "filename": rng.choice(["a.jsonl", "", 5, None, "x" * 300]),
                "purpose": rng.choice(["batch", "nope", 1, []]),
                "bytes": rng.choice([-1, 0, 10, 2**70, "10", True]),
                "mime_type": rng.choice(["text/plain", 3, None]),
                "part_ids": rng.choice([[], ["part_x"], "x", [None]]),
                "advance": rng.choice([0, -0.0, "0", None]),
            }
            chosen = dict(rng.sample(sorted(value.items()), rng.randrange(0, len(value))))
            body = json.dumps(chosen).encode()
            if target == b"/_mockfiles/clock":
                body = b'{"advance": 0}' if rng.random() < 0.5 else body
        content_type = rng.choice(
            [
                JSON_TYPE,
                b"Content-Type: application/json; charset=utf-8",
                b"Content-Type: text/plain",
            ]
        )
        yield Hostile(family, repr(body[:40]), request(b"POST", target, (AUTH, content_type), body))


def pipelines(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "pipelining"
    simple = [
        request(b"GET", b"/v1/files?limit=1"),
        request(b"GET", b"/v1/files/file-x"),
        request(b"POST", b"/v1/uploads", (AUTH, JSON_TYPE), b'{"purpose": "nope"}'),
        request(b"DELETE", b"/v1/files/file-x"),
        request(b"GET", b"/_mockfiles/clock", ()),
        request(
            b"POST",
            b"/v1/uploads",
            (AUTH, JSON_TYPE, b"Transfer-Encoding: chunked"),
            chunked(b'{"purp', b'ose": 1}'),
            length=False,
        ),
    ]
    for _ in range(count):
        chosen = [rng.choice(simple) for _ in range(rng.randrange(2, 6))]
        # The answers come in order; the follow-up's is the last.
        yield Hostile(
            family, f"{len(chosen)} requests in one write", b"".join(chosen), requests=len(chosen)
        )


def early_disconnects(rng: random.Random, count: int) -> Iterator[Hostile]:
    family = "early-disconnect"
    whole = [
        request(b"POST", b"/v1/uploads", (AUTH, JSON_TYPE), b'{"purpose": "batch", "x": 1}'),
        request(b"POST", b"/_mockfiles/clock", (JSON_TYPE,), b'{"advance": 0}'),
        request(
            b"POST",
            b"/v1/files",
            (AUTH, b"Content-Type: multipart/form-data; boundary=b"),
            upload_form(rng, b"b"),
        ),
        request(b"GET", b"/v1/files", (AUTH,), b"0123456789"),
        request(
            b"POST",
            b"/v1/uploads/upload_x/cancel",
            (AUTH, JSON_TYPE, b"Transfer-Encoding: chunked"),
            chunked(b"{}"),
            length=False,
        ),
        *disconnect_targets(),
    ]
    for i in range(count):
        wire = rng.choice(whole)
        cut = rng.randrange(1, len(wire))
        sent = wire[:cut]
        if i % 3 == 0:
            yield Hostile(
                family, f"cut at {cut}, then gone", sent, answered=False, keeps=False, ending=ABORT
            )
        else:
            # Whatever of a request arrived is answered (a 400 when it is cut short).
            yield Hostile(
                family,
                f"cut at {cut}, then half-closed",
                sent,
                keeps=False,
                ending=HALF_CLOSE,
                answered=bool(sent.strip(b"\r\n")),
            )


def disconnect_targets() -> list[bytes]:
    """A whole request to each batch and seeding endpoint, by Content-Length and chunked, for a
    client to break off in the middle of its body."""
    bodies = {
        b"/v1/batches": b'{"input_file_id": "file-x", "endpoint": "/v1/chat/completions", '
        b'"completion_window": "24h", "metadata": {"k": "%s"}}' % (b"v" * 200),
        b"/v1/batches/batch_x/cancel": b"{}" + b" " * 100,
        b"/_mockfiles/files": b'{"purpose": "user_data", "filename": "d.txt", "content": "%s"}'
        % (b"c" * 300),
        b"/_mockfiles/batches/respond": b'{"custom_id": "d", "body": {"t": "%s"}}' % (b"t" * 200),
        b"/_mockfiles/batches/timing": b'{"in_progress": 1, "pad": "%s"}' % (b"p" * 200),
    }
    wires = []
    for target, body in bodies.items():
        headers = (AUTH, JSON_TYPE)
        wires.append(request(b"POST", target, headers, body))
        wires.append(
            request(
                b"POST",
                target,
                (*headers, b"Transfer-Encoding: chunked"),
                chunked(body[:100], body[100:]),
                length=False,
            )
        )
    return wires


def half_sent(rng: random.Random, count: int) -> list[bytes]:
    """Requests cut off anywhere in their head or body, to be sent and then left waiting."""
    whole = request(b"POST", b"/v1/uploads", (AUTH, JSON_TYPE), b'{"purpose": "batch"}')
    return [whole[: rng.randrange(1, len(whole) - 1)] for _ in range(count)]


def generate(victim: bytes, scale: int = 1) -> list[Hostile]:
    """Every hostile request, in a fixed order; ``victim`` is a file id that must survive.
    9,750 of them (with the 300 half-sent ones, just over ten thousand); ``scale`` multiplies."""
    from hostile_batch_requests import batch_and_control_bodies, control_guard

    rng = random.Random(9_2026)
    sizes = {
        "content-length": 1000,
        "transfer-encoding": 1000,
        "chunk-framing": 1300,
        "multipart": 700,
        "headers": 750,
        "request-line": 650,
        "methods-and-paths": 900,
        "query-values": 650,
        "json-bodies": 1000,
        "batch-and-control-bodies": 700,
        "control-guard": 250,
        "pipelining": 300,
        "early-disconnect": 550,
    }
    n = {name: size * scale for name, size in sizes.items()}
    return [
        *content_lengths(rng, n["content-length"]),
        *transfer_encodings(rng, n["transfer-encoding"], victim),
        *chunk_framings(rng, n["chunk-framing"]),
        *multiparts(rng, n["multipart"]),
        *odd_headers(rng, n["headers"]),
        *request_lines(rng, n["request-line"]),
        *methods_and_paths(rng, n["methods-and-paths"]),
        *query_values(rng, n["query-values"]),
        *json_bodies(rng, n["json-bodies"]),
        *batch_and_control_bodies(rng, n["batch-and-control-bodies"], victim),
        *control_guard(rng, n["control-guard"]),
        *pipelines(rng, n["pipelining"]),
        *early_disconnects(rng, n["early-disconnect"]),
    ]


FAMILY_NAMES = [
    "content-length",
    "transfer-encoding",
    "chunk-framing",
    "multipart",
    "headers",
    "request-line",
    "methods-and-paths",
    "query-values",
    "json-bodies",
    "batch-and-control-bodies",
    "control-guard",
    "pipelining",
    "early-disconnect",
]
