"""The multipart decoder with fewer copies decodes exactly as werkzeug's own."""

from __future__ import annotations

import random

import pytest
from werkzeug.sansio.multipart import MultipartDecoder

from mockfiles.http import decoder
from mockfiles.http.decoder import FastMultipartDecoder, decoder_class

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
