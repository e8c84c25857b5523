"""A raw-socket client for the hostile-request tests: sends one ``Hostile`` with a follow-up
request pipelined after it, reads every answer, and says what, if anything, was wrong."""

from __future__ import annotations

import json
import os
import selectors
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hostile_requests import ABORT, HALF_CLOSE, OPEN, Hostile

#: The follow-up: no key needed, and its 404 names its number, so an answer out of order shows.
FOLLOW_UP = b"GET /sync/%06d HTTP/1.1\r\nHost: mockfiles\r\n\r\n"
FOLLOW_UP_ANSWER = "Invalid URL (GET /sync/%06d)"


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    @property
    def closes(self) -> bool:
        return b"close" in self.headers.get(b"connection", b"").lower()


class TruncatedAnswer(Exception):
    pass


class Reader:
    """HTTP/1.1 answers off a socket, one after the other."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = b""

    def _fill(self) -> bool:
        data = self._sock.recv(65536)
        self._buffer += data
        return bool(data)

    def answer(self, head_only: bool = False) -> Answer | None:
        """The next answer, or None at the connection's end (before any byte of one)."""
        while b"\r\n\r\n" not in self._buffer:
            if not self._fill():
                if self._buffer:
                    raise TruncatedAnswer(self._buffer[:200])
                return None
        head, _, self._buffer = self._buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.split(b"\r\n")
        status = int(status_line.split()[1])
        headers = {}
        for line in lines:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        if status == 100:
            return self.answer(head_only)
        if head_only:
            return Answer(status, headers, b"")
        if b"content-length" in headers:
            length = int(headers[b"content-length"])
            while len(self._buffer) < length:
                if not self._fill():
                    raise TruncatedAnswer(head[:200])
            body, self._buffer = self._buffer[:length], self._buffer[length:]
        else:  # the fake sends a length with every JSON answer
            raise TruncatedAnswer(b"no Content-Length: " + head[:200])
        return Answer(status, headers, body)


def answer_problem(answer: Answer, head_only: bool) -> str | None:
    seen = f"{answer.status} {answer.headers.get(b'content-type')!r} {answer.body[:150]!r}"
    if answer.status >= 500:
        return f"a {answer.status}: {seen}"
    if not answer.headers.get(b"content-type", b"").startswith(b"application/json"):
        return f"not JSON: {seen}"
    if head_only:
        return None
    try:
        payload = json.loads(answer.body)
    except ValueError:
        return f"a body that is not JSON: {seen}"
    if answer.status >= 400:
        error = payload.get("error") if isinstance(payload, dict) else None
        if not isinstance(error, dict) or set(error) != {"message", "type", "param", "code"}:
            return f"not the API's error shape: {seen}"
    return None


def exchange(address: tuple[str, int], number: int, case: Hostile, timeout: float) -> str | None:
    """Send ``case`` (and the follow-up, when the connection is left open); what went wrong."""
    try:
        with socket.create_connection(address, timeout=timeout) as sock:
            if case.ending == ABORT:
                sock.sendall(case.wire)
                return None
            sock.sendall(case.wire + (FOLLOW_UP % number if case.ending == OPEN else b""))
            if case.ending == HALF_CLOSE:
                sock.shutdown(socket.SHUT_WR)
            return _judge(Reader(sock), number, case)
    except TimeoutError:
        return "a hang: neither an answer nor the connection's end within the timeout"
    except TruncatedAnswer as error:
        return f"a truncated answer: {error}"
    except ConnectionResetError:
        return "the connection was reset"


def _judge(reader: Reader, number: int, case: Hostile) -> str | None:
    answers: list[Answer] = []
    while (answer := reader.answer(head_only=case.head and not answers)) is not None:
        problem = answer_problem(answer, case.head and not answers)
        if problem:
            return problem
        answers.append(answer)
        expected = (FOLLOW_UP_ANSWER % number).encode()
        if expected in answer.body:
            if len(answers) != case.requests + 1:
                return f"the follow-up was answered as answer {len(answers)} (out of sync)"
            break
        if b"/sync/" in answer.body:
            return f"another request's follow-up answered (out of sync): {answer.body[:150]!r}"
        if answer.closes:
            if reader.answer() is not None:
                return "an answer after the connection's end was announced"
            break
    else:
        if not answers:
            return "closed without an answer" if case.answered else None
        if case.ending == OPEN:
            return "closed without announcing it, the follow-up unanswered"
    if not answers:
        return "closed without an answer" if case.answered else None
    first = answers[0]
    if case.statuses is not None and first.status not in case.statuses:
        return f"status {first.status}, expected one of {sorted(case.statuses)}"
    if case.statuses is not None and case.ending == OPEN and not case.keeps and not first.closes:
        return "a refused request whose answer does not close the connection"
    if case.keeps and case.ending == OPEN and len(answers) != case.requests + 1:
        return "the follow-up was not answered: the connection closed"
    return None


# -- the server, from outside ------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[str]
    url: str
    address: tuple[str, int]
    stderr: Path

    def threads(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/task"))

    def fds(self) -> int:
        return len(os.listdir(f"/proc/{self.process.pid}/fd"))


@contextmanager
def serve_process(stderr: Path, *args: str) -> Iterator[Served]:
    """``mockfiles serve`` in a subprocess, its stderr kept in ``stderr``."""
    with (
        stderr.open("w") as errors,
        subprocess.Popen(
            [sys.executable, "-m", "mockfiles", "serve", *args],
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        ) as process,
    ):
        assert process.stdout is not None
        try:
            url = process.stdout.readline().strip()
            host, port = url.removeprefix("http://").removesuffix("/v1").rsplit(":", 1)
            yield Served(process, url, (host, int(port)), stderr)
        finally:
            process.terminate()
            process.wait(10)


class HalfSent:
    """Connections that each send part of a request, then nothing: a thread watches them all
    and notes when the server answers and closes each one."""

    def __init__(self, address: tuple[str, int], pieces: list[bytes], timeout: float) -> None:
        self._selector = selectors.DefaultSelector()
        self.sent: dict[int, float] = {}
        self.closed: dict[int, float] = {}
        self.answers: dict[int, bytes] = {}
        for number, piece in enumerate(pieces):
            sock = socket.create_connection(address, timeout=timeout)
            sock.sendall(piece)
            self.sent[number] = time.monotonic()
            sock.setblocking(False)
            self.answers[number] = b""
            self._selector.register(sock, selectors.EVENT_READ, number)
        self._deadline = time.monotonic() + timeout + 10
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        while self._selector.get_map() and time.monotonic() < self._deadline:
            for key, _ in self._selector.select(timeout=0.5):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except OSError:
                    data = b""
                self.answers[key.data] += data
                if not data:
                    self.closed[key.data] = time.monotonic()
                    self._selector.unregister(sock)
                    sock.close()

    def wait(self) -> None:
        self._thread.join()
        for key in list(self._selector.get_map().values()):
            key.fileobj.close()  # type: ignore[union-attr]
        self._selector.close()

    def latencies(self) -> list[float]:
        """Seconds from each send to the connection's end (infinite for one never closed)."""
        return [self.closed.get(n, float("inf")) - sent for n, sent in self.sent.items()]
