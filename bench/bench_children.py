"""The scripts ``suite_bench.py`` runs in fresh processes, each printing one JSON line last.

A fresh process per measure: memory growth and freezegun's first scan are per process, and
no measure warms the next.
"""

from __future__ import annotations

# The loopback-discard server, the same one upload_bench.py measures beside.
from upload_bench import DISCARD_SERVER

_COMMON = r"""
import json, os, socket, statistics, subprocess, sys, time
from pathlib import Path
MiB = 1024 * 1024
CLOCK = [time.perf_counter]  # a list: freezegun never swaps what is inside one

def kib(field, pid="self"):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])

def reset_peak(pid="self"):
    Path(f"/proc/{pid}/clear_refs").write_text("5")

def start(code):
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    return process, process.stdout.readline().strip()
"""

# A server that reads every request whole into one reused buffer and answers a file object:
# what the SDK can push at most, with no work done on the bytes.
_DRAIN_SERVER = r"""
import json, socket
listener = socket.create_server(("127.0.0.1", 0))
print(listener.getsockname()[1], flush=True)
buffer = bytearray(1024 * 1024)
while True:
    conn, _ = listener.accept()
    with conn:
        head = b""
        while b"\r\n\r\n" not in head:
            head += conn.recv(65536)
        head, _, rest = head.partition(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:"))
        left = length - len(rest)
        while left > 0:
            left -= conn.recv_into(buffer, min(left, len(buffer)))
        body = json.dumps({"id": "file-drain", "object": "file", "bytes": length,
                           "created_at": 0, "filename": "f", "purpose": "user_data",
                           "status": "processed"}).encode()
        conn.sendall(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                     b"connection: close\r\ncontent-length: %d\r\n\r\n%s" % (len(body), body))
"""


SOCKET_UPLOAD = (
    _COMMON
    + r"""
import openai
path = Path(sys.argv[1])
server = subprocess.Popen([sys.executable, "-m", "mockfiles", "serve"], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL, text=True)
url = server.stdout.readline().strip()
client = openai.OpenAI(base_url=url, api_key="sk-bench", max_retries=0)
client.files.list()
before = kib("VmRSS", server.pid)
reset_peak(server.pid)
started = CLOCK[0]()
with path.open("rb") as handle:
    created = client.files.create(file=handle, purpose="user_data")
seconds = CLOCK[0]() - started
growth = (kib("VmHWM", server.pid) - before) * 1024 / path.stat().st_size
assert created.bytes == path.stat().st_size
server.terminate()
print(json.dumps({"seconds": seconds, "growth": growth}))
"""
)

IN_PROCESS_UPLOAD = (
    _COMMON
    + r"""
import openai, mockfiles
path, limit = Path(sys.argv[1]), int(sys.argv[2])
mock = mockfiles.MockFiles(limits={"file_bytes": limit} if limit else None)
client = mock.client(in_process=True)
client.files.list()
before = kib("VmRSS")
reset_peak()
started = CLOCK[0]()
try:
    with path.open("rb") as handle:
        created = client.files.create(file=handle, purpose="user_data")
    assert created.bytes == path.stat().st_size
except openai.BadRequestError:
    assert limit, "refused though no limit was set"
seconds = CLOCK[0]() - started
grown = (kib("VmHWM") - before) * 1024
print(json.dumps({"seconds": seconds, "growth": grown / path.stat().st_size,
                  "growth_mib": grown / MiB}))
"""
)

LOOPBACK_DISCARD = (
    _COMMON
    + "DISCARD = "
    + repr(DISCARD_SERVER)
    + r"""
server, port = start(DISCARD)
path = Path(sys.argv[1])
buffer = bytearray(MiB)
started = CLOCK[0]()
with path.open("rb") as handle, socket.create_connection(("127.0.0.1", int(port))) as conn:
    while count := handle.readinto(buffer):
        conn.sendall(memoryview(buffer)[:count])
    conn.shutdown(socket.SHUT_WR)
    assert conn.recv(2) == b"ok"
seconds = CLOCK[0]() - started
server.terminate()
print(json.dumps({"seconds": seconds}))
"""
)

DRAIN_ONLY_UPLOAD = (
    _COMMON
    + "DRAIN = "
    + repr(_DRAIN_SERVER)
    + r"""
import openai
server, port = start(DRAIN)
path = Path(sys.argv[1])
client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="sk-bench", max_retries=0)
started = CLOCK[0]()
with path.open("rb") as handle:
    created = client.files.create(file=handle, purpose="user_data")
seconds = CLOCK[0]() - started
server.terminate()
print(json.dumps({"seconds": seconds}))
"""
)

