"""The facade speaks one way: times in any form, objects not dicts, one meaning of
``project=None``, readable reprs, messages that agree with their headers."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import openai
import pytest

import mockfiles as mf
from mockfiles import MockFiles
from mockfiles.store import Usage
from mockfiles.uploads import PendingUpload

INSTANT = datetime(2025, 12, 5, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    "when", [INSTANT, INSTANT.timestamp(), int(INSTANT.timestamp()), "2025-12-05T00:00:00Z"]
)
def test_add_file_takes_every_form_of_time(when: object) -> None:
    fake = MockFiles()
    stored = fake.add_file(purpose="batch", size=3, created_at=when)  # type: ignore[arg-type]
    assert stored.created_at == int(INSTANT.timestamp())
    assert stored.expires_at == stored.created_at + 30 * 24 * 3600


def test_pending_uploads_are_objects() -> None:
    fake = MockFiles()
    client = fake.client()
    upload = client.uploads.create(
        bytes=4, filename="a.jsonl", mime_type="text/jsonl", purpose="batch"
    )
    client.uploads.parts.create(upload.id, data=b"ab")
    [pending] = fake.uploads.pending()
    assert isinstance(pending, PendingUpload)
    assert (pending.id, pending.project, pending.parts, pending.received) == (
        upload.id,
        fake.project,
        1,
        2,
    )


def test_project_none_means_every_project_when_reading() -> None:
    fake = MockFiles()
    fake.add_file(purpose="batch", size=3)  # writing: the fake's default project
    fake.add_file(purpose="batch", size=4, project="proj_b")
    assert len(fake.files()) == 2
    assert fake.usage() == Usage(bytes=7, files=2)
    assert fake.usage(fake.project) == Usage(bytes=3, files=1)
    assert [f.bytes for f in fake.files("proj_b")] == [4]


def test_rules_calls_and_usage_read_well() -> None:
    fake = MockFiles(seed=1)
    rule = fake.faults.add("files.create", "rate_limit", times=2, retry_after=2)
    assert repr(rule) == (
        "<FaultRule files.create:rate_limit times=2, after=0, retry_after=2, seconds=0, "
        "seen=0, fired=0>"
    )
    with pytest.raises(openai.RateLimitError):
        fake.client().files.create(file=b"x", purpose="vision")
    [call] = fake.calls()
    assert repr(call) == (
        "<Call files.create POST /v1/files -> 429 fault=rate_limit attempt=1 "
        "project=proj_mockfiles>"
    )
    assert repr(fake.usage()) == "Usage(bytes=0, files=0)"


@pytest.mark.parametrize(
    ("options", "wait", "header"),
    [
        ({"retry_after": 2}, "2s", ("retry-after", "2")),
        ({"retry_after_ms": 10}, "10ms", ("retry-after-ms", "10")),
    ],
)
def test_a_rate_limit_fault_names_the_wait_its_header_asks_for(
    options: dict[str, float], wait: str, header: tuple[str, str]
) -> None:
    fake = MockFiles()
    fake.faults.add("files.list", "rate_limit", **options)
    with pytest.raises(openai.RateLimitError) as caught:
        fake.client().files.list()
    assert f"Please try again in {wait}." in caught.value.message
    assert caught.value.response.headers[header[0]] == header[1]


def test_the_upload_rate_limit_names_the_wait_its_header_asks_for() -> None:
    fake = MockFiles(limits={"uploads_per_minute": 1})
    client = fake.client()
    client.files.create(file=b"x", purpose="vision")
    fake.clock.advance(58.5)
    with pytest.raises(openai.RateLimitError) as caught:
        client.files.create(file=b"x", purpose="vision")
    said = re.search(r"try again in (\d+)s", caught.value.message)
    assert said is not None
    assert said.group(1) == caught.value.response.headers["retry-after"] == "2"


def test_serve_takes_the_same_options_as_mockfiles() -> None:
    with mf.serve(seed=7, project="proj_served", limits={"file_bytes": 10}) as fake:
        assert (fake.seed, fake.project, fake.limits.file_bytes) == (7, "proj_served", 10)
        with fake.client() as client:
            assert client.files.list().data == []
    with pytest.raises(TypeError, match="not both"), mf.serve(MockFiles(), seed=1):
        pass
