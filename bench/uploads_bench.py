"""Memory of the Uploads API: what completing an upload of N bytes costs the server.

Run:  python bench/uploads_bench.py [--mib 256] [--part-mib 64] [--reps 3]

A fresh ``mockfiles serve`` per repetition; the file is sent as the SDK's
``upload_file_chunked`` sends it (create, parts one after another, complete), by hand so the
two phases can be measured apart. Printed: the server's peak memory growth over the whole
upload (the larger of the peak while parts arrive and the peak while completing) and during
completion alone, each as a multiple of N, and the time taken.
Target (issue 6): at most about 1.5 x N at the peak.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openai
from upload_bench import reset_peak, rss_kib  # the same /proc readings

MiB = 1024 * 1024


def one_upload(path: Path, size: int, part_size: int) -> tuple[float, float, float]:
    with subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as server:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        try:
            with openai.OpenAI(base_url=url, api_key="sk-bench", max_retries=0) as client:
                client.files.list()
                before = rss_kib(server.pid, "VmRSS")
                reset_peak(server.pid)
                started = time.perf_counter()
                upload = client.uploads.create(
                    bytes=size, filename=path.name, purpose="fine-tune", mime_type="text/jsonl"
                )
                part_ids = []
                with path.open("rb") as handle:
                    while chunk := handle.read(part_size):
                        part_ids.append(client.uploads.parts.create(upload.id, data=chunk).id)
                parts_peak = rss_kib(server.pid, "VmHWM")
                reset_peak(server.pid)
                done = client.uploads.complete(upload.id, part_ids=part_ids)
                elapsed = time.perf_counter() - started
                complete_peak = rss_kib(server.pid, "VmHWM")
                assert done.file is not None
                assert done.file.bytes == size
                whole_peak = max(complete_peak, parts_peak)
        finally:
            server.terminate()
            server.wait(10)
    kib = size / 1024
    return (whole_peak - before) / kib, (complete_peak - before) / kib, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--mib", type=int, default=256, help="file size in MiB")
    parser.add_argument("--part-mib", type=int, default=64, help="part size in MiB")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    size = args.mib * MiB
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "train.jsonl"
        path.write_bytes(os.urandom(size))
        runs = [one_upload(path, size, args.part_mib * MiB) for _ in range(args.reps)]
    whole, completing, seconds = (statistics.median(values) for values in zip(*runs, strict=True))
    print(f"upload of {args.mib} MiB in {args.part_mib} MiB parts (median of {args.reps}):")
    print(f"  server peak growth over the whole upload: {whole:.2f} x N")
    print(f"  server peak growth while completing:      {completing:.2f} x N")
    print(f"  time for create + parts + complete:        {seconds:.2f} s")


if __name__ == "__main__":
    main()
