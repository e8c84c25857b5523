"""A real ``mockfiles serve`` process against ten thousand generated hostile requests.

Every request (``hostile_requests.py``) goes on a connection of its own, with a known-good
follow-up request pipelined after it: the answers must be JSON and below 500, the follow-up's
answer must come in order (or the connection's end must have been announced), nothing may hang
past the idle timeout, a smuggled ``DELETE`` must never run, the fake must record no bug, and
the process's threads and file descriptors must come back to where they were.
"""

from __future__ import annotations

import json
import random
import socket
import struct
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from hostile_client import HalfSent, Reader, Served, exchange, serve_process
from hostile_requests import FAMILY_NAMES, Hostile, disconnect_targets, generate, half_sent

pytestmark = pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")

#: The server's idle timeout in these tests (``--timeout``): short, so stalls end quickly.
IDLE_TIMEOUT = 2.0
#: A client gives up on an answer after this long: past it, the server hung.
HANG = IDLE_TIMEOUT + 3.0
#: How long threads and descriptors may take to come back after the clients leave (lingering
#: closes last up to 2 s).
SETTLE = IDLE_TIMEOUT + 4.0


#: Requests sent in part, then left waiting, while the storm runs.
HALF_SENT = 300


@dataclass
class Storm:
    cases: list[Hostile]
    problems: list[tuple[Hostile, str | None]]
    seconds: float
    baseline: tuple[int, int]
    victim: str
    half_sent: HalfSent
    #: Threads of the server while the half-sent requests were waiting.
    busy: int


def call(served: Served, method: str, path: str, body: bytes | None = None, **headers: str):
    request = urllib.request.Request(served.url.removesuffix("/v1") + path, body, method=method)
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def settled(served: Served, baseline: tuple[int, int], within: float) -> tuple[int, int]:
    """The threads and descriptors once they are back to ``baseline`` (or after ``within``)."""
    deadline = time.monotonic() + within
    while True:
        now = (served.threads(), served.fds())
        if (now[0] <= baseline[0] and now[1] <= baseline[1]) or time.monotonic() > deadline:
            return now
        time.sleep(0.02)  # waiting for the server's threads to end, not for time to pass


def idle_baseline(served: Served) -> tuple[int, int]:
    """Threads and descriptors of the server with no connection open: its main thread and
    accept loop, once the connections of earlier calls have ended."""
    threads, _ = settled(served, (2, 1 << 30), within=SETTLE)
    assert threads == 2
    return threads, served.fds()


def upload_victim(served: Served) -> str:
    boundary = "victim"
    form = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="v.jsonl"\r\n'
        f"\r\n{{}}\r\n--{boundary}--\r\n"
    ).encode()
    status, body = call(
        served,
        "POST",
        "/v1/files",
        form,
        Authorization="Bearer sk-hostile",
        Content_Type=f"multipart/form-data; boundary={boundary}",
    )
    assert status == 200, body
    return str(body["id"])


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    stderr = tmp_path_factory.mktemp("hostile") / "stderr.txt"
    with serve_process(stderr, "--timeout", str(IDLE_TIMEOUT), "--seed", "9") as served:
        yield served


@pytest.fixture(scope="module")
def storm(served: Served) -> Storm:
    victim = upload_victim(served)
    baseline = idle_baseline(served)
    cases = generate(victim.encode())
    started = time.perf_counter()
    waiting = HalfSent(served.address, half_sent(random.Random(300), HALF_SENT), HANG)
    busy = served.threads()
    with ThreadPoolExecutor(max_workers=24) as pool:
        outcomes = list(
            pool.map(lambda n: exchange(served.address, n, cases[n], HANG), range(len(cases)))
        )
    waiting.wait()
    seconds = time.perf_counter() - started
    problems = list(zip(cases, outcomes, strict=True))
    return Storm(cases, problems, seconds, baseline, victim, waiting, busy)


def test_the_storm_is_ten_thousand_requests_or_more(storm: Storm) -> None:
    sent = len(storm.cases) + HALF_SENT
    assert sent >= 10_000
    print(f"{sent} hostile requests in {storm.seconds:.1f} s")


