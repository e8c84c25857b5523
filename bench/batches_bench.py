"""How long the fake takes to complete a batch, and what it holds afterwards.

Run:  python bench/batches_bench.py [--lines 50000] [--reps 3]

Prints, from one run (the machine is shared and noisy, so times are medians): the seconds to
validate and complete a batch of N chat lines with the default responder (the read that
applies every transition), the seconds to parse the same input with ``json.loads`` alone
(the floor any validation pays) and their ratio, and the memory the completing read leaves
allocated (the output file's bytes; the parsed requests are dropped) beside the output's size.
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import time
import tracemalloc

from mockfiles import MockFiles


def lines(count: int) -> list[dict[str, object]]:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello there"}]}
    return [
        {"custom_id": f"r{i}", "method": "POST", "url": "/v1/chat/completions", "body": body}
        for i in range(count)
    ]


def complete_once(count: int, trace: bool) -> tuple[float, float, int, int]:
    mock = MockFiles(seed=1, batch_timing={"validating": 0, "in_progress": 0, "finalizing": 0})
    source = mock.add_file(purpose="batch", content=lines(count))
    data = mock.content(source.id)
    started = time.perf_counter()
    for text in data.splitlines():
        json.loads(text)
    parse = time.perf_counter() - started
    batch = mock.batches.create(
        mock.project,
        mock.organization,
        {
            "input_file_id": source.id,
            "endpoint": "/v1/chat/completions",
            "completion_window": "24h",
        },
    )
    gc.collect()
    if trace:  # tracemalloc slows Python down several times: timed runs go without it
        tracemalloc.start()
    started = time.perf_counter()
    done = mock.batches.retrieve(mock.project, batch.id)
    elapsed = time.perf_counter() - started
    gc.collect()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert done.status == "completed"
    assert done.output_file_id
    output = mock.store.retrieve(mock.project, done.output_file_id).bytes
    return elapsed, parse, held, output


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=50_000)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    runs = [complete_once(args.lines, trace=False) for _ in range(args.reps)]
    complete = statistics.median(r[0] for r in runs)
    parse = statistics.median(r[1] for r in runs)
    _, _, held, size = complete_once(args.lines, trace=True)
    print(
        f"{args.lines} lines: complete {complete:.2f} s (median of {args.reps}), "
        f"json.loads alone {parse:.2f} s, ratio {complete / parse:.1f}x"
    )
    print(
        f"held after completion (traced in a separate run): {held / 2**20:.1f} MiB "
        f"for {size / 2**20:.1f} MiB of output written"
    )


if __name__ == "__main__":
    main()
