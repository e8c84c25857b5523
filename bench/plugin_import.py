"""What an installed but unused mockfiles plugin costs every pytest run.

Side by side in one run, alternating so load on the machine hits both alike:

* an empty pytest run (one test file, one test that uses nothing) with the plugin, and the
  same run with ``-p no:mockfiles``: medians of wall time and their difference;
* ``python -X importtime -c "import mockfiles.conftest_plugin"``: the cumulative import time
  of the plugin module and what it pulled in (median over the runs).

Byte code is cached as in a normal installation (in a temporary ``PYTHONPYCACHEPREFIX``), even
where the environment sets ``PYTHONDONTWRITEBYTECODE``: otherwise every module, pytest's
included, is compiled from source on every run and the figures measure the compiler.

Usage: ``python bench/plugin_import.py [runs]`` (default 15). Not part of the test suite.
Target (issue 12): the plugin adds <= 30 ms to an empty run, read from the median of the paired
differences of CPU time (a run that waits for a core does not count the wait; wall time is
printed beside it). The last line says the figure and the target; the exit status is 1 when it
is missed.
"""

from __future__ import annotations

import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLUGIN = "mockfiles.conftest_plugin"

#: The children's environment: byte code cached, in a directory of its own.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def empty_run(directory: Path, *extra: str) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run. CPU time is the steadier figure on
    a loaded machine: waiting for a core does not count in it."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *extra]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=directory, check=True, capture_output=True, env=ENV)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def import_time() -> tuple[int, list[str]]:
    """The plugin's cumulative import time in microseconds, and the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import pytest; import {PLUGIN}"],
        check=True,
        capture_output=True,
        text=True,
        env=ENV,
    )
    lines = result.stderr.splitlines()
    start = max(i for i, line in enumerate(lines) if line.rstrip().endswith(" pytest"))
    after = lines[start + 1 :]
    pulled = [line.rsplit("|", 1)[1].strip() for line in after]
    plugin_line = next(line for line in after if line.rstrip().endswith(f" {PLUGIN}"))
    cumulative = int(re.split(r"\|", plugin_line)[1])
    return cumulative, pulled


#: What an unused plugin may add to an empty pytest run (ms of CPU, median of pairs).
TARGET_MS = 30.0


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as cache:
        directory = Path(tmp)
        ENV["PYTHONPYCACHEPREFIX"] = cache  # outside the directory pytest collects
        (directory / "test_empty.py").write_text("def test_nothing():\n    pass\n")
        empty_run(directory)  # warm the file cache and the byte-code of both variants
        empty_run(directory, "-p", "no:mockfiles")
        with_plugin, without = [], []
        for _ in range(runs):
            with_plugin.append(empty_run(directory))
            without.append(empty_run(directory, "-p", "no:mockfiles"))
        import_time()  # cache the byte code
        imports = [import_time() for _ in range(runs)]
    pulled = imports[-1][1]
    ms = 1000
    print(f"an empty pytest run, {runs} runs each, alternating (medians):")
    added_ms: dict[str, float] = {}
    for index, kind in enumerate(("wall", "CPU")):
        on = [run[index] for run in with_plugin]
        off = [run[index] for run in without]
        added = statistics.median(a - b for a, b in zip(on, off, strict=True))
        added_ms[kind] = added * ms
        print(
            f"  {kind:>4}: with mockfiles {statistics.median(on) * ms:7.1f} ms, "
            f"with -p no:mockfiles {statistics.median(off) * ms:7.1f} ms, "
            f"added (median of pairs) {added * ms:6.1f} ms"
        )
    print(f"\npython -X importtime, after pytest (median of {runs}):")
    median_us = statistics.median(cumulative for cumulative, _ in imports)
    print(f"  import {PLUGIN}: {median_us / 1000:.1f} ms cumulative")
    print(f"  modules it imported: {', '.join(pulled)}")
    heavy = [m for m in pulled if m.split(".")[0] in ("werkzeug", "pytest_httpserver", "httpx")]
    print(f"  heavy modules among them: {heavy or 'none'}")
    met = added_ms["CPU"] <= TARGET_MS
    print(
        f"\ntarget: added CPU <= {TARGET_MS:.0f} ms -> "
        f"{added_ms['CPU']:.1f} ms CPU ({added_ms['wall']:.1f} wall)"
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