@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_every_hostile_request_is_answered_in_json_below_500_and_in_sync(
    storm: Storm, family: str
) -> None:
    problems = [(case, problem) for case, problem in storm.problems if case.family == family]
    wrong = [f"{case.describe()}: {problem}" for case, problem in problems if problem]
    kinds = Counter(problem.split(":")[0] for _, problem in problems if problem)
    assert not wrong, f"{len(wrong)} of {len(problems)} ({dict(kinds)}):\n" + "\n".join(wrong[:40])


def test_a_smuggled_delete_never_ran(storm: Storm, served: Served) -> None:
    status, body = call(
        served, "GET", f"/v1/files/{storm.victim}", Authorization="Bearer sk-hostile"
    )
    assert (status, body["id"]) == (200, storm.victim)


def test_the_fake_recorded_no_bug(storm: Storm, served: Served) -> None:
    status, body = call(served, "GET", "/_mockfiles/bugs")
    if status == 200:  # the bugs endpoint, where the server has it
        assert body["data"] == []
    # The server prints every bug of its own (and, where it does so, the app's) to stderr.
    assert "Traceback" not in served.stderr.read_text()


@pytest.mark.parametrize(
    "path",
    [
        "/_mockfiles/journal",
        "/_mockfiles/state",
        "/_mockfiles/batches/timing",
        "/v1/batches?limit=100",
        "/v1/files?limit=100",
    ],
)
def test_every_read_still_answers_after_the_storm(storm: Storm, served: Served, path: str) -> None:
    """What the storm left in the fake (journal entries, seeded files, batches, timings) can
    still be written as an answer: no value got in that poisons every later read."""
    status, body = call(served, "GET", path, Authorization="Bearer sk-hostile")
    assert status == 200, body


def test_threads_and_descriptors_return_to_their_baseline(storm: Storm, served: Served) -> None:
    after = settled(served, storm.baseline, within=SETTLE)
    print(f"threads, fds: baseline {storm.baseline}, after the storm {after}")
    assert after[0] <= storm.baseline[0]
    assert after[1] <= storm.baseline[1]


def test_the_server_is_alive_after_the_storm(storm: Storm, served: Served) -> None:
    status, body = call(served, "GET", "/v1/files?limit=1", Authorization="Bearer sk-hostile")
    assert status == 200
    assert body["object"] == "list"


def test_300_half_sent_requests_are_all_let_go_within_the_timeout(storm: Storm) -> None:
    latencies = storm.half_sent.latencies()
    answers = Counter(answer[:12] for answer in storm.half_sent.answers.values())
    print(
        f"{HALF_SENT} half-sent: {storm.busy} server threads while they waited; closed "
        f"{min(latencies):.2f} to {max(latencies):.2f} s after their send; answers {dict(answers)}"
    )
    assert max(latencies) <= IDLE_TIMEOUT + 2.0
    # What arrived of each request is answered: a 408, its head or body having stalled.
    assert set(answers) == {b"HTTP/1.1 408"}


@pytest.mark.parametrize("ending", ["close", "reset", "half-close"])
def test_a_client_leaving_mid_body_on_batch_and_control_endpoints_is_never_a_bug(
    served: Served, ending: str
) -> None:
    """Each batch and seeding endpoint, its body by Content-Length and chunked, broken off at
    three points of the body: the client closes, resets (RST), or ends its side and reads
    (then it gets the 400 of a body that ended early). The fake records nothing of it."""
    before = idle_baseline(served)
    answers = []
    for wire in disconnect_targets():
        start = wire.index(b"\r\n\r\n") + 4
        for cut in (start + 1, (start + len(wire)) // 2, len(wire) - 1):
            with socket.create_connection(served.address, timeout=HANG) as sock:
                sock.sendall(wire[:cut])
                if ending == "reset":
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                elif ending == "half-close":
                    sock.shutdown(socket.SHUT_WR)
                    answer = Reader(sock).answer()
                    answers.append((wire.split(b" ")[1], answer and answer.status))
    settled(served, before, within=SETTLE)  # every server thread of these has ended
    if ending == "half-close":
        # The 400 of a body that ended early; cancel reads no body, so it may answer its 404
        # first (unless the framing broke before the request reached it).
        wrong = [
            (target, status)
            for target, status in answers
            if status not in ({400, 404} if target.endswith(b"/cancel") else {400})
        ]
        assert not wrong
    status, body = call(served, "GET", "/_mockfiles/bugs")
    assert (status, body["data"]) == (200, [])
    assert "Traceback" not in served.stderr.read_text()
