"""The official ``openai`` SDK, with strict response validation, against the fixture: over a
socket and in-process, sync and async."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import openai
import pytest
from openai.types import FileObject

from mockfiles import MockFiles

TRANSPORTS = ["socket", "in-process"]


@pytest.fixture(params=TRANSPORTS)
def client(request: pytest.FixtureRequest, mockfiles: MockFiles) -> openai.OpenAI:
    # No retries: every request the SDK makes is one the test asked for.
    return mockfiles.client(in_process=request.param == "in-process", max_retries=0)


@pytest.fixture(params=TRANSPORTS)
def async_client(request: pytest.FixtureRequest, mockfiles: MockFiles) -> openai.AsyncOpenAI:
    return mockfiles.async_client(in_process=request.param == "in-process", max_retries=0)


def error_of(raised: pytest.ExceptionInfo[openai.APIStatusError]) -> dict[str, Any]:
    """The ``error`` object of an SDK exception (its message text differs between SDK lines)."""
    body = raised.value.body
    assert isinstance(body, dict)
    assert (raised.value.code, raised.value.param) == (body["code"], body["param"])
    return body


def test_a_file_goes_through_create_retrieve_content_and_delete(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    data = b'{"custom_id": "1"}\n{"custom_id": "2"}\n'
    created = client.files.create(file=("requests.jsonl", data), purpose="batch")
    assert isinstance(created, FileObject)
    assert re.fullmatch(r"file-[1-9A-HJ-NP-Za-km-z]{22}", created.id)
    assert (created.bytes, created.filename, created.purpose, created.status) == (
        len(data),
        "requests.jsonl",
        "batch",
        "processed",
    )
    assert re.fullmatch(r"req_[0-9a-f]{32}", created._request_id or "")
    assert client.files.retrieve(created.id) == created
    assert client.files.content(created.id).content == data
    deleted = client.files.delete(created.id)
    assert (deleted.id, deleted.deleted, deleted.object) == (created.id, True, "file")
    assert mockfiles.files() == []


def test_uploads_from_an_open_file_and_a_path_keep_the_file_name(
    client: openai.OpenAI, tmp_path: Path
) -> None:
    path = tmp_path / "données-2026.jsonl"
    path.write_bytes(b"{}\n" * 1000)
    with path.open("rb") as handle:
        from_handle = client.files.create(file=handle, purpose="fine-tune")
    from_path = client.files.create(file=path, purpose="user_data")
    from_bytes = client.files.create(file=b"raw", purpose="vision")
    assert (from_handle.filename, from_handle.bytes) == ("données-2026.jsonl", 3000)
    assert from_path.filename == "données-2026.jsonl"
    assert from_bytes.filename == "upload"  # what the SDK names raw bytes


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_auto_pagination_yields_every_file_once_in_order(
    client: openai.OpenAI, mockfiles: MockFiles, order: str
) -> None:
    ids = []
    for index in range(25):
        ids.append(client.files.create(file=b"x", purpose="batch").id)
        if index % 4 == 3:  # a few files share each second; the rest are a second apart
            mockfiles.clock.advance(1)
    first_page = client.files.list(limit=7, order=order)
    assert len(first_page.data) == 7
    assert first_page.has_more is True
    listed = [file.id for file in client.files.list(limit=7, order=order)]
    assert listed == (ids if order == "asc" else ids[::-1])
    assert len(list(first_page.iter_pages())) == 4


def test_list_filters_by_purpose(client: openai.OpenAI) -> None:
    batch = client.files.create(file=b"x", purpose="batch")
    client.files.create(file=b"y", purpose="vision")
    assert [f.id for f in client.files.list(purpose="batch")] == [batch.id]


def test_code_that_builds_its_own_client_reaches_the_fake(mockfiles: MockFiles) -> None:
    with openai.OpenAI(_strict_response_validation=True) as own_client:
        created = own_client.files.create(file=b"hello", purpose="user_data")
    assert [f.id for f in mockfiles.files()] == [created.id]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_async_clients_do_the_same_round_trip(
    async_client: openai.AsyncOpenAI, mockfiles: MockFiles, order: str
) -> None:
    async def scenario() -> list[str]:
        ids = []
        for index in range(25):
            ids.append((await async_client.files.create(file=b"x", purpose="batch")).id)
            if index % 4 == 3:
                mockfiles.clock.advance(1)
        assert (await async_client.files.retrieve(ids[0])).id == ids[0]
        assert (await async_client.files.content(ids[0])).content == b"x"
        listed = [f.id async for f in async_client.files.list(limit=7, order=order)]
        assert listed == (ids if order == "asc" else ids[::-1])
        assert (await async_client.files.delete(ids[0])).deleted is True
        with pytest.raises(openai.NotFoundError):
            await async_client.files.retrieve(ids[0])
        await async_client.close()
        return ids

    ids = asyncio.run(scenario())
    assert [f.id for f in mockfiles.files()] == ids[1:]


def test_a_bad_purpose_raises_bad_request_with_the_real_message(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=b"x", purpose="batch_output")  # type: ignore[arg-type]
    assert error_of(raised) == {
        "message": "'batch_output' is not one of ['fine-tune', 'assistants', 'batch', "
        "'user_data', 'vision', 'evals'] - 'purpose'",
        "type": "invalid_request_error",
        "param": "purpose",
        "code": None,
    }


def test_a_missing_purpose_raises_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=b"x", purpose=openai.NOT_GIVEN)  # type: ignore[arg-type]
    assert error_of(raised) == {
        "message": "'purpose' is a required property",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_a_missing_file_raises_bad_request(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.post(
            "/files",
            body={"purpose": "batch"},
            cast_to=FileObject,
            options={"headers": {"Content-Type": "multipart/form-data"}},
        )
    assert error_of(raised) == {
        "message": "'file' is a required property",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_a_json_body_raises_bad_request_for_its_content_type(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.post("/files", body={"purpose": "batch"}, cast_to=FileObject)
    error = error_of(raised)
    assert error["code"] == "unsupported_content_type"
    assert error["message"].startswith("Unsupported content type: 'application/json'.")


@pytest.mark.parametrize("operation", ["retrieve", "delete", "content"])
def test_unknown_ids_raise_not_found(client: openai.OpenAI, operation: str) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        getattr(client.files, operation)("file-NoSuchFile")
    assert error_of(raised) == {
        "message": "No such File object: file-NoSuchFile",
        "type": "invalid_request_error",
        "param": "id",
        "code": None,
    }
    assert re.fullmatch(r"req_[0-9a-f]{32}", raised.value.request_id or "")


def test_a_deleted_file_is_gone_for_every_operation(client: openai.OpenAI) -> None:
    file_id = client.files.create(file=b"x", purpose="batch").id
    client.files.delete(file_id)
    for operation in (client.files.retrieve, client.files.delete, client.files.content):
        with pytest.raises(openai.NotFoundError):
            operation(file_id)
    assert client.files.list().data == []


@pytest.mark.parametrize("purpose", ["assistants", "user_data", "fine-tune"])
def test_downloading_a_private_purpose_raises_bad_request(
    client: openai.OpenAI, purpose: Any
) -> None:
    file_id = client.files.create(file=b"x", purpose=purpose).id
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.content(file_id)
    assert error_of(raised)["message"] == f"Not allowed to download files of purpose: {purpose}"


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (0, "0 is less than the minimum of 1 - 'limit'"),
        (10_001, "10001 is greater than the maximum of 10000 - 'limit'"),
    ],
)
def test_a_limit_out_of_range_raises_bad_request_naming_it(
    client: openai.OpenAI, limit: int, message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.list(limit=limit)
    assert error_of(raised) == {
        "message": message,
        "type": "invalid_request_error",
        "param": "limit",
        "code": None,
    }


def test_an_empty_key_raises_authentication_error(client: openai.OpenAI) -> None:
    with pytest.raises(openai.AuthenticationError) as raised:
        client.files.list(extra_headers={"Authorization": "Bearer"})
    assert error_of(raised) == {
        "message": "You didn't provide an API key. You need to provide your API key in an "
        "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY), or as the "
        "password field (with blank username) if you're accessing the API from your browser and "
        "are prompted for a username and password. You can obtain an API key from "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error",
        "param": None,
        "code": None,
    }


def test_an_unknown_url_raises_not_found(client: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.get("/files/file-x/nothing", cast_to=FileObject)
    assert error_of(raised)["message"] == "Invalid URL (GET /v1/files/file-x/nothing)"


def test_evals_files_keep_their_purpose_though_the_sdk_models_lack_it(
    mockfiles: MockFiles,
) -> None:
    # The File object's purpose enum has no "evals": strict validation refuses what the real
    # API (most plausibly) sends, so a loose client is the one that works.
    loose = mockfiles.client(strict=False, max_retries=0)
    assert loose.files.create(file=b"{}\n", purpose="evals").purpose == "evals"
    with pytest.raises(openai.APIResponseValidationError):
        mockfiles.client(max_retries=0).files.create(file=b"{}\n", purpose="evals")
