"""Fuzz the WSGI app in-process: every route × method × generated bodies, queries, headers.

Not a benchmark and not a test (the storm in ``tests/test_hostile.py`` is the test): a search
for any answer ≥ 500, any answer that is not JSON, any error not in the API's shape, and any
bug the fake records (``mock.bugs``). Prints each class of finding with one example and a count.

    .venv/bin/python bench/fuzz_app.py [cases per route × method, default 60] [seed] [--token]

(``--token``: the fake requires a control token, which most control requests carry.)
"""

from __future__ import annotations

import base64
import json
import random
import sys
import time
from collections import Counter
from typing import Any

from werkzeug.test import Client

from mockfiles import MockFiles

AUTH = {"Authorization": "Bearer sk-fuzz"}
METHODS = ("GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS")

#: Fields the endpoints read, so generated objects reach past "unknown field".
FIELDS = [
    "input_file_id",
    "endpoint",
    "completion_window",
    "metadata",
    "output_expires_after",
    "anchor",
    "seconds",
    "advance",
    "set",
    "file_bytes",
    "storage_bytes",
    "key",
    "project",
    "organization",
    "spec",
    "operations",
    "action",
    "times",
    "content",
    "content_base64",
    "purpose",
    "filename",
    "created_at",
    "expires_after",
    "custom_id",
    "body",
    "error",
    "status_code",
    "message",
    "type",
    "param",
    "code",
    "validating",
    "in_progress",
    "finalizing",
    "bytes",
    "mime_type",
    "part_ids",
    "md5",
    "status",
    "after",
    "limit",
    "seconds_delay",
    "delay",
    "probability",
]

ODD_LITERALS = [
    b"",
    b" ",
    b"null",
    b"true",
    b"[]",
    b"[{}]",
    b'"x"',
    b"1",
    b"-0",
    b"1e999",
    b"-1e999",
    b"NaN",
    b"Infinity",
    b"-Infinity",
    b"{",
    b"}",
    b"{}",
    b'{"a":}',
    b"\xef\xbb\xbf{}",
    b"\xff\xfe{\x00}\x00",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
    b'{"a": "\\ud800"}',
    b'{"a": "\\udfff\\ud800"}',
    b'{"\\ud800": 1}',
    b'{"a": 1, "a": 2}',
    b'{"a": "\x00"}',
    b"{}" * 3,
    b"\x00",
    b"1" * 5000,
    b'{"a": ' + b"9" * 5000 + b"}",
    b'{"a": 1' + b"0" * 400 + b"e-400}",
]


def odd_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(0, 24 if depth < 3 else 16)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1, 2**31, 2**63, 2**64 + 1, -(2**63), 10**400, -(10**400)])
    if kind == 3:
        return rng.choice([0.5, -0.0, 1e308, -1e308, 1e-320, float("nan"), float("inf")])
    if kind == 4:
        return rng.choice(["", " ", "x" * 100_000, "\ud800", "\udfff", "é", "\x00", "\u2028"])
    if kind == 5:
        return rng.choice(["24h", "/v1/chat/completions", "batch", "batch_output", "user_data"])
    if kind == 6:
        return rng.choice(["file-x", "batch_x", "upload_x", "sk-x", "proj_x", "org-x"])
    if kind == 7:
        return rng.choice(["2026-01-01T00:00:00Z", "9999-12-31T23:59:59", "not a date", "1e999"])
    if kind == 8:
        return rng.choice(["files.create:rate_limit", "*:delay:seconds=1e999", "x:y:z=1", ":::"])
    if kind == 9:
        return base64.b64encode(rng.randbytes(rng.randrange(0, 50))).decode()
    if kind == 10:
        return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(1, 8)))
    if kind == 11:
        return {"anchor": odd_value(rng, 3), "seconds": odd_value(rng, 3)}
    if kind == 12:
        return {f"k{n}": "v" * rng.choice([1, 600]) for n in range(rng.choice([1, 16, 17, 5000]))}
    if kind == 13:
        return rng.choice([{"message": "m", "status_code": 503}, {"status_code": 10**30}])
    if kind in (14, 15):
        return rng.choice(FIELDS)
    if kind < 20:
        return {rng.choice(FIELDS): odd_value(rng, depth + 1) for _ in range(rng.randrange(0, 5))}
    return [odd_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]


