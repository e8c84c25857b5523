"""Upload throughput, server memory and per-round cost of the fake, measured side by side.

Run:  python bench/upload_bench.py [--reps N] [--sizes 1,64,256]

What it prints, all from one run (this machine is shared and noisy, so every figure is a
median and every ratio compares numbers taken in alternation):

1. For each size (MiB) and source (an open file, and ``bytes``): the SDK's upload throughput
   to ``mockfiles serve`` over a socket, the raw loopback throughput of the same bytes sent to a
   process that discards them, their ratio, and the server's peak memory growth during the
   upload as a multiple of the file size.
2. A suite-like round (create, retrieve, delete through the SDK, the fake reset between rounds)
   over the socket and in-process: milliseconds per round.
3. The fixture's own per-test cost (a fresh fake attached, environment set and restored) and
   how long a server takes to stop.

Targets (issue 2): 256 MiB from an open file at >= 0.4 of loopback and <= 1.1x memory growth;
<= 20 ms per round over the socket, <= 10 ms in-process; < 1 ms fixture cost.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openai

import mockfiles
from mockfiles.conftest_plugin import FixtureSession

MiB = 1024 * 1024

DISCARD_SERVER = r"""
import socket, sys
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
buffer = bytearray(1024 * 1024)
while True:
    conn, _ = listener.accept()
    with conn:
        while conn.recv_into(buffer):
            pass
        conn.sendall(b"ok")
