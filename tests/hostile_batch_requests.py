"""Generated hostile requests for the Batches API and the control plane's seeding endpoints
(``test_hostile.py``): JSON bodies of every odd shape, and the control plane's guard (foreign
Origins, bodies not declared JSON, preflights).

A generated body may happen to be valid (a batch is created on the victim file, a responder
or a phase's timing is set, a small file is seeded): nothing here can touch the keys, the
limits, the faults or reset, which the rest of the storm relies on.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from hostile_requests import AUTH, JSON_TYPE, OPEN, Hostile, chunked, request

#: Each endpoint, with a body it takes (``<victim>`` is the storm's batch file).
GOOD: dict[bytes, dict[str, Any]] = {
    b"/v1/batches": {
        "input_file_id": "<victim>",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    },
    b"/v1/batches/batch_hostile/cancel": {},
    b"/_mockfiles/files": {"purpose": "user_data", "filename": "h.txt", "content": "x"},
    b"/_mockfiles/batches/respond": {"custom_id": "h", "body": {"ok": True}},
    b"/_mockfiles/batches/timing": {"in_progress": 1},
}

#: Raw JSON texts no ``json.dumps`` writes, to put in the place of a field's value.
ODD_VALUES: list[bytes] = [
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"1e999",
    b"-1e400",
    b"1" + b"0" * 4400,  # more digits than Python turns into an int
    b"123456789012345678901234567890",
    b"-0",
    b"0.0000000000000000000000001",
    b"true",
    b"null",
    b"[]",
    b"{}",
    b'"\\ud800"',
    b'"\\udfff\\ud800"',
    b'"\xed\xa0\x80"',  # the UTF-8 shape of a lone surrogate: no UTF-8 at all
    b'"\xff\xfe"',
    b'"\\u0000"',
    b'"\xf0\x9f\x98\x80 \xe2\x80\xa8"',
    b'"' + b"x" * 70_000 + b'"',
    b"[" * 3000 + b"]" * 3000,
    b'{"a":' * 2000 + b"1" + b"}" * 2000,
    b'"24h"',
    b'"/v1/chat/completions"',
    b'{"anchor": "created_at", "seconds": 1e999}',
    b'{"message": "m", "status_code": 100000000000000000000}',
]

#: Bodies that are not a JSON object, or not JSON.
NOT_OBJECTS: list[bytes] = [
    b"",
    b"null",
    b"[]",
    b"[{}]",
    b'"x"',
    b"1",
    b"NaN",
    b"{",
    b'{"a": 1,}',
    b"{'a': 1}",
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b"{}{}",
    b"{} x",
    b"\x00",
]


def metadata(rng: random.Random) -> bytes:
    """Batch metadata over one limit or another: pairs, key and value lengths, types."""
    pairs, key, value = rng.choice(
        [(17, 8, 8), (2_000, 8, 8), (1, 65, 1), (1, 1, 513), (16, 64, 512), (3, 3, 9_000)]
    )
    shape = {f"{n:0{key}d}": "v" * value for n in range(pairs)}
    if rng.random() < 0.3:
        shape["typed"] = rng.choice([1, None, [], {"a": "b"}, True])  # type: ignore[assignment]
    return json.dumps({"metadata": shape}).encode()


def odd_body(rng: random.Random, target: bytes, victim: bytes) -> tuple[str, bytes]:
    good = json.dumps(GOOD[target]).replace("<victim>", victim.decode()).encode()
    kind = rng.randrange(0, 8)
    if kind == 0:
        body = rng.choice(NOT_OBJECTS)
        return f"not an object: {body[:20]!r}", body
    if kind == 1 and good != b"{}":
        # A field's value replaced by an odd one.
        names = list(GOOD[target])
        name = rng.choice(names).encode()
        value = rng.choice(ODD_VALUES)
        start = good.index(b'"%s": ' % name) + len(name) + 4
        end = good.find(b", ", start)
        end = len(good) - 1 if end == -1 else end
        return f"{name.decode()} = {value[:20]!r}", good[:start] + value + good[end:]
    if kind == 2 and good != b"{}":
        # Duplicate keys: the last one counts (json's rule); either way, no crash.
        name = rng.choice(list(GOOD[target])).encode()
        value = rng.choice(ODD_VALUES[:14])
        return f"a duplicate {name.decode()!r}", good[:-1] + b', "%s": %s}' % (name, value)
    if kind == 3:
        return "metadata over a limit", metadata(rng)[:-1] + b", " + good[1:]
    if kind == 4:
        value = rng.choice(ODD_VALUES)
        return f"an unknown field = {value[:20]!r}", b'{"zz": %s, %s' % (value, good[1:])
    if kind == 5:
        # The wrong type for every field at once.
        wrong = {name: rng.choice([1, 1.5, [], {}, True, None, "x"]) for name in GOOD[target]}
        return "wrong types", json.dumps(wrong).encode()
    if kind == 6:
        # Deep nesting inside a value the endpoint keeps (a responder's body, metadata).
        depth = rng.choice([50, 900, 5_000])
        nested = b'{"a":' * depth + b"1" + b"}" * depth
        return f"nested {depth} deep", b'{"body": %s, "metadata": %s}' % (nested, nested)
    return "a body the endpoint takes", good


def batch_and_control_bodies(rng: random.Random, count: int, victim: bytes) -> Iterator[Hostile]:
    family = "batch-and-control-bodies"
    targets = list(GOOD)
    for i in range(count):
        target = rng.choice(targets)
        label, body = odd_body(rng, target, victim)
        content_type = rng.choice(
            [JSON_TYPE, JSON_TYPE, b"Content-Type: application/json; charset=utf-8"]
        )
        headers = (AUTH, content_type)
        if i % 5 == 0:
            wire = request(
                b"POST",
                target,
                (*headers, b"Transfer-Encoding: chunked"),
                chunked(body[: len(body) // 2], body[len(body) // 2 :]),
                length=False,
            )
            label += ", chunked"
        else:
            wire = request(b"POST", target, headers, body)
        yield Hostile(family, f"{target.decode()}: {label}", wire, ending=OPEN)


def control_guard(rng: random.Random, count: int) -> Iterator[Hostile]:
    """What a page of another origin can send: refused (403, 400, 415...), the connection kept."""
    family = "control-guard"
    targets = [*(t for t in GOOD if t.startswith(b"/_mockfiles/")), b"/_mockfiles/bugs"]
    origins = [
        b"Origin: http://evil.example",
        b"Origin: null",
        b"Origin: http://127.0.0.1.evil.example",
        b"Origin: http://localhost:1",
        b"Origin: \xff\xfe",
        b"Origin: " + b"o" * 5000,
    ]
    kinds = [
        b"Content-Type: text/plain",
        b"Content-Type: application/x-www-form-urlencoded",
        b"Content-Type: multipart/form-data; boundary=x",
        b"Content-Type: application/jsonx",
        b"Content-Type: ",
    ]
    for i in range(count):
        target = rng.choice(targets)
        method = b"DELETE" if target == b"/_mockfiles/bugs" else b"POST"
        body = json.dumps(GOOD.get(target, {})).encode()
        kind = i % 3
        if kind == 0:
            origin = rng.choice(origins)
            wire = request(method, target, (JSON_TYPE, origin), body)
            yield Hostile(family, f"{origin[:40]!r} {target!r}", wire, statuses=frozenset({403}))
        elif kind == 1 and method == b"POST":
            declared = rng.choice(kinds)
            wire = request(method, target, (declared,), body)
            yield Hostile(family, f"{declared!r} {target!r}", wire, statuses=frozenset({400}))
        else:
            preflight = (
                b"Origin: http://evil.example",
                b"Access-Control-Request-Method: POST",
                b"Access-Control-Request-Headers: content-type",
            )
            wire = request(b"OPTIONS", target, preflight)
            yield Hostile(family, f"a preflight {target!r}", wire, statuses=frozenset({403, 405}))
