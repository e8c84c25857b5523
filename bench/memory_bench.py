"""How much a `mockfiles serve` process grows while it refuses uploads of 300 MiB.

Each case starts a fresh server, warms it with one small request, resets its peak memory
(`/proc/<pid>/clear_refs`), streams the upload from a raw socket (reading the answer as soon as
the server gives one, as a careful client does), then reads the server's peak RSS (VmHWM).
The server may hold an upload only up to its bound, so each refusal must cost far less than
the 300 MiB sent: the check is growth < 64 MiB and the real 400 text. Linux only.

    python bench/memory_bench.py          # exits 1 if a case fails its check
"""

from __future__ import annotations

import json
import selectors
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

MiB = 1024 * 1024
SIZE = 300 * MiB
BOUND = 64 * MiB
TOO_LARGE = "File is too large."
QUOTA = (
    "You have exceeded your file storage quota. Projects are limited to 1 MB of files. Please "
    "delete old files or attempt with a smaller file size."
)


@contextmanager
def server(*args: str) -> Iterator[tuple[int, tuple[str, int]]]:
    with subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        host, port = url.removeprefix("http://").removesuffix("/v1").rsplit(":", 1)
        try:
            yield process.pid, (host, int(port))
        finally:
            process.terminate()
            process.wait(10)


def kib(pid: int, field: str) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def upload(address: tuple[str, int], purpose: str, chunked: bool) -> tuple[int, str, int]:
    """Stream a SIZE-byte file; the answer's status, error message, and the bytes sent."""
    boundary = b"membench"
    opening = (
        b'--%s\r\nContent-Disposition: form-data; name="purpose"\r\n\r\n%s\r\n'
        b'--%s\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'
    ) % (boundary, purpose.encode(), boundary)
    closing = b"\r\n--%s--\r\n" % boundary
    framing = (
        b"Transfer-Encoding: chunked"
        if chunked
        else b"Content-Length: %d" % (len(opening) + SIZE + len(closing))
    )
    head = (
        b"POST /v1/files HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer sk-bench\r\n"
        b"Content-Type: multipart/form-data; boundary=%s\r\n%s\r\n\r\n" % (boundary, framing)
    )
    block = bytes(MiB)
    pieces = [opening] + [block] * (SIZE // MiB) + [closing]
    if chunked:
        pieces = [b"%x\r\n%s\r\n" % (len(p), p) for p in pieces] + [b"0\r\n\r\n"]
    sent = 0
    answer = b""
    with socket.create_connection(address, timeout=60) as sock:
        sock.sendall(head)
        sock.setblocking(False)
        selector = selectors.DefaultSelector()
        selector.register(sock, selectors.EVENT_READ | selectors.EVENT_WRITE)
        pending = memoryview(b"")
        queue = iter(pieces)
        while True:
            for _, events in selector.select(timeout=60):
                if events & selectors.EVENT_READ:
                    data = sock.recv(65536)
                    answer += data
                    if not data or _complete(answer):
                        selector.close()
                        return _parse(answer) + (sent,)
                if events & selectors.EVENT_WRITE:
                    if not pending:
                        pending = memoryview(next(queue, b""))
                        if not pending:  # all sent: wait for the answer only
                            selector.modify(sock, selectors.EVENT_READ)
                            continue
                    try:
                        count = sock.send(pending)
                    except OSError:  # the server closed after answering: read what it said
                        selector.modify(sock, selectors.EVENT_READ)
                        continue
                    sent += count
                    pending = pending[count:]


def warm_up(address: tuple[str, int]) -> None:
    """One small request, so the code paths are loaded before the peak is measured."""
    with socket.create_connection(address, timeout=10) as sock:
        sock.sendall(
            b"GET /v1/files HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer k\r\n"
            b"Connection: close\r\n\r\n"
        )
        while sock.recv(65536):
            pass


def _complete(answer: bytes) -> bool:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return len(body) >= int(line.split(b":")[1])
    return False


def _parse(answer: bytes) -> tuple[int, str]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split()[1]) if head else 0
    try:
        message = json.loads(body)["error"]["message"]
    except (ValueError, KeyError, TypeError):
        message = repr(body[:200])
    return status, message


CASES = [
    # (label, serve arguments, purpose, chunked, expected message)
    (
        "300 MiB batch file over the 200 MB batch limit, Content-Length",
        (),
        "batch",
        False,
        TOO_LARGE,
    ),
    (
        "300 MiB into a project with 1 MiB of quota left, Content-Length",
        ("--storage-bytes", str(MiB)),
        "user_data",
        False,
        QUOTA,
    ),
    (
        "300 MiB chunked, over a 32 MiB per-file limit",
        ("--file-bytes", str(32 * MiB)),
        "user_data",
        True,
        TOO_LARGE,
    ),
    (
        "300 MiB chunked into a project with 1 MiB of quota left",
        ("--storage-bytes", str(MiB)),
        "user_data",
        True,
        QUOTA,
    ),
]


def main() -> int:
    failed = False
    print(f"{'case':<66} {'growth':>9} {'sent':>9} {'time':>6}  answer")
    for label, args, purpose, chunked, expected in CASES:
        with server(*args) as (pid, address):
            warm_up(address)
            before = kib(pid, "VmRSS")
            with open(f"/proc/{pid}/clear_refs", "w") as refs:
                refs.write("5")  # the peak starts again from the current size
            started = time.perf_counter()
            status, message, sent = upload(address, purpose, chunked)
            seconds = time.perf_counter() - started
            growth = (kib(pid, "VmHWM") - before) * 1024
        ok = growth < BOUND and status == 400 and message == expected
        failed |= not ok
        print(
            f"{label:<66} {growth / MiB:7.1f} MiB {sent / MiB:6.0f} MiB {seconds:5.2f}s  "
            f"{status} {message[:60]!r}{'' if ok else '  <-- FAILED'}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