"""


def rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/{pid}/status")


def reset_peak(pid: int) -> None:
    # Writing 5 resets the peak resident set size (VmHWM) to the current one.
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def start(command: list[str]) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def loopback_send(port: int, data: bytes) -> float:
    view = memoryview(data)
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as conn:
        for offset in range(0, len(view), MiB):
            conn.sendall(view[offset : offset + MiB])
        conn.shutdown(socket.SHUT_WR)
        assert conn.recv(2) == b"ok"
    return time.perf_counter() - started


def timed_upload(client: openai.OpenAI, path: Path, data: bytes, source: str) -> float:
    # user_data: no format, size or encoding rule of its own applies to random bytes.
    started = time.perf_counter()
    if source == "file":
        with path.open("rb") as handle:
            created = client.files.create(file=handle, purpose="user_data")
    else:
        created = client.files.create(file=data, purpose="user_data")
    elapsed = time.perf_counter() - started
    assert created.bytes == len(data)
    client.files.delete(created.id)
    return elapsed


def minor_faults(pid: int) -> int:
    # Field 10 of /proc/PID/stat (after the command name): minor page faults so far.
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[7])


def upload_once(path: Path, data: bytes, source: str) -> tuple[float, float, float, float]:
    """Two uploads into a freshly started server.

    Returns the first upload's seconds (cold: it lands in memory the process never touched,
    paying a page fault per 4 KiB), the peak memory growth it caused as a multiple of the file
    size, the page faults it took per 4 KiB of the file (1.0 is the floor: each page of the
    stored bytes touched once), and the second upload's seconds (warm: after a delete, as in a
    long test session).
    """
    server, url = start([sys.executable, "-m", "mockfiles", "serve"])
    client = openai.OpenAI(base_url=url, api_key="sk-bench", max_retries=0)
    try:
        before = rss_kib(server.pid, "VmRSS")
        faults = minor_faults(server.pid)
        reset_peak(server.pid)
        cold = timed_upload(client, path, data, source)
        growth = (rss_kib(server.pid, "VmHWM") - before) * 1024 / len(data)
        per_page = (minor_faults(server.pid) - faults) / (len(data) / 4096)
        warm = timed_upload(client, path, data, source)
    finally:
        client.close()
        server.terminate()
        server.wait(5)
    return cold, growth, per_page, warm


def bench_uploads(sizes: list[int], reps: int) -> None:
    discard, port_text = start([sys.executable, "-c", DISCARD_SERVER])
    print("uploads through the SDK over a socket (medians; cold = first upload into a fresh")
    print("server, with the slowest and fastest run; warm = the next one, after a delete;")
    print("ratios are to the loopback figure)")
    print(
        f"{'size':>8} {'source':>6} {'loopback MB/s':>14} {'cold MB/s':>10} {'(range)':>11} "
        f"{'ratio':>6} {'warm MB/s':>10} {'ratio':>6} {'peak growth':>12} {'faults/page':>12}"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for size_mib in sizes:
                data = os.urandom(size_mib * MiB)
                path = Path(tmp) / f"bench-{size_mib}.jsonl"
                path.write_bytes(data)
                for source in ("file", "bytes"):
                    colds, warms, loops, growths, faults = [], [], [], [], []
                    for _ in range(reps):
                        # Side by side: the loopback figure is taken right before each upload.
                        loops.append(loopback_send(int(port_text), data))
                        cold, growth, per_page, warm = upload_once(path, data, source)
                        colds.append(cold)
                        warms.append(warm)
                        growths.append(growth)
                        faults.append(per_page)
                    loop_rate, cold_rate, warm_rate = (
                        len(data) / statistics.median(times) / 1e6
                        for times in (loops, colds, warms)
                    )
                    spread = (
                        f"{len(data) / max(colds) / 1e6:.0f}-{len(data) / min(colds) / 1e6:.0f}"
                    )
                    print(
                        f"{size_mib:>5}MiB {source:>6} {loop_rate:>14.0f} {cold_rate:>10.0f} "
                        f"{spread:>11} {cold_rate / loop_rate:>6.2f} {warm_rate:>10.0f} "
                        f"{warm_rate / loop_rate:>6.2f} {statistics.median(growths):>11.2f}x "
                        f"{statistics.median(faults):>12.2f}"
                    )
    finally:
        discard.terminate()
        discard.wait(5)


def round_trip(client: openai.OpenAI, mock: mockfiles.MockFiles) -> None:
    created = client.files.create(file=("data.jsonl", b'{"a": 1}\n'), purpose="batch")
    client.files.retrieve(created.id)
    client.files.delete(created.id)
    mock.reset()


def bench_rounds(rounds: int) -> None:
    print(f"\nsuite-like rounds: create + retrieve + delete + reset (median of {rounds})")
    with mockfiles.serve() as mock:
        socket_client = mock.client(max_retries=0)
        local_client = mock.client(in_process=True, max_retries=0)
        timings: dict[str, list[float]] = {"socket": [], "in-process": []}
        for _ in range(rounds):
            for name, client in (("socket", socket_client), ("in-process", local_client)):
                started = time.perf_counter()
                round_trip(client, mock)
                timings[name].append(time.perf_counter() - started)
        for name, values in timings.items():
            print(f"  {name:>10}: {statistics.median(values) * 1000:6.2f} ms per round")


def bench_fixture(rounds: int) -> None:
    print(f"\nfixture cost per test and server stop (median of {rounds})")
    session = FixtureSession()
    costs = []
    try:
        for _ in range(rounds):
            started = time.perf_counter()
            mock = session.begin_test({})
            session.end_test(mock)
            costs.append(time.perf_counter() - started)
    finally:
        session.close()
    print(f"  per-test set-up and tear-down: {statistics.median(costs) * 1000:.3f} ms")
    stops = []
    for _ in range(5):
        server = mockfiles.MockServer()
        server.start()
        started = time.perf_counter()
        server.stop()
        stops.append(time.perf_counter() - started)
    print(
        f"  server stop: median {statistics.median(stops) * 1000:.1f} ms, "
        f"worst {max(stops) * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--reps", type=int, default=5, help="repetitions per large size")
    parser.add_argument("--sizes", default="1,64,256", help="sizes in MiB, comma-separated")
    parser.add_argument("--rounds", type=int, default=200, help="suite-like rounds")
    args = parser.parse_args()
    bench_uploads([int(s) for s in args.sizes.split(",")], args.reps)
    bench_rounds(args.rounds)
    bench_fixture(args.rounds)


if __name__ == "__main__":
    main()
