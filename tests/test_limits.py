"""Limits, the storage quota and the upload rate, hit exactly at limit - 1, limit and limit + 1
through the official SDK (small limits set per test), plus files without bytes and the memory
a refused upload costs."""

from __future__ import annotations

import contextlib
import threading
from datetime import datetime, timezone
from pathlib import Path

import openai
import pytest
import time_machine

from mockfiles import MockFiles
from mockfiles.limits import GiB, Limits, MiB, TiB, human_size
from mockfiles.store import Usage

TOO_LARGE = "File is too large."


@pytest.fixture(params=["socket", "in-process"])
def client(request: pytest.FixtureRequest, mockfiles: MockFiles) -> openai.OpenAI:
    return mockfiles.client(in_process=request.param == "in-process", max_retries=0)


def message_of(raised: pytest.ExceptionInfo[openai.APIStatusError]) -> str:
    body = raised.value.body
    assert isinstance(body, dict)
    return str(body["message"])


def test_the_defaults_are_the_real_apis_in_binary_units() -> None:
    assert Limits() == Limits(
        file_bytes=512 * MiB,
        batch_file_bytes=200 * MiB,
        storage_bytes=int(2.5 * TiB),
        uploads_per_minute=1_000,
        upload_bytes=8 * GiB,
        part_bytes=64 * MiB,
    )
    assert (Limits().storage_bytes, human_size(Limits().storage_bytes)) == (
        2_748_779_069_440,
        "2.5 TB",
    )


@pytest.mark.parametrize(("size", "allowed"), [(99, True), (100, True), (101, False)])
def test_the_file_size_limit_is_exact(
    client: openai.OpenAI, mockfiles: MockFiles, size: int, allowed: bool
) -> None:
    mockfiles.limits = {"file_bytes": 100}
    if allowed:
        assert client.files.create(file=b"v" * size, purpose="vision").bytes == size
    else:
        with pytest.raises(openai.BadRequestError) as raised:
            client.files.create(file=b"v" * size, purpose="vision")
        assert message_of(raised) == TOO_LARGE
        assert raised.value.param is None
        assert mockfiles.files() == []


@pytest.mark.mockfiles(limits={"file_bytes": 100, "batch_file_bytes": 50})
@pytest.mark.parametrize(("size", "allowed"), [(49, True), (50, True), (51, False)])
def test_batch_files_have_their_own_smaller_limit(
    client: openai.OpenAI, size: int, allowed: bool
) -> None:
    data = b"{}\n".ljust(size, b" ")
    if allowed:
        assert client.files.create(file=("in.jsonl", data), purpose="batch").bytes == size
    else:
        with pytest.raises(openai.BadRequestError) as raised:
            client.files.create(file=("in.jsonl", data), purpose="batch")
        assert message_of(raised) == TOO_LARGE
    assert client.files.create(file=b"v" * 51, purpose="vision").bytes == 51  # not batch


@pytest.mark.parametrize(
    ("purpose", "filename", "api"),
    [
        ("batch", "notes.txt", "Batch API"),
        ("batch", "data.json", "Batch API"),
        ("fine-tune", "train.csv", "Fine-Tuning API"),
    ],
)
def test_batch_and_fine_tune_files_must_be_jsonl(
    client: openai.OpenAI, purpose: str, filename: str, api: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=(filename, b"{}\n"), purpose=purpose)  # type: ignore[arg-type]
    assert message_of(raised) == f"Invalid file format for {api}. Must be .jsonl"


@pytest.mark.parametrize("filename", ["in.jsonl", "IN.JSONL", "test-batch-file", "upload"])
def test_jsonl_or_no_extension_is_accepted_for_batch(client: openai.OpenAI, filename: str) -> None:
    assert client.files.create(file=(filename, b"{}\n"), purpose="batch").filename == filename


def test_batch_files_must_be_utf8(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=("in.jsonl", b'{"a": "\xff"}\n'), purpose="batch")
    assert message_of(raised) == "Invalid file for Batch API. Must be utf-8 encoded"
    # Other purposes take any bytes.
    assert client.files.create(file=b"\xff\xfe", purpose="user_data").bytes == 2


def test_utf8_split_across_chunks_is_still_utf8(client: openai.OpenAI) -> None:
    # Over a megabyte of two-byte characters: some straddle the reader's chunk boundaries.
    data = ('{"text": "' + "é" * 700_000 + '"}\n').encode()
    assert client.files.create(file=("in.jsonl", data), purpose="batch").bytes == len(data)


@pytest.mark.parametrize(("second", "allowed"), [(39, True), (40, True), (41, False)])
def test_the_storage_quota_is_exact_and_names_the_limit(
    client: openai.OpenAI, mockfiles: MockFiles, second: int, allowed: bool
) -> None:
    mockfiles.limits = {"storage_bytes": 100}
    client.files.create(file=b"a" * 60, purpose="vision")
    if allowed:
        client.files.create(file=b"b" * second, purpose="vision")
        assert mockfiles.usage() == Usage(bytes=60 + second, files=2)
        return
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=b"b" * second, purpose="vision")
    assert message_of(raised) == (
        "You have exceeded your file storage quota. Projects are limited to 100 bytes of files. "
        "Please delete old files or attempt with a smaller file size."
    )
    assert mockfiles.usage() == Usage(bytes=60, files=1)


