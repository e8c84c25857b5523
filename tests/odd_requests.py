"""The odd requests of the robustness test: hundreds of malformed or unusual HTTP requests, in
families, generated from seeded random sources so every run sends the same bytes."""

from __future__ import annotations

import base64
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass

#: Loopback answers take milliseconds; a request left unanswered this long is a hang.
TIMEOUT = 5.0

AUTH = b"Authorization: Bearer sk-robustness"
PURPOSES = ("fine-tune", "assistants", "batch", "user_data", "vision", "evals")

# What a case may be answered with.
ERROR = "a JSON 4xx error"
UNAUTHORIZED = "a JSON 401 error"
#: GET /v1/files queries: some odd ones are fine (an unknown ``after`` gives an empty page).
LIST_OR_ERROR = "a JSON list or a JSON 4xx error"

#: Byte sequences that are not UTF-8: latin-1 "é", a lone continuation byte, an overlong "/",
#: a UTF-16 surrogate, a truncated euro sign, bytes UTF-8 never uses.
NOT_UTF8 = (b"\xe9", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82", b"\xff\xfe", b"\xf8\x88")


@dataclass(frozen=True)
class Case:
    """One request, exactly as its bytes go on the wire."""

    family: str
    label: str
    method: bytes
    target: bytes
    #: Header lines without their CRLF; ``Host`` is always sent first.
    headers: tuple[bytes, ...] = (AUTH,)
    body: bytes = b""
    expect: str = ERROR
    #: False when the case writes its own framing headers (``Transfer-Encoding``, an odd
    #: ``Content-Length`` with no body); otherwise a correct ``Content-Length`` is added.
    add_length: bool = True
    version: bytes = b"HTTP/1.1"

    def wire(self) -> bytes:
        lines = [b"%s %s %s" % (self.method, self.target, self.version), b"Host: mockfiles"]
        lines += self.headers
        if self.add_length:
            lines.append(b"Content-Length: %d" % len(self.body))
        return b"\r\n".join(lines) + b"\r\n\r\n" + self.body

    @property
    def fresh(self) -> bool:
        """Whether the case gets a connection of its own: it is odd at the HTTP level (its own
        framing, HTTP/1.0, ``Connection: close``), so what it leaves behind must not be taken
        for the next request's answer."""
        asks_close = any(h.lower().startswith(b"connection:") for h in self.headers)
        return not self.add_length or self.version != b"HTTP/1.1" or asks_close

    def describe(self) -> str:
        target = self.target if len(self.target) <= 80 else self.target[:80] + b"..."
        return (
            f"[{self.label}] {self.method.decode('latin-1')} {target!r} ({len(self.wire())} bytes)"
        )


@dataclass(frozen=True)
class Answer:
    """What came back: the parts of a response the checks look at."""

    status: int
    content_type: str
    body: bytes


# -- building requests -------------------------------------------------------------------------


def post_files(family: str, label: str, body: bytes, content_type: bytes | None, **kw) -> Case:
    headers = (AUTH,) if content_type is None else (AUTH, b"Content-Type: " + content_type)
    return Case(family, label, b"POST", b"/v1/files", headers=headers, body=body, **kw)


def multipart(boundary: bytes) -> bytes:
    return b"multipart/form-data; boundary=" + boundary


def part(name: bytes, data: bytes, filename: bytes | None = None) -> bytes:
    """One part of a form: its headers, the blank line and its data."""
    disposition = b'Content-Disposition: form-data; name="' + name + b'"'
    if filename is not None:
        disposition += b'; filename="' + filename + b'"'
        disposition += b"\r\nContent-Type: application/octet-stream"
    return disposition + b"\r\n\r\n" + data


def form(boundary: bytes, parts: list[bytes], *, closed: bool = True) -> bytes:
    body = b"".join(b"--" + boundary + b"\r\n" + p + b"\r\n" for p in parts)
    return body + (b"--" + boundary + b"--\r\n" if closed else b"")


def token(rng: random.Random, size: int = 12, alphabet: str = string.ascii_letters) -> bytes:
    return "".join(rng.choice(alphabet) for _ in range(size)).encode()


def upload_parts(rng: random.Random) -> list[bytes]:
    """The parts of a valid upload: a purpose the API takes and a small file."""
    purpose = rng.choice(PURPOSES).encode()
    payload = rng.randbytes(rng.randrange(0, 300))
    return [part(b"purpose", purpose), part(b"file", payload, filename=token(rng) + b".jsonl")]


def junk(rng: random.Random, size: int) -> bytes:
    """Printable garbage that starts with a letter (a delimiter line may end in whitespace)."""
    return token(rng, 1) + token(rng, size - 1, string.printable.strip())


# -- the families of odd requests --------------------------------------------------------------


def broken_multipart() -> Iterator[Case]:
    """POST /v1/files with a multipart Content-Type and a body that is not a usable form."""
    rng = random.Random(101)
    family = "broken-multipart"

    def case(label: str, boundary: bytes, body: bytes) -> Case:
        return post_files(family, label, body, multipart(boundary))

    for _ in range(20):
        boundary = b"robust" + token(rng, 16)
        body = form(boundary, upload_parts(rng))
        # Anywhere before the closing delimiter's final "--": the form never ends.
        closing = body.rindex(b"--" + boundary + b"--")
        cut = rng.randrange(0, closing + 2 + len(boundary))
        yield case(f"truncated at byte {cut} of {len(body)}", boundary, body[:cut])

    for _ in range(10):
        boundary = b"robust" + token(rng, 16)
        body = form(boundary, upload_parts(rng), closed=False)
        tail = rng.choice([b"", b"--" + boundary, b"--" + boundary + b"\r\n", b"\r\n"])
        yield case(f"no closing boundary, ends with {tail[-4:]!r}", boundary, body + tail)

    not_a_disposition = [
        b"Content-Type: text/plain",
        b'X-Content-Disposition: form-data; name="file"; filename="a.jsonl"',
        b"Content-Disposition:",
        b"Content-Disposition: form-data",
        b'Content-Disposition: form-data; filename="a.jsonl"',
    ]
    for headers in not_a_disposition:
        for victim in (0, 1):
            boundary = b"robust" + token(rng, 16)
            parts = upload_parts(rng)
            parts[victim] = headers + b"\r\n\r\n" + parts[victim].partition(b"\r\n\r\n")[2]
            yield case(
                f"part {victim} without a usable Content-Disposition",
                boundary,
                form(boundary, parts),
            )

    for _ in range(12):
        # Garbage on a delimiter line makes it no delimiter: its part melts into the one before.
        boundary = b"robust" + token(rng, 16)
        parts = upload_parts(rng)
        body = form(boundary, parts)
        delimiter = b"--" + boundary + b"\r\n"
        at = rng.choice([0, body.index(delimiter, 1)])
        garbage = junk(rng, rng.randrange(1, 40))
        body = body[: at + len(delimiter) - 2] + garbage + body[at + len(delimiter) - 2 :]
        yield case("garbage on a delimiter line", boundary, body)

    for _ in range(8):
        # Garbage between the purpose value and the next boundary becomes part of the purpose.
        boundary = b"robust" + token(rng, 16)
        parts = upload_parts(rng)
        parts[0] += b"\r\n" + junk(rng, rng.randrange(1, 60))
        yield case(
            "garbage between the purpose and the next boundary", boundary, form(boundary, parts)
        )

    for bad in NOT_UTF8:
        # A whole pseudo-part of garbage that is not UTF-8, between two real parts.
        boundary = b"robust" + token(rng, 16)
        parts = upload_parts(rng)
        parts.insert(1, junk(rng, 10) + bad + junk(rng, 10))
        yield case(f"a garbage part holding {bad!r}", boundary, form(boundary, parts))

    for victim in (0, 1):
        for _ in range(3):
            # The headers run straight into the data: no blank line ends them.
            boundary = b"robust" + token(rng, 16)
            parts = upload_parts(rng)
            parts[victim] = parts[victim].replace(b"\r\n\r\n", b"\r\n" + junk(rng, 8) + b"\r\n", 1)
            yield case(
                f"part {victim} headers without a blank line", boundary, form(boundary, parts)
            )

    boundary = b"robust" + token(rng, 16)
    for label, body in [
        ("empty body", b""),
        ("a bare CRLF", b"\r\n"),
        ("only a preamble", b"this is not a form at all\r\n"),
        ("only the closing delimiter", b"--" + boundary + b"--\r\n"),
        ("one opening delimiter and nothing else", b"--" + boundary + b"\r\n"),
        ("an empty part", form(boundary, [b"\r\n"])),
        ("random bytes", rng.randbytes(500)),
        ("JSON in a multipart body", b'{"purpose": "batch", "file": "x"}'),
    ]:
        yield case(label, boundary, body)

    for where in ("filename", "name", "content-type", "header name"):
        for bad in NOT_UTF8:
            boundary = b"robust" + token(rng, 16)
            parts = upload_parts(rng)
            if where == "filename":
                parts[1] = parts[1].replace(b'.jsonl"', b"." + bad + b'jsonl"', 1)
            elif where == "name":
                parts.append(part(b"x" + bad, b"1"))
            elif where == "content-type":
                parts[1] = parts[1].replace(b"octet-stream", b"octet-" + bad, 1)
            else:
                parts[1] = b"X-" + bad + b": 1\r\n" + parts[1]
            yield case(f"{bad!r} (not UTF-8) in a part's {where}", boundary, form(boundary, parts))

    file_only = [p for p in upload_parts(rng) if b'name="file"' in p]
    purpose_only = [part(b"purpose", b"batch")]
    for label, parts in [
        ("no purpose", file_only),
        ("no file", purpose_only),
        ("the file as a plain field", [part(b"purpose", b"batch"), part(b"file", b"{}")]),
        ("an empty filename", [*purpose_only, part(b"file", b"{}", filename=b"")]),
        ("an empty purpose", [part(b"purpose", b""), *file_only]),
        ("a purpose the API does not take", [part(b"purpose", b"fine_tune"), *file_only]),
        ("a padded purpose", [part(b"purpose", b" batch "), *file_only]),
        ("a shouted purpose", [part(b"purpose", b"BATCH"), *file_only]),
        ("a purpose of 70 KB", [part(b"purpose", b"b" * 70_000), *file_only]),
        ("the last of two purposes is wrong", [*purpose_only, part(b"purpose", b"x"), *file_only]),
        ("1001 parts", [*purpose_only, *file_only] + [part(b"x", b"1")] * 999),
    ]:
        boundary = b"robust" + token(rng, 16)
        yield case(label, boundary, form(boundary, parts))


def bad_boundaries() -> Iterator[Case]:
    """Content-Types whose boundary is missing, unusable or not the one the body uses."""
    rng = random.Random(202)
    family = "bad-boundaries"
    declared = [
        b"multipart/form-data",
        b"multipart/form-data;",
        b"multipart/form-data; boundary=",
        b'multipart/form-data; boundary=""',
        b'multipart/form-data; boundary="',
        b"multipart/form-data; boundary",
        b"multipart/form-data; charset=utf-8",
        b"multipart/form-data; boundary=\xc3\xa9t\xc3\xa9",  # UTF-8 "été": not ASCII
        b"multipart/form-data; boundary=\xe9t\xe9",  # latin-1 "été"
        b'multipart/form-data; boundary="\xe2\x82\xac"',
        b'multipart/form-data; boundary="quoted"',
        b'multipart/form-data; boundary="a;b=c"',
        b'multipart/form-data; boundary=".*+?[](){}|\\\\^$"',
        b"multipart/form-data; boundary=" + b"x" * 71,
        b"multipart/form-data; boundary=" + b"x" * 1000,
        b"multipart/form-data; boundary=" + b"x" * 8000,
        b"multipart/form-data; boundary=" + b"y" * 32_000,
        b"multipart/form-data; boundary=a; boundary=b",
        b"multipart/form-data; boundary=\x00",
        b"multipart/form-data; boundary= spaced",
    ]
    for content_type in declared:
        for _ in range(3):
            # The body always uses a boundary of digits, which no declared one matches.
            body = form(b"0" + token(rng, 20, string.digits), upload_parts(rng))
            label = f"Content-Type {content_type[:50]!r}, body with another boundary"
            yield post_files(family, label, body, content_type)


def wrong_content_types() -> Iterator[Case]:
    """POST /v1/files with anything but multipart/form-data."""
    rng = random.Random(303)
    boundary = b"robust" + token(rng, 16)
    bodies = {
        "a JSON body": b'{"purpose": "batch", "file": "a.jsonl"}',
        "a urlencoded body": b"purpose=batch&file=a.jsonl",
        "a valid multipart body": form(boundary, upload_parts(rng)),
        "an empty body": b"",
    }
    content_types = [
        None,
        b"",
        b"application/json",
        b"application/json; charset=utf-8",
        b"text/plain",
        b"application/x-www-form-urlencoded",
        b"multipart/mixed; boundary=" + boundary,
        b"multipart/form-data-x; boundary=" + boundary,
        b"form-data; boundary=" + boundary,
        b"application/octet-stream",
        b"*/*",
        b";;;",
        b"\xff\xfe",
    ]
    for content_type in content_types:
        for what, body in bodies.items():
            label = f"Content-Type {content_type!r} with {what}"
            yield post_files("wrong-content-types", label, body, content_type)


def odd_paths() -> Iterator[Case]:
    """Paths that name no operation, or name a file that does not exist."""
    rng = random.Random(404)
    family = "odd-paths"
    paths = [
        b"/",
        b"/v1",
        b"/v1/",
        b"/v1/files/",
        b"//v1/files",  # the app means this to be a 404 (see URL_MAP in mockfiles/http/app.py)
        b"/v1//files",
        b"/v1/files//",
        b"/V1/FILES",
        b"/v1/files/a/b/c",
        b"/v1/files/file-x/content/",
        b"/v1/files/file-x/content/more",
        b"/v1/files;x=1",
        b"/v1/files/%ZZ",
        b"/v1/files/%",
        b"/v1/files/%00",
        b"/v1/files/%ff%fe%fd",
        b"/v1/files/%2e%2e",
        b"/v1/files/%2F%2F",
        b"/v1/files/\xff\xfe",
        b"/v1/files/..",
        b"/v1/files/.",
        b"/v1/files/../files",
        b"/v1/./files",
        b"/../v1/files",
        b"/v1/files/../../../etc/passwd",
        b"*",
        b"/v1/files/" + b"a" * 8000,
        b"/" + b"x/" * 4000,
        b"/v1/files/" + b"%41" * 2700,
    ]
    for path in paths:
        for method in (b"GET", b"POST", b"DELETE"):
            yield Case(family, f"{method.decode()} on an odd path", method, path)
    # Without a key too: the path is judged first, but any 4xx will do.
    for path in paths[:10]:
        yield Case(family, "an odd path and no key", b"GET", path, headers=())

    # Dots, encoded slashes and NULs, bad escapes, non-ASCII, the routes' own words, and
    # characters that mean something in URLs; an empty segment makes a double slash.
    segments = [b""] + (
        b".. . %2e %2F %00 %ZZ %e2%82%ac %ff \xe9 files v1 content file- ~ %20 + @ : !$&'()*,;="
    ).split()
    for _ in range(60):
        chosen = [rng.choice(segments) for _ in range(rng.randrange(1, 7))]
        # Always under /v1/files/, never /v1/files itself: at best a retrieve of no file.
        path = b"/v1/files/" + b"/".join(chosen)
        method = rng.choice([b"GET", b"DELETE", b"POST", b"PUT"])
        body = rng.randbytes(rng.randrange(0, 50))
        yield Case(family, "a generated odd path", method, path, body=body)


def odd_methods() -> Iterator[Case]:
    """Methods no route takes."""
    rng = random.Random(505)
    family = "odd-methods"
    targets = [b"/v1/files", b"/v1/files/file-abc", b"/v1/files/file-abc/content"]
    # Made-up ones too, a lower-case one (werkzeug upper-cases it) and one with a latin-1 byte.
    for method in b"PUT PATCH OPTIONS FOO BREW PROPFIND TRACE M-SEARCH delete X\xe9 G.E.T".split():
        for target in targets:
            for body in (b"", rng.randbytes(40)):
                yield Case(family, f"{method!r} on {target.decode()}", method, target, body=body)
    for method, target in [
        (b"DELETE", b"/v1/files"),
        (b"POST", b"/v1/files/file-abc"),
        (b"POST", b"/v1/files/file-abc/content"),
        (b"PUT", b"/v1/files/file-abc/content"),
        (b"DELETE", b"/v1/files/file-abc/content"),
        (b"CONNECT", b"mockfiles:443"),
        (b"OPTIONS", b"*"),
    ]:
        yield Case(family, f"{method.decode()} {target.decode()}", method, target)
    # HEAD is routed with GET; its answer has no body, only the status and the content type.
    for target in targets[1:] + [b"/v1/nothing", b"/v1/files/file-abc/content/x"]:
        yield Case(family, "HEAD", b"HEAD", target)


def huge_headers() -> Iterator[Case]:
    """Header values of tens of kilobytes (below http.server's 64 KiB per line)."""
    family = "huge-headers"
    big = b"h" * 32 * 1024
    big_headers = {
        "a 32 KB X-Junk header": (AUTH, b"X-Junk: " + big),
        "a 32 KB Cookie": (AUTH, b"Cookie: a=" + big),
        "a 32 KB User-Agent": (AUTH, b"User-Agent: " + big),
        "a 32 KB key": (b"Authorization: Bearer " + big,),
        # The fake echoes these two back in its answer's headers.
        "a 32 KB OpenAI-Project": (AUTH, b"OpenAI-Project: " + big),
        "a 32 KB OpenAI-Organization": (AUTH, b"OpenAI-Organization: " + big),
        "90 headers of 300 bytes": (AUTH, *(b"X-Many-%d: " % i + b"m" * 300 for i in range(90))),
    }
    for target in (b"/v1/files/file-abc", b"/v1/nothing"):
        for method in (b"GET", b"DELETE"):
            for label, headers in big_headers.items():
                yield Case(family, label, method, target, headers=headers)
    purpose_only = form(b"b", [part(b"purpose", b"batch")])
    yield post_files(family, "a 32 KB Content-Type", b"{}", b"application/json; x=" + big)
    yield post_files(family, "a 32 KB boundary", purpose_only, multipart(big))
    headers = (b"Authorization: Bearer " + big, b"Content-Type: " + multipart(b"b"))
    yield Case(family, "a 32 KB key, no file", b"POST", b"/v1/files", headers, purpose_only)


def odd_header_values() -> Iterator[Case]:
    """Header values with bytes a header should not hold; the fake echoes two of them."""
    family = "odd-header-values"
    target = b"/v1/files/file-abc"
    values = [
        (b"", "empty"),
        (b"a\x00b", "a NUL"),
        (b"\xff\xfe\xe9", "latin-1 bytes"),
        (b"\xe2\x82\xac", "UTF-8 bytes"),
        (b"a\rb", "a bare CR"),
        (b"a\r\n b", "an obs-fold continuation line"),
        (b"a\n b", "an obs-fold continuation after a bare LF"),
        (b"a\tb", "a tab"),
    ]
    for name in (b"OpenAI-Project", b"OpenAI-Organization", b"X-Other"):
        for value, what in values:
            headers = (AUTH, name + b": " + value)
            yield Case(family, f"{name.decode()} with {what}", b"GET", target, headers=headers)
    yield Case(family, "a header line without a colon", b"GET", target, headers=(AUTH, b"NoColon"))
    underscore = (AUTH, b"Content_Type: text/plain")
    yield Case(family, "a header name with an underscore", b"GET", target, headers=underscore)
    yield Case(family, "a header name with latin-1", b"GET", target, headers=(AUTH, b"X-\xe9: 1"))


def http_framing() -> Iterator[Case]:
    """Odd framing: chunked bodies, odd Content-Length values, HTTP/1.0, Connection: close."""
    rng = random.Random(606)
    family = "http-framing"
    boundary = b"robust" + token(rng, 16)
    content_type = b"Content-Type: " + multipart(boundary)
    chunked = b"Transfer-Encoding: chunked"
    broken_form = form(boundary, upload_parts(rng))[:-30]
    for label, body in [
        ("a chunked broken form", b"%x\r\n%s\r\n0\r\n\r\n" % (len(broken_form), broken_form)),
        ("a chunked empty body", b"0\r\n\r\n"),
        ("a chunk size that is not hex", b"zz\r\n0\r\n\r\n"),
        ("a negative chunk size", b"-5\r\n0\r\n\r\n"),
        ("a chunk without its CRLF", b"3\r\nabcXX\r\n0\r\n\r\n"),
        # After "zz" is refused, a reader that goes on takes "abc" for a 2748-byte chunk.
        ("a bad chunk size, then a line of hex digits", b"zz\r\nabc\r\n0\r\n\r\n"),
    ]:
        headers = (AUTH, content_type, chunked)
        yield Case(family, label, b"POST", b"/v1/files", headers, body, add_length=False)
    for length in (b"abc", b"-1", b"+0", b" 0 ", b"0x0", b"", b"0, 0", b"00"):
        # Odd spellings of "no body", and no body sent: nothing for the server to wait for.
        headers = (AUTH, content_type, b"Content-Length: " + length)
        label = f"Content-Length {length!r} and no body"
        yield Case(family, label, b"POST", b"/v1/files", headers=headers, add_length=False)
    keep_alive = (AUTH, b"Connection: keep-alive")
    close = (AUTH, b"Connection: close")
    for target in (b"/v1/files/file-abc", b"/v1/nothing"):
        yield Case(family, "HTTP/1.0", b"GET", target, version=b"HTTP/1.0")
        yield Case(family, "HTTP/1.0 keep-alive", b"GET", target, keep_alive, version=b"HTTP/1.0")
        yield Case(family, "Connection: close", b"DELETE", target, headers=close)
    expect = (AUTH, content_type, b"Expect: 100-continue")
    yield Case(
        family, "Expect: 100-continue on a broken form", b"POST", b"/v1/files", expect, broken_form
    )


def odd_list_queries() -> Iterator[Case]:
    """GET /v1/files with odd query strings: a JSON list or a JSON 4xx, never anything else."""
    rng = random.Random(707)
    family = "odd-list-queries"
    oddities = (
        b"limit=abc limit=0 limit=10001 limit=-1 limit= limit=1.5 limit=1e3 limit=%20 limit=0x10"
        b" limit=%EF%BC%91 limit=1_0 limit=+5 limit=%2B5 limit=999999999999999999999 limit=%00"
        b" limit order=sideways order= order=ASC order=%00 order=asc%00 after=unknown after="
        b" after=file- after=%ff%fe after=\xe9 purpose=nonsense purpose= purpose=%00"
        b" purpose=batch%0d%0a %ZZ=%ZZ = &&& a=b=c ; % limit=5;order=asc limit=1&limit=abc"
        b" order=asc&order=sideways after=a&after=b"
    ).split()
    # Too long to mix into others; each is sent on its own.
    long_ones = [b"after=" + b"x" * 8000, b"limit=" + b"1" * 5000, b"purpose=" + b"p" * 8000]
    for query in oddities + long_ones:
        yield Case(family, "one odd parameter", b"GET", b"/v1/files?" + query, expect=LIST_OR_ERROR)
    for _ in range(70):
        query = b"&".join(rng.sample(oddities, rng.randrange(2, 5)))
        target = b"/v1/files?" + query
        yield Case(family, "odd parameters mixed", b"GET", target, expect=LIST_OR_ERROR)


def bad_authorization() -> Iterator[Case]:
    """Every operation with no key, an empty one or a malformed header: a JSON 401."""
    rng = random.Random(808)
    family = "bad-authorization"

    def b64(raw: bytes) -> bytes:
        return base64.b64encode(raw)

    authorizations: list[tuple[bytes, ...]] = [
        (),
        (b"Authorization:",),
        (b"Authorization: ",),
        (b"Authorization: Bearer",),
        (b"Authorization: Bearer      ",),
        (b"Authorization: Bearer\tsk-x",),
        (b"Authorization: BearerXYZ",),
        (b"Authorization: Bearer: sk-x",),
        (b"Authorization: Token sk-x",),
        (b"Authorization: sk-x",),
        (b"Authorization: Basic",),
        (b"Authorization: Basic !!!",),
        (b"Authorization: Basic " + b64(b"no-colon"),),
        (b"Authorization: Basic " + b64(b":"),),
        (b"Authorization: Basic " + b64(b"user:"),),
        (b"Authorization: Basic " + b64(b"\xff:\xfe"),),
        (b"Authorization: Basic \xff\xfe",),
        (b"Authorization: \xd0\x92earer sk-x",),  # a Cyrillic "В"
        (b"Authorization:", b"Authorization:"),
    ]
    boundary = b"robust" + token(rng, 16)
    upload = ((b"Content-Type: " + multipart(boundary),), form(boundary, upload_parts(rng)))
    no_body: tuple[tuple[bytes, ...], bytes] = ((), b"")
    operations = [
        # A valid upload: refused for the key alone, so nothing may be stored.
        (b"POST", b"/v1/files", *upload),
        (b"GET", b"/v1/files", *no_body),
        (b"GET", b"/v1/files/file-abc", *no_body),
        (b"DELETE", b"/v1/files/file-abc", *no_body),
        (b"GET", b"/v1/files/file-abc/content", *no_body),
    ]
    for auth in authorizations:
        label = " + ".join(repr(line) for line in auth) or "no Authorization header"
        for method, target, extra, body in operations:
            yield Case(family, label, method, target, auth + extra, body, expect=UNAUTHORIZED)


FAMILIES = [
    broken_multipart,
    bad_boundaries,
    wrong_content_types,
    odd_paths,
    odd_methods,
    huge_headers,
    odd_header_values,
    http_framing,
    odd_list_queries,
    bad_authorization,
]
CASES = [case for family in FAMILIES for case in family()]
#: What became of each case: None, or what was wrong with its answer.
Outcomes = list[tuple[Case, "str | None"]]
FAMILY_NAMES = list(dict.fromkeys(case.family for case in CASES))
