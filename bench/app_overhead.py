"""The WSGI app's own cost per request: a files.retrieve answered by ``FilesApp`` alone.

Run:  python bench/app_overhead.py [--calls 20000] [--reps 7]

No socket and no client: the same WSGI environ is handed to the app again and again, and the
CPU time of the WSGI call (app + iterating its body) is taken. Printed, measured side by side in
one run: the median per-call time of the fake's retrieve, of its unknown-URL 404, and of a
minimal werkzeug app (Request → route with a bound Map → JSON Response), and the ratios.
Target (issue 12): the retrieve ≤ 0.08 ms per call.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.routing import Map, Rule  # noqa: E402
from werkzeug.wrappers import Request, Response  # noqa: E402

from mockfiles import MockFiles  # noqa: E402

Environ = dict[str, Any]
WSGI = Callable[[Environ, Callable[..., Any]], Iterable[bytes]]


def environ_for(method: str, path: str, key: str = "sk-bench") -> Environ:
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {key}",
        "HTTP_ACCEPT": "application/json",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def minimal_app() -> WSGI:
    """The least a werkzeug app does for the same answer."""
    url_map = Map([Rule("/v1/files/<file_id>", endpoint="retrieve", methods=["GET"])])
    payload = {"object": "file", "id": "file-x", "bytes": 3}

    def app(environ: Environ, start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        request.headers.get("Authorization")
        adapter = url_map.bind_to_environ(environ)
        _, args = adapter.match()
        body = json.dumps({**payload, "id": args["file_id"]}).encode()
        return Response(body, content_type="application/json")(environ, start_response)

    return app


def per_call_ms(app: WSGI, environ: Environ, calls: int) -> float:
    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        return None

    # CPU time of this process: on a shared machine, time spent waiting for a core is not the
    # app's cost.
    started = time.process_time()
    for _ in range(calls):
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(b"")
        for _chunk in app(env, start_response):
            pass
    return (time.process_time() - started) * 1000 / calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()

    mock = MockFiles(seed=1)
    created = mock.add_file(purpose="assistants", size=3, filename="a.txt")
    cases: dict[str, tuple[WSGI, Environ]] = {
        "fake: files.retrieve": (mock.app, environ_for("GET", f"/v1/files/{created.id}")),
        "fake: unknown URL 404": (mock.app, environ_for("GET", "/v1/nowhere")),
        "minimal werkzeug app": (minimal_app(), environ_for("GET", f"/v1/files/{created.id}")),
    }
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.reps):  # interleaved, so a busy moment hits every case alike
        for name, (app, environ) in cases.items():
            samples[name].append(per_call_ms(app, environ, args.calls))
        mock.journal.clear()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    baseline = medians["minimal werkzeug app"]
    for name, median in medians.items():
        print(f"{name:24} {median * 1000:8.1f} µs/call   {median / baseline:5.2f} x minimal")
    print(f"target: files.retrieve ≤ 80 µs/call -> {medians['fake: files.retrieve'] * 1000:.1f} µs")


if __name__ == "__main__":
    main()
