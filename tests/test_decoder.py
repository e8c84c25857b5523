"""The multipart decoder with fewer copies decodes exactly as werkzeug's own."""

from __future__ import annotations

import random
from typing import Any

import pytest
from werkzeug.sansio.multipart import MultipartDecoder

from mockfiles.http import decoder
from mockfiles.http.decoder import BoundaryFinder, FastMultipartDecoder, decoder_class

BOUNDARY = b"sample-boundary"


def random_form(rng: random.Random) -> bytes:
    """A form whose data is dense in line breaks, dashes and near-boundaries: the bytes the
    decoder must not mistake for a boundary, wherever a chunk happens to end."""
    pieces = [b"\r", b"\n", b"\r\n", b"--", b"-", b"--sample-boundar", b"--sample-boundary-", b"x"]
    parts = []
    for index in range(rng.randrange(1, 4)):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 300)))
        filename = f'; filename="f{index}.jsonl"' if rng.random() < 0.5 else ""
        parts.append(
            b"--"
            + BOUNDARY
            + b"\r\n"
            + f'Content-Disposition: form-data; name="p{index}"{filename}'.encode()
            + b"\r\n\r\n"
            + data
            + b"\r\n"
        )
    return b"".join(parts) + b"--" + BOUNDARY + b"--\r\n"


def test_the_fast_decoder_is_used_on_this_werkzeug() -> None:
    assert decoder_class() is FastMultipartDecoder


@pytest.mark.parametrize("seed", range(40))
def test_random_forms_decode_the_same_in_any_chunking(seed: int) -> None:
    rng = random.Random(seed)
    body = random_form(rng)
    for step in (1, 2, 5, 16, 17, rng.randrange(1, len(body) + 1), len(body)):
        fast = decoder._events(FastMultipartDecoder, body, step)
        stock = decoder._events(MultipartDecoder, body, step)
        assert fast == stock


def test_a_subclass_that_misbehaves_falls_back_to_werkzeugs_decoder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(self: FastMultipartDecoder, data: bytes, *, start: bool) -> tuple[bytes, int, bool]:
        raise AttributeError("werkzeug changed its internals")

    monkeypatch.setattr(FastMultipartDecoder, "_parse_data", broken)
    decoder_class.cache_clear()
    try:
        assert decoder_class() is MultipartDecoder
    finally:
        monkeypatch.undo()
        decoder_class.cache_clear()
    assert decoder_class() is FastMultipartDecoder


ODD_BREAKS = [b"\r\n", b"\n", b"\r", b" \t\r\n", b"\f\n", b"x\r\n", b""]


def odd_form(rng: random.Random, boundary: bytes) -> bytes:
    """A form whose boundary lines break every way werkzeug tolerates (and some it refuses),
    with blanks after boundaries, a preamble and an epilogue."""
    pieces = [b"\r", b"\n", b"-", b"--" + boundary[:-1], b"--" + boundary, b"x"]
    body = b"pre\n" if rng.random() < 0.3 else b""
    for index in range(rng.randrange(1, 4)):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randrange(0, 60)))
        body += rng.choice([b"", b"\r\n", b"\n", b"\r"]) + b"--" + boundary + rng.choice(ODD_BREAKS)
        body += f'Content-Disposition: form-data; name="p{index}"'.encode()
        body += rng.choice([b"\r\n\r\n", b"\n\n", b"\r\r"]) + data
    closing = rng.choice([b"--", b"-- \t", b"--\f"]) + rng.choice([b"", b"\r\n", b"\n", b"\r"])
    return body + rng.choice([b"\r\n", b"\n", b"\r"]) + b"--" + boundary + closing + b"epi"


def outcome(decoder_class: type[MultipartDecoder], body: bytes, step: int, boundary: bytes) -> Any:
    try:
        return decoder._events(decoder_class, body, step, boundary)
    except ValueError as error:
        return ("refused", str(error))


@pytest.mark.parametrize("seed", range(40))
def test_odd_line_breaks_and_boundaries_decode_the_same_in_any_chunking(seed: int) -> None:
    rng = random.Random(seed)
    boundary = rng.choice([b"b", b"--", b"a.b+c?(d)*", b"----WebKitFormBoundary7MA4YWxk", b"x x"])
    body = odd_form(rng, boundary)
    for step in (1, 2, 3, 7, rng.randrange(1, len(body) + 1), len(body)):
        fast = outcome(FastMultipartDecoder, body, step, boundary)
        assert fast == outcome(MultipartDecoder, body, step, boundary), (body, step)


def test_the_boundary_finder_searches_as_werkzeugs_patterns_do() -> None:
    rng = random.Random(7)
    for boundary in (b"b", b"--", b"a.b+c?(d)*"):
        stock = MultipartDecoder(boundary)
        finders = {
            stock.preamble_re: BoundaryFinder(boundary, line_break_first=False),
            stock.boundary_re: BoundaryFinder(boundary, line_break_first=True),
        }
        alphabet = [b"\r", b"\n", b"-", b" ", b"\t", b"\f", b"x", boundary, b"--" + boundary]
        for _ in range(3000):
            data = b"".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 12)))
            pos = rng.randrange(0, len(data) + 1)
            for pattern, finder in finders.items():
                expected = pattern.search(data, pos)
                found = finder.search(data, pos)
                if expected is None:
                    assert found is None, (boundary, data, pos)
                else:
                    assert found is not None, (boundary, data, pos)
                    got = (found.start(), found.end(), found.group(1))
                    assert got == (expected.start(), expected.end(), expected.group(1))


def test_decoding_a_form_with_a_fresh_boundary_compiles_no_regex(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import re

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"re.compile{args}")

    boundary = b"fresh-boundary-1234"
    body = random_form(random.Random(3)).replace(BOUNDARY, boundary)
    monkeypatch.setattr(re, "compile", refuse)
    events = decoder._events(FastMultipartDecoder, body, 64, boundary)
    monkeypatch.undo()
    assert events == decoder._events(MultipartDecoder, body, 64, boundary)