def test_deleting_and_expiry_give_the_space_back(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    mockfiles.limits = {"storage_bytes": 100}
    kept = client.files.create(file=b"a" * 100, purpose="vision")
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=b"b", purpose="vision")
    client.files.delete(kept.id)
    client.files.create(
        file=b"c" * 100, purpose="vision", expires_after={"anchor": "created_at", "seconds": 3600}
    )
    mockfiles.clock.advance(3600)
    assert mockfiles.usage() == Usage(bytes=0, files=0)
    assert client.files.create(file=b"d" * 100, purpose="vision").bytes == 100


def test_quotas_are_per_project(mockfiles: MockFiles) -> None:
    mockfiles.limits = {"storage_bytes": 10}
    mine = mockfiles.client(max_retries=0)
    theirs = mockfiles.client(max_retries=0, project="proj_theirs")
    mine.files.create(file=b"x" * 10, purpose="vision")
    theirs.files.create(file=b"x" * 10, purpose="vision")
    assert mockfiles.usage("proj_theirs") == Usage(bytes=10, files=1)


@pytest.mark.mockfiles(limits={"uploads_per_minute": 3})
def test_the_upload_rate_is_per_key_per_minute_of_the_fakes_clock(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    # Real time stands still (in the server thread too), so the window's edges are exact.
    with time_machine.travel(datetime(2026, 3, 1, tzinfo=timezone.utc), tick=False):
        check_the_upload_rate(client, mockfiles)


def check_the_upload_rate(client: openai.OpenAI, mockfiles: MockFiles) -> None:
    for _ in range(3):  # limit - 1, then the limit itself
        client.files.create(file=b"x", purpose="vision")
    mockfiles.clock.advance(20)
    with pytest.raises(openai.RateLimitError) as raised:  # limit + 1
        client.files.create(file=b"x", purpose="vision")
    error = raised.value
    assert (error.status_code, error.code, error.type) == (429, "rate_limit_exceeded", "requests")
    assert error.response.headers["retry-after"] == "40"
    assert "Limit 3, Used 3, Requested 1. Please try again in 40s." in message_of(raised)
    assert client.files.list().data  # other operations are not limited
    other_key = mockfiles.client(max_retries=0, api_key="sk-another-key")
    other_key.files.create(file=b"x", purpose="vision")  # the limit is per key
    mockfiles.clock.advance(39)
    with pytest.raises(openai.RateLimitError):  # 59 s after the first: still within its minute
        client.files.create(file=b"x", purpose="vision")
    mockfiles.clock.advance(1)
    client.files.create(file=b"x", purpose="vision")  # a minute after the first: room again


def test_files_without_bytes_download_deterministic_bytes_of_their_size(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    placed = mockfiles.add_file(purpose="batch_output", size=200_000, filename="out.jsonl")
    assert client.files.retrieve(placed.id).bytes == 200_000
    first = client.files.content(placed.id).content
    assert len(first) == 200_000
    assert client.files.content(placed.id).content == first
    assert mockfiles.content(placed.id) == first


def test_a_project_filled_to_the_default_quota_refuses_the_next_byte(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    quota = Limits().storage_bytes
    for _ in range(quota // (8 * GiB)):
        mockfiles.add_file(purpose="fine-tune", size=8 * GiB, created_at=1_700_000_000)
    mockfiles.add_file(purpose="fine-tune", size=quota % (8 * GiB))
    assert mockfiles.usage().bytes == quota
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=b"x", purpose="vision")
    assert "Projects are limited to 2.5 TB of files." in message_of(raised)


@pytest.mark.mockfiles(limits={"storage_bytes": 10_000})
def test_usage_stays_exact_under_concurrent_uploads_and_deletes(mockfiles: MockFiles) -> None:
    quota = 10_000
    highest = [0]
    done = threading.Event()

    def watch() -> None:
        while not done.wait(0.0005):  # a short wait gives the workers the interpreter
            highest[0] = max(highest[0], mockfiles.usage().bytes)

    def work(worker: int) -> None:
        with mockfiles.client(max_retries=0) as client:
            mine: list[str] = []
            for step in range(30):
                # The quota refuses some uploads when the project is full: expected.
                with contextlib.suppress(openai.BadRequestError):
                    size = 100 + worker * 37 + step
                    mine.append(client.files.create(file=b"x" * size, purpose="vision").id)
                if step % 3 == 2 and mine:
                    client.files.delete(mine.pop(0))

    watcher = threading.Thread(target=watch)
    watcher.start()
    workers = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    done.set()
    watcher.join()
    stored = mockfiles.files()
    assert mockfiles.usage() == Usage(bytes=sum(f.bytes for f in stored), files=len(stored))
    assert highest[0] <= quota
    assert mockfiles.usage().bytes <= quota


def rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@pytest.mark.skipif(not Path("/proc/self/clear_refs").exists(), reason="needs Linux /proc")
@pytest.mark.mockfiles(limits={"file_bytes": 256 * MiB})
def test_a_300_mib_upload_over_a_256_mib_limit_is_refused_without_holding_it(
    mockfiles: MockFiles, client: openai.OpenAI, tmp_path: Path
) -> None:
    # Over the socket the server runs in this process, so both paths grow this process alone.
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(300 * MiB)  # sparse: no disk used, reads as zeros
    client.files.list()  # warm the connection and the code paths first
    before = rss_kib("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset the peak to the current size
    with big.open("rb") as handle, pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=handle, purpose="user_data")
    growth_mib = (rss_kib("VmHWM") - before) / 1024
    assert message_of(raised) == TOO_LARGE
    print(f"peak growth {growth_mib:.1f} MiB")
    # Holding the body, even once, would grow the process by 300 MiB.
    assert growth_mib < 64, f"the process grew by {growth_mib:.0f} MiB"
    assert mockfiles.files() == []
