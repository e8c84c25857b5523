"""Fast in every mode, side by side in one run: uploads, retrieve latency, per-test cost of a
suite, plugin import, ``freeze()``, ``stop()``; with openai-responses beside it as the reference.

Run (see docs/benchmarks.md):

    python3 -m venv bench/.venv-responses
    bench/.venv-responses/bin/pip install 'openai<3' openai-responses pytest
    .venv/bin/python bench/suite_bench.py [--reps 3] [--tests 200] [--size 256]

It prints one table of medians and ratios taken in alternation (this machine is shared and
noisy: ratios are what to read) and exits 1 when a target is missed, 2 when openai-responses'
environment is missing. The app's own overhead per retrieve (``bench/app_overhead.py``) and
an unused plugin's cost (``bench/plugin_import.py``) are benchmarks of their own, run here when
present, their exit status the target's.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import bench_children as children

MiB = 1024 * 1024
HERE = Path(__file__).resolve().parent
RESPONSES_PYTHON = HERE / ".venv-responses" / "bin" / "python"


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, bool | None]] = []

    def add(self, name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        self.rows.append((name, value, target, ok))
        mark = {True: "ok", False: "MISSED", None: ""}[ok]
        print(f"{name:<58} {value:>28}  {target:<22} {mark}", flush=True)

    def missed(self) -> list[str]:
        return [name for name, _, _, ok in self.rows if ok is False]


def run_json(python: Path | str, script: str, *args: object, timeout: float = 900) -> dict:
    done = subprocess.run(
        [str(python), "-c", script, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(reps: int, *measures: Callable[[], dict]) -> list[dict[str, float]]:
    """Each measure ``reps`` times, in alternation; the median of every field."""
    results: list[list[dict]] = [[] for _ in measures]
    for _ in range(reps):
        for index, measure in enumerate(measures):
            results[index].append(measure())
    return [{key: statistics.median(r[key] for r in runs) for key in runs[0]} for runs in results]


def bench_uploads(table: Table, size_mib: int, reps: int, workdir: Path) -> None:
    size = size_mib * MiB
    path = workdir / "upload.bin"
    with path.open("wb") as handle:
        for _ in range(size_mib):
            handle.write(os.urandom(MiB))
    over = workdir / "over.bin"
    with over.open("wb") as handle:
        handle.truncate(300 * MiB)
    py = sys.executable
    socket_, in_process, loopback, drain = median_of(
        reps,
        lambda: run_json(py, children.SOCKET_UPLOAD, path),
        lambda: run_json(py, children.IN_PROCESS_UPLOAD, path, 0),
        lambda: run_json(py, children.LOOPBACK_DISCARD, path),
        lambda: run_json(py, children.DRAIN_ONLY_UPLOAD, path),
    )
    refused = median_of(reps, lambda: run_json(py, children.IN_PROCESS_UPLOAD, over, 256 * MiB))[0]
    mbs = {
        name: size / r["seconds"] / 1e6
        for name, r in [
            ("socket", socket_),
            ("in-process", in_process),
            ("loopback", loopback),
            ("drain", drain),
        ]
    }
    table.add(f"upload {size_mib} MiB: loopback discard (ceiling)", f"{mbs['loopback']:.0f} MB/s")
    table.add(f"upload {size_mib} MiB: SDK into a drain-only server", f"{mbs['drain']:.0f} MB/s")
    table.add(
        f"upload {size_mib} MiB: socket (mockfiles serve)",
        f"{mbs['socket']:.0f} MB/s = {mbs['socket'] / mbs['loopback']:.2f}x loopback",
        f"{socket_['growth']:.3f}x memory",
    )
    ratio = mbs["in-process"] / mbs["socket"]
    table.add(
        f"upload {size_mib} MiB: in-process, throughput vs socket",
        f"{mbs['in-process']:.0f} MB/s = {ratio:.2f}x socket",
        ">= 1.00x socket",
        ratio >= 1.0,
    )
    table.add(
        f"upload {size_mib} MiB: in-process, memory growth",
        f"{in_process['growth']:.3f}x the file",
        "<= 1.05x",
        in_process["growth"] <= 1.05,
    )
    table.add(
        "upload 300 MiB over a 256 MiB limit, in-process: growth",
        f"{refused['growth_mib']:.1f} MiB",
        "< 64 MiB",
        refused["growth_mib"] < 64,
    )


def bench_retrieve(table: Table, responses: bool) -> None:
    in_process = run_json(sys.executable, children.RETRIEVE, "in-process")
    socket_ = run_json(sys.executable, children.RETRIEVE, "socket")
    reference = run_json(RESPONSES_PYTHON, children.RETRIEVE_RESPONSES) if responses else None
    for name, result, limit in (("in-process", in_process, 1.0), ("socket", socket_, 2.5)):
        spread = f"p50 {result['p50']:.3f} p90 {result['p90']:.3f} p99 {result['p99']:.3f}"
        table.add(
            f"retrieve through the SDK, {name} (ms)",
            spread,
            f"p50 <= {limit} ms",
            result["p50"] <= limit,
        )
    if reference is not None:
        spread = f"p50 {reference['p50']:.3f} p90 {reference['p90']:.3f} p99 {reference['p99']:.3f}"
        table.add("retrieve through the SDK, openai-responses (ms)", spread)


SUITES = {
    "in-process": ("mockfiles", "client = mockfiles.client(in_process=True)"),
    "socket, mockfiles.client()": ("mockfiles", "client = mockfiles.client()"),
    "socket, user-built OpenAI()": ("mockfiles", "client = openai.OpenAI()"),
}
#: The floor of the socket modes, measured beside them (no target: it is not the fake).
FLOOR = (
    "floor: SDK to a static threaded server",
    "static_server",
    # Built as client() builds it over the socket: no certificates loaded.
    "client = openai.OpenAI(base_url=static_server, api_key='sk-x', "
    "http_client=openai.DefaultHttpxClient(verify=False))",
)


def write_suite(
    directory: Path, tests: int, body: str, header: str = "import openai\n", conftest: str = ""
) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    if conftest:
        (directory / "conftest.py").write_text(conftest)
    lines = [header]
    for index in range(tests):
        lines.append(body.replace("NAME", f"test_{index}"))
    (directory / "test_suite.py").write_text("\n".join(lines))
    return directory


def run_suite(python: Path | str, directory: Path, tests: int) -> dict[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(directory)],
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
        cwd=directory,
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0 or f"{tests} passed" not in done.stdout:
        raise RuntimeError(f"suite {directory} failed:\n{done.stdout[-3000:]}")
    return {"seconds": elapsed}


def bench_suites(table: Table, tests: int, reps: int, workdir: Path, responses: bool) -> None:
    roundtrip = children.SUITE_ROUNDTRIP
    dirs = {
        name: write_suite(
            workdir / f"suite{index}", tests, f"def NAME({fixture}):\n    {line}\n{roundtrip}"
        )
        for index, (name, (fixture, line)) in enumerate(SUITES.items())
    }
    floor_name, floor_fixture, floor_line = FLOOR
    dirs[floor_name] = write_suite(
        workdir / "floor",
        tests,
        f"def NAME({floor_fixture}):\n    {floor_line}\n{roundtrip}",
        conftest=children.STATIC_SERVER_CONFTEST,
    )
    empty = write_suite(workdir / "empty", tests, "def NAME():\n    pass\n")
    measures = [lambda d=d: run_suite(sys.executable, d, tests) for d in dirs.values()]
    measures.append(lambda: run_suite(sys.executable, empty, tests))
    if responses:
        header = "import openai\nimport openai_responses\n"
        reference = write_suite(
            workdir / "responses",
            tests,
            "@openai_responses.mock()\ndef NAME():\n"
            "    client = openai.OpenAI(api_key='sk-fake')\n" + roundtrip,
            header,
        )
        reference_empty = write_suite(
            workdir / "responses-empty", tests, "def NAME():\n    pass\n", header
        )
        measures.append(lambda: run_suite(RESPONSES_PYTHON, reference, tests))
        measures.append(lambda: run_suite(RESPONSES_PYTHON, reference_empty, tests))
    results = median_of(reps, *measures)
    empty_s = results[len(dirs)]["seconds"]
    table.add(f"empty suite of {tests} tests (mockfiles' venv)", f"{empty_s:.2f} s")
    reference_ms = None
    if responses:
        reference_ms = (results[-2]["seconds"] - results[-1]["seconds"]) / tests * 1000
        table.add(
            f"empty suite of {tests} tests (openai-responses' venv)",
            f"{results[-1]['seconds']:.2f} s",
        )
        table.add("per test: openai-responses, fresh client", f"{reference_ms:.1f} ms")
    for name, result in zip(dirs, results, strict=False):
        per_test = (result["seconds"] - empty_s) / tests * 1000
        if reference_ms is None or name == floor_name:
            ratio = "" if reference_ms is None else f" = {per_test / reference_ms:.2f}x reference"
            table.add(f"per test: {name}", f"{per_test:.1f} ms{ratio}")
        else:
            ratio = per_test / reference_ms
            table.add(
                f"per test: {name}",
                f"{per_test:.1f} ms = {ratio:.2f}x reference",
                "<= 0.25x openai-responses",
                ratio <= 0.25,
            )


def bench_freeze_and_stop(table: Table, reps: int) -> None:
    ours, stock = median_of(
        reps,
        lambda: run_json(sys.executable, children.FREEZE, "mockfiles"),
        lambda: run_json(sys.executable, children.FREEZE, "freezegun"),
    )
    table.add("freezegun start+stop, stock, first in a process", f"{stock['first']:.1f} ms")
    table.add(
        "freeze() start+stop, openai loaded, first in a process",
        f"{ours['first']:.1f} ms = {ours['first'] / stock['first']:.2f}x stock",
        "<= 100 ms",
        ours["first"] <= 100,
    )
    table.add(
        "freeze() start+stop, later ones",
        f"{ours['later']:.1f} ms",
        "<= 100 ms",
        ours["later"] <= 100,
    )
    stop = run_json(sys.executable, children.STOP)
    table.add(
        "server stop(), nothing open (median of 50)",
        f"{stop['idle']:.2f} ms",
        "<= 2 ms",
        stop["idle"] <= 2,
    )
    table.add(
        "server stop(), a kept-alive connection open (median of 50)",
        f"{stop['kept']:.2f} ms (worst {stop['worst']:.1f})",
        "<= 2 ms",
        stop["kept"] <= 2,
    )


def bench_script(table: Table, name: str, script: str, target: str, *args: str) -> None:
    """A benchmark of its own, run when present: its last line, and its exit status as the
    target's."""
    path = HERE / script
    if not path.exists():
        table.add(f"{name} (bench/{script})", "not in this tree", target)
        return
    done = subprocess.run(
        [sys.executable, str(path), *args],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
    table.add(
        f"{name} (bench/{script})", last.split("->")[-1].strip()[-28:], target, done.returncode == 0
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--tests", type=int, default=200)
    parser.add_argument("--suite-reps", type=int, default=5, help="the suites are the noisiest")
    parser.add_argument("--size", type=int, default=256, help="upload size, MiB")
    parser.add_argument("--only", default="uploads,retrieve,suites,freeze,import,app")
    args = parser.parse_args()
    responses = RESPONSES_PYTHON.exists()
    if not responses:
        print(f"openai-responses' environment is missing ({RESPONSES_PYTHON}): see the docstring")
    only = set(args.only.split(","))
    table = Table()
    print(f"{'measure (medians of ' + str(args.reps) + ')':<58} {'value':>28}  {'target':<22}")
    with tempfile.TemporaryDirectory(prefix="mockfiles-bench-") as tmp:
        workdir = Path(tmp)
        if "uploads" in only:
            bench_uploads(table, args.size, args.reps, workdir)
        if "retrieve" in only:
            bench_retrieve(table, responses)
        if "suites" in only:
            bench_suites(table, args.tests, args.suite_reps, workdir, responses)
        if "freeze" in only:
            bench_freeze_and_stop(table, args.reps)
        if "import" in only:
            bench_script(table, "plugin import", "plugin_import.py", "<= 30 ms", "15")
        if "app" in only:
            bench_script(table, "app overhead per retrieve", "app_overhead.py", "<= 0.08 ms")
    missed = table.missed()
    if missed:
        print(f"\nMISSED {len(missed)} target(s): " + "; ".join(missed))
        sys.exit(1)
    if not responses:
        sys.exit(2)
    print("\nevery target met")


if __name__ == "__main__":
    main()