_PERCENTILES = r"""
def timed(client, file_id, rounds=2000):
    for _ in range(100):
        client.files.retrieve(file_id)
    times = []
    for _ in range(rounds):
        started = CLOCK[0]()
        client.files.retrieve(file_id)
        times.append((CLOCK[0]() - started) * 1000)
    cuts = statistics.quantiles(times, n=100)
    return {"p50": cuts[49], "p90": cuts[89], "p99": cuts[98]}
"""

RETRIEVE = (
    _COMMON
    + _PERCENTILES
    + r"""
from mockfiles.conftest_plugin import FixtureSession
if sys.argv[1] == "in-process":
    import mockfiles
    client = mockfiles.MockFiles().client(in_process=True)
else:
    session = FixtureSession()  # as the fixture serves it: the server thread in this process
    client = session.begin_test({}).client()
created = client.files.create(file=("a.txt", b"hello"), purpose="assistants")
print(json.dumps(timed(client, created.id)))
"""
)

RETRIEVE_RESPONSES = (
    _COMMON
    + _PERCENTILES
    + r"""
import openai
from openai_responses import OpenAIMock
mock = OpenAIMock()
with mock.router:
    client = openai.OpenAI(api_key="sk-fake", max_retries=0)
    created = client.files.create(file=("a.txt", b"hello"), purpose="assistants")
    print(json.dumps(timed(client, created.id)))
"""
)

#: What each test of the per-test suites does, after making its ``client``.
SUITE_ROUNDTRIP = """\
    created = client.files.create(file=("a.txt", b"hello"), purpose="assistants")
    assert client.files.retrieve(created.id).id == created.id
    client.files.delete(created.id)
"""

#: ``MockServer.stop()`` with nothing open, and with a client's kept-alive connection open (as
#: the fixture's server has at the end of a session): medians and worst of 50 each.
STOP = (
    _COMMON
    + r"""
import mockfiles

def once(keep_alive):
    mock = mockfiles.MockFiles()
    server = mockfiles.MockServer()
    server.start()
    server.attach(mock)
    if keep_alive:
        mock.client(max_retries=0).files.list()
    started = CLOCK[0]()
    server.stop()
    elapsed = (CLOCK[0]() - started) * 1000
    server.detach()
    return elapsed

idle, kept = [], []
for _ in range(50):
    idle.append(once(False))
    kept.append(once(True))
print(json.dumps({"idle": statistics.median(idle), "kept": statistics.median(kept),
                  "worst": max(idle + kept)}))
"""
)

FREEZE = (
    _COMMON
    + r"""
import openai, freezegun, mockfiles
openai.OpenAI(api_key="sk-x", base_url="http://127.0.0.1:9/v1")  # the SDK as a test loads it

def once():
    mock = mockfiles.MockFiles()  # made before, as the fixture makes it before the test
    started = CLOCK[0]()
    if sys.argv[1] == "mockfiles":
        mock.freeze("2030-01-02")
        mock.close()
    else:
        freezer = freezegun.freeze_time("2030-01-02")
        freezer.start()
        freezer.stop()
    return (CLOCK[0]() - started) * 1000

first = once()
print(json.dumps({"first": first, "later": statistics.median(once() for _ in range(10))}))
"""
)

#: A conftest for the floor of the socket modes: the SDK against a threaded HTTP server (one
#: thread per connection, as the fake's) that answers each call with a fixed valid body, doing
#: no work. What a test pays here, any fake served on a socket pays.
STATIC_SERVER_CONFTEST = r"""
import json, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import pytest

FILE = {"id": "file-static", "object": "file", "bytes": 5, "created_at": 0,
        "filename": "a.txt", "purpose": "assistants", "status": "processed"}
DELETED = {"id": "file-static", "object": "file", "deleted": True}

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self, payload):
        # One write: headers and body apart would meet Nagle's algorithm and a delayed ACK.
        body = json.dumps(payload).encode()
        self.wfile.write(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                         b"content-length: %d\r\n\r\n%s" % (len(body), body))

    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self._answer(FILE)

    def do_GET(self):
        self._answer(FILE)

    def do_DELETE(self):
        self._answer(DELETED)

    def log_message(self, *args):
        pass

@pytest.fixture(scope="session")
def static_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
"""
