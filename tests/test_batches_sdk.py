"""The Batches API through the official SDK (strict validation), over the socket and in-process,
sync and async: the whole loop, listing, create's errors, faults and the journal."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from typing import Any

import openai
import pytest
from openai.types import (
    Completion,
    CreateEmbeddingResponse,
    ImagesResponse,
    ModerationCreateResponse,
    Video,
)
from openai.types.chat import ChatCompletion
from openai.types.responses import Response

from mockfiles import MockFiles
from mockfiles.batch_responses import default_answer
from mockfiles.batches import RequestError

CHAT = "/v1/chat/completions"


def requests_jsonl(*custom_ids: str, url: str = CHAT) -> bytes:
    return b"".join(
        json.dumps(
            {
                "custom_id": custom_id,
                "method": "POST",
                "url": url,
                "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
            }
        ).encode()
        + b"\n"
        for custom_id in custom_ids
    )


@pytest.fixture(params=["socket", "in-process"])
def where(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_whole_loop_sync(mockfiles: MockFiles, where: str) -> None:
    client = mockfiles.client(in_process=where == "in-process")
    mockfiles.batches.respond(RequestError("Bad request.", param="messages"), custom_id="r2")
    uploaded = client.files.create(
        file=("requests.jsonl", requests_jsonl("r1", "r2", "r3")), purpose="batch"
    )
    batch = client.batches.create(
        input_file_id=uploaded.id,
        endpoint=CHAT,
        completion_window="24h",
        metadata={"job": "nightly"},
        output_expires_after={"anchor": "created_at", "seconds": 7200},
    )
    assert re.fullmatch(r"batch_[0-9a-f]{32}", batch.id)
    assert int(batch.id[6:14], 16) == batch.created_at
    assert (batch.status, batch.metadata, batch.endpoint) == (
        "validating",
        {"job": "nightly"},
        CHAT,
    )
    while (batch := client.batches.retrieve(batch.id)).status not in ("completed", "failed"):
        mockfiles.clock.advance(1)
    assert batch.request_counts is not None
    assert batch.request_counts.model_dump() == {"total": 3, "completed": 2, "failed": 1}
    assert batch.output_file_id is not None
    assert batch.error_file_id is not None
    output = client.files.retrieve(batch.output_file_id)
    assert output.expires_at == output.created_at + 7200
    by_id = {}
    for text in client.files.content(batch.output_file_id).text.splitlines():
        line = json.loads(text)
        assert list(line) == ["id", "custom_id", "response", "error"]
        assert re.fullmatch(r"batch_req_[0-9a-f]{32}", line["id"])
        assert re.fullmatch(r"[0-9a-f]{32}", line["response"]["request_id"])
        by_id[line["custom_id"]] = ChatCompletion.model_validate(line["response"]["body"])
    assert sorted(by_id) == ["r1", "r3"]
    assert by_id["r1"].model == "gpt-4o-mini"
    assert by_id["r1"].choices[0].message.content
    [error] = client.files.content(batch.error_file_id).text.splitlines()
    assert json.loads(error)["response"]["body"]["error"]["param"] == "messages"
    for file_id in (uploaded.id, batch.output_file_id, batch.error_file_id):
        assert client.files.delete(file_id).deleted
    assert mockfiles.usage().files == 0


def test_the_whole_loop_async(mockfiles: MockFiles, where: str) -> None:
    async def scenario() -> list[str]:
        async with mockfiles.async_client(in_process=where == "in-process") as client:
            file = await client.files.create(
                file=("in.jsonl", requests_jsonl("a", "b")), purpose="batch"
            )
            first = await client.batches.create(
                input_file_id=file.id, endpoint=CHAT, completion_window="24h"
            )
            second = await client.batches.create(
                input_file_id=file.id, endpoint=CHAT, completion_window="24h"
            )
            assert (await client.batches.cancel(second.id)).status == "cancelling"
            mockfiles.clock.advance(mockfiles.batches.timing.total + 1)
            done = await client.batches.retrieve(first.id)
            listed = [b.id async for b in client.batches.list(limit=1)]
            assert listed == [second.id, first.id]
            assert (await client.batches.retrieve(second.id)).status == "cancelled"
            content = await client.files.content(done.output_file_id or "")
            errors = await client.files.content(done.error_file_id or "")
            return [
                json.loads(line)["custom_id"] for line in (content.text + errors.text).splitlines()
            ]

    mockfiles.batches.respond(RequestError("No."), custom_id="b")
    assert asyncio.run(scenario()) == ["a", "b"]


def test_list_pages_newest_first_and_the_sdk_walks_every_page(
    mockfiles: MockFiles, where: str
) -> None:
    client = mockfiles.client(in_process=where == "in-process")
    file = mockfiles.add_file(purpose="batch", content=requests_jsonl("x"))
    created = []
    for _ in range(26):
        created.append(
            client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h").id
        )
        mockfiles.clock.advance(0.4)  # several batches share a second: ties in creation order
    page = client.batches.list()
    assert [b.id for b in page.data] == created[::-1][:20]
    raw = client.batches.with_raw_response.list(limit=20).http_response.json()
    assert list(raw) == ["object", "data", "first_id", "last_id", "has_more"]
    assert (raw["first_id"], raw["last_id"], raw["has_more"]) == (created[-1], created[6], True)
    assert [b.id for b in client.batches.list(limit=7)] == created[::-1]  # auto-pagination
    tail = client.batches.list(after=created[6]).model_dump()
    assert [b["id"] for b in tail["data"]] == created[5::-1]
    assert tail["has_more"] is False
    assert client.batches.list(after="batch_unknown").data == []
    with pytest.raises(openai.BadRequestError, match="greater than the maximum of 100"):
        client.batches.list(limit=101)
    assert mockfiles.calls("batches.list")[-1].status == 400


@pytest.mark.parametrize(
    ("changes", "message", "param", "code"),
    [
        (
            {"input_file_id": None},
            "Missing required parameter: 'input_file_id'.",
            "input_file_id",
            "missing_required_parameter",
        ),
        (
            {"endpoint": "/v1/invalid/endpoint"},
            "Invalid value: '/v1/invalid/endpoint'. Supported values are: "
            "'/v1/chat/completions', '/v1/completions', '/v1/embeddings', '/v1/images/edits', "
            "'/v1/images/generations', '/v1/moderations', '/v1/responses', and '/v1/videos'.",
            "endpoint",
            "invalid_value",
        ),
        (
            {"completion_window": "48h"},
            "Invalid value: '48h'. Supported values are: '24h'.",
            "completion_window",
            "invalid_value",
        ),
        (
            {"metadata": {"tags": ["a"]}},
            "Invalid type for 'metadata.tags': expected a string, but got an array instead.",
            "metadata.tags",
            "invalid_type",
        ),
        (
            {"metadata": {f"k{i}": "v" for i in range(17)}},
            "Invalid 'metadata': too many properties. Expected an object with at most 16 "
            "properties, but got an object with 17 properties instead.",
            "metadata",
            "object_above_max_properties",
        ),
        (
            {"metadata": {"k": "v" * 513}},
            "Invalid 'metadata.k': string too long. Expected a string with maximum length 512, "
            "but got a string with length 513 instead.",
            "metadata.k",
            "string_above_max_length",
        ),
        (
            {"output_expires_after": {"anchor": "created_at", "seconds": 60}},
            "Invalid 'output_expires_after.seconds': integer below minimum value. Expected a "
            "value >= 3600, but got 60 instead.",
            "output_expires_after.seconds",
            "integer_below_min_value",
        ),
    ],
)
def test_create_refuses_what_the_real_api_refuses(
    mockfiles: MockFiles, changes: dict[str, Any], message: str, param: str, code: str
) -> None:
    client = mockfiles.client(in_process=True)
    body: dict[str, Any] = {
        "input_file_id": "file-abc",
        "endpoint": CHAT,
        "completion_window": "24h",
        **changes,
    }
    with pytest.raises(openai.BadRequestError) as raised:
        client.post("/batches", body={k: v for k, v in body.items() if v is not None}, cast_to=dict)
    assert raised.value.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": code,
    }
    assert mockfiles.batches.batches() == []


def test_faults_and_the_journal_cover_batches(mockfiles: MockFiles, where: str) -> None:
    client = mockfiles.client(in_process=where == "in-process")
    file = mockfiles.add_file(purpose="batch", content=requests_jsonl("x"))
    mockfiles.faults.add("batches.create", "rate_limit", times=1)
    mockfiles.faults.add("batches.retrieve", "server_error", times=1)
    with pytest.raises(openai.RateLimitError):
        client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    assert mockfiles.batches.batches() == []
    batch = client.with_options(max_retries=1).batches.create(
        input_file_id=file.id, endpoint=CHAT, completion_window="24h"
    )
    with pytest.raises(openai.InternalServerError):
        client.batches.retrieve(batch.id)
    client.batches.retrieve(batch.id)
    client.batches.cancel(batch.id)
    assert [(c.operation, c.status, c.fault) for c in mockfiles.calls()] == [
        ("batches.create", 429, "rate_limit"),
        ("batches.create", 200, None),
        ("batches.retrieve", 500, "server_error"),
        ("batches.retrieve", 200, None),
        ("batches.cancel", 200, None),
    ]
    mockfiles.faults.add(["batches.list", "batches.cancel"], "reset", times=1)
    with pytest.raises(openai.APIConnectionError):
        client.batches.list()


def test_unknown_batches_and_empty_ids(mockfiles: MockFiles) -> None:
    client = mockfiles.client(in_process=True)
    with pytest.raises(openai.NotFoundError, match="No batch found with id 'batch-nonexistent'"):
        client.batches.retrieve("batch-nonexistent")
    with pytest.raises(ValueError, match="non-empty value for `batch_id`"):
        client.batches.cancel("")
    raw = client.with_options(max_retries=0).batches.with_raw_response
    with pytest.raises(openai.NotFoundError) as raised:
        raw.cancel("batch_nope")
    assert "detail" not in raised.value.response.json()
    assert raised.value.response.headers["openai-version"] == "2020-10-01"


@pytest.mark.parametrize(
    ("url", "model_type", "body"),
    [
        (CHAT, ChatCompletion, {"model": "m", "messages": [{"role": "user", "content": "x"}]}),
        ("/v1/completions", Completion, {"model": "m", "prompt": "x"}),
        ("/v1/embeddings", CreateEmbeddingResponse, {"model": "m", "input": ["a", "b"]}),
        ("/v1/responses", Response, {"model": "m", "input": "x"}),
        ("/v1/moderations", ModerationCreateResponse, {"input": "x"}),
        ("/v1/images/generations", ImagesResponse, {"prompt": "x", "n": 2}),
        ("/v1/images/edits", ImagesResponse, {"prompt": "x"}),
        ("/v1/videos", Video, {"prompt": "x"}),
    ],
)
def test_default_answers_are_valid_for_the_sdks_types(
    url: str, model_type: Any, body: dict[str, Any]
) -> None:
    line = {"custom_id": "c1", "method": "POST", "url": url, "body": body}
    answer = default_answer(line, 1_700_000_000)
    assert default_answer(line, 1_700_000_000) == answer  # deterministic
    parsed = model_type.model_validate(answer)
    assert parsed.model_dump(exclude_unset=True, by_alias=True) == answer


def test_a_fake_made_to_fail_every_request_by_default() -> None:
    mock = MockFiles(batch_responder="fail", batch_timing={"in_progress": 0})
    client = mock.client(in_process=True)
    file = mock.add_file(purpose="batch", content=requests_jsonl("a"))
    batch = client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    mock.clock.advance(2)
    done = client.batches.retrieve(batch.id)
    assert (done.status, done.output_file_id) == ("completed", None)
    assert done.request_counts is not None
    assert done.request_counts.failed == 1
    with pytest.raises(ValueError, match="unknown batch responder"):
        MockFiles(batch_responder="sometimes")
    mock.close()


def test_concurrent_reads_complete_a_batch_exactly_once(mockfiles: MockFiles) -> None:
    client = mockfiles.client()
    file = mockfiles.add_file(purpose="batch", content=requests_jsonl(*"abcdefgh"))
    batch = client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    mockfiles.clock.advance(mockfiles.batches.timing.total + 1)
    seen: list[str | None] = []
    barrier = threading.Barrier(8)

    def read() -> None:
        barrier.wait()
        seen.append(client.batches.retrieve(batch.id).output_file_id)

    threads = [threading.Thread(target=read) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(seen) == 8
    assert len(set(seen)) == 1
    assert [f.purpose for f in mockfiles.files()] == ["batch", "batch_output"]