def odd_body(rng: random.Random, good: dict[str, Any]) -> bytes:
    roll = rng.random()
    if roll < 0.2:
        return rng.choice(ODD_LITERALS)
    body = dict(good)
    for _ in range(rng.randrange(0, 4)):
        body[rng.choice(FIELDS)] = odd_value(rng)
    for name in rng.sample(sorted(body), rng.randrange(0, len(body) + 1) // 2):
        if rng.random() < 0.5:
            body[name] = odd_value(rng)
    text = json.dumps(body, ensure_ascii=rng.random() < 0.5, allow_nan=True)
    if roll < 0.3 and text.startswith("{") and len(text) > 2:
        text = text[:-1] + ', "' + rng.choice(FIELDS) + '": ' + rng.choice(["1", "NaN", "[]"]) + "}"
    data = text.encode("utf-8", "surrogatepass")
    if roll > 0.95:
        data = data[: rng.randrange(0, len(data) + 1)]
    return data


def odd_query(rng: random.Random, ids: list[str]) -> str:
    values = [
        "1",
        "0",
        "-1",
        "100",
        "101",
        "10000",
        "1e3",
        "1.5",
        "",
        "abc",
        "%00",
        "%ff",
        "99999999999999999999999",
        "%EF%BC%91",
        "+5",
        " 5",
        *ids,
        "batch_" + "x" * 3000,
        "asc",
        "desc",
    ]
    names = ["limit", "after", "order", "purpose", "project", "before", "%ZZ"]
    pairs = [f"{rng.choice(names)}={rng.choice(values)}" for _ in range(rng.randrange(0, 4))]
    return "&".join(pairs)


def odd_headers(rng: random.Random) -> dict[str, str]:
    headers = dict(AUTH) if rng.random() < 0.9 else {}
    headers["Content-Type"] = rng.choice(
        [
            "application/json",
            "application/json; charset=utf-8",
            "APPLICATION/JSON",
            "application/json; charset=latin-1",
            "text/plain",
            "",
            "application/json;;;",
            'application/json; charset="',
            "multipart/form-data; boundary=x",
        ]
    )
    if rng.random() < 0.15:
        headers["Origin"] = rng.choice(["http://evil.example", "null", "http://localhost", ""])
    if rng.random() < 0.1:
        headers["OpenAI-Project"] = rng.choice(["", "proj_x", "\u00e9", "x" * 500])
    if rng.random() < 0.1:
        headers["Authorization"] = rng.choice(["Bearer", "Bearer ", "Basic x", "Bearer \u00e9"])
    return headers


GOOD_BODIES: dict[str, dict[str, Any]] = {
    "/v1/batches": {
        "input_file_id": "{file}",
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
    },
    "/_mockfiles/files": {"purpose": "batch", "filename": "x.jsonl", "content": "{}\n"},
    "/_mockfiles/batches/respond": {"body": {"ok": True}},
    "/_mockfiles/batches/timing": {"in_progress": 1},
    "/_mockfiles/clock": {"advance": 1},
    "/_mockfiles/limits": {"file_bytes": 1000},
    "/_mockfiles/keys": {"key": "sk-new", "project": "proj_x"},
    "/_mockfiles/faults": {"operations": "files.list", "action": "rate_limit", "times": 1},
    "/v1/uploads": {"purpose": "batch", "filename": "a.jsonl", "bytes": 3, "mime_type": "x"},
}


def is_json_answer(method: str, path: str, status: int, headers: Any) -> bool:
    if method == "HEAD":
        return True
    kind = headers.get("Content-Type", "")
    if status == 200 and path.endswith("/content"):
        return True  # a download answers the file's bytes
    return str(kind).startswith("application/json")


def fuzz(per_route: int, seed: int, token: str | None = None) -> Counter[str]:
    rng = random.Random(seed)
    mock = MockFiles(control_token=token)
    client = Client(mock.app)
    limits = mock.limits
    mock.add_key("sk-fuzz")

    def seeded() -> tuple[str, str]:
        """A batch input file and a batch on it, in the key's project."""
        messages = [{"role": "user", "content": odd_value(rng)}]
        lines = [
            {
                "custom_id": rng.choice(["a", "\ud800", "\x00", "é" * 70, "b"]) + str(n),
                "method": "POST",
                "url": "/v1/chat/completions",
                "body": {"model": "gpt-4o-mini", "messages": messages, "x": odd_value(rng)},
            }
            for n in range(rng.randrange(1, 4))
        ]
        text = "".join(json.dumps(line) + "\n" for line in lines)
        file_id = mock.add_file(content=text.encode(), purpose="batch", filename="in.jsonl").id
        good = json.dumps(GOOD_BODIES["/v1/batches"]).replace("{file}", file_id)
        created = client.post("/v1/batches", headers=AUTH, json=json.loads(good))
        assert created.status_code == 200, created.get_data()
        return file_id, str(created.json["id"])  # type: ignore[index]

    file_id, batch_id = seeded()
    ids = [file_id, batch_id, "batch_nope", "file-nope", "upload_nope", "%2e%2e", "x" * 600]
    templates = sorted(
        {str(rule.rule) for rule in mock.app.url_map.iter_rules()}  # type: ignore[attr-defined]
        if hasattr(mock.app, "url_map")
        else set()
    )
    if not templates:
        from mockfiles.http.routes import URL_MAP

        templates = sorted({str(rule.rule) for rule in URL_MAP.iter_rules()})
    findings: Counter[str] = Counter()
    examples: dict[str, str] = {}
    sent = 0
    statuses: Counter[tuple[str, str, int]] = Counter()
    started = time.perf_counter()
    # Shuffled, so that what one request changes (timing, clock, keys) meets every route.
    plan = [(t, m) for t in templates for m in METHODS for _ in range(per_route)]
    rng.shuffle(plan)
    if True:
        for template, method in plan:
            if True:
                path = template
                for name in ("<file_id>", "<upload_id>", "<batch_id>"):
                    path = path.replace(name, rng.choice(ids))
                query = odd_query(rng, ids) if rng.random() < 0.5 else ""
                good = json.loads(
                    json.dumps(GOOD_BODIES.get(template, {})).replace("{file}", file_id)
                )
                data = odd_body(rng, good) if method in ("POST", "PUT", "PATCH") else b""
                if method == "DELETE" and rng.random() < 0.2:
                    data = odd_body(rng, good)
                headers = odd_headers(rng)
                if token and template.startswith("/_mockfiles/") and rng.random() < 0.8:
                    headers["Authorization"] = rng.choice([f"Bearer {token}", f"bearer  {token} "])
                try:
                    answer = client.open(
                        path, method=method, query_string=query, data=data, headers=headers
                    )
                    status, body = answer.status_code, answer.get_data()
                except Exception as error:  # noqa: BLE001 - any escape is a finding
                    status, body = -1, repr(error).encode()
                    answer = None
                sent += 1
                statuses[(template, method, status)] += 1
                case = f"{method} {path[:80]}?{query[:60]} {headers} {data[:120]!r}"
                problems = []
                if status == -1:
                    problems.append(f"exception out of the app: {body[:200]!r}")
                elif status >= 500:
                    problems.append(f"{status} on {template}")
                elif answer is not None and not is_json_answer(
                    method, path, status, answer.headers
                ):
                    problems.append(f"not JSON ({answer.headers.get('Content-Type')}) {template}")
                elif status >= 400 and method != "HEAD":
                    try:
                        error = json.loads(body)["error"]
                        assert set(error) >= {"message", "type", "param", "code"}
                    except Exception:  # noqa: BLE001
                        problems.append(f"error not in the API's shape on {template}")
                if sent % 150 == 0:  # let the batches so far run to their end, and start one
                    mock.state.clock.advance(rng.choice([60, 3600, 90_000]))
                    for probe in ("/v1/batches?limit=100", "/_mockfiles/state"):
                        seen = client.get(probe, headers=AUTH)
                        if seen.status_code >= 500:
                            problems.append(f"{seen.status_code} on {probe} after the clock moved")
                    file_id, batch_id = seeded()
                    ids[:2] = [file_id, batch_id]
                for bug in mock.bugs:
                    problems.append(f"bug {type(bug.error).__name__}: {bug.error}"[:160])
                mock.state.clear_bugs()
                mock.state.faults.clear()  # a fault added by a fuzzed POST must not fire later
                if template.startswith("/_mockfiles/") and method == "POST":
                    mock.limits = limits
                    mock.add_key("sk-fuzz")  # the fuzzed POST may have reset or added keys
                    if template == "/_mockfiles/reset":
                        file_id, batch_id = seeded()
                        ids[:2] = [file_id, batch_id]
                for problem in problems:
                    key = problem[:120]
                    findings[key] += 1
                    examples.setdefault(key, case)
    seconds = time.perf_counter() - started
    print(f"{sent} requests over {len(templates)} routes in {seconds:.1f} s")
    for key, count in findings.most_common():
        print(f"{count:6d}  {key}\n        e.g. {examples[key][:400]}")
    if "-v" in sys.argv:
        for (template, method, status), count in sorted(statuses.items()):
            print(f"  {template} {method} {status}: {count}")
    if not findings:
        print("no findings")
    return findings


if __name__ == "__main__":
    per = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    fuzz(
        per,
        int(sys.argv[2]) if len(sys.argv) > 2 else 1,
        "t0ken-fuzz" if "--token" in sys.argv else None,
    )
