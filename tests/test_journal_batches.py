"""The journal covers the Batches API like the files operations: the create body's scalar
fields, the list's query, the batch each call created or touched, and the error's code."""

from __future__ import annotations

import json

import openai
import pytest
from helpers import control

import mockfiles
from mockfiles import MockFiles

CHAT = "/v1/chat/completions"
LINE = {
    "custom_id": "a",
    "method": "POST",
    "url": CHAT,
    "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
}


@pytest.fixture(params=["socket", "in-process"])
def in_process(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "in-process")


def test_each_batch_operation_records_what_was_sent_and_the_batch_it_touched(
    mockfiles: MockFiles, in_process: bool
) -> None:
    client = mockfiles.client(in_process=in_process, project="proj_b")
    file = mockfiles.add_file(purpose="batch", content=[LINE], project="proj_b")
    batch = client.batches.create(
        input_file_id=file.id,
        endpoint=CHAT,
        completion_window="24h",
        metadata={"run": "nightly"},
        output_expires_after={"anchor": "created_at", "seconds": 3600},
        extra_headers={"Idempotency-Key": "batch-1"},
    )
    client.batches.retrieve(batch.id)
    client.batches.list(limit=2, after=batch.id)
    client.batches.cancel(batch.id)
    created, retrieved, listed, cancelled = mockfiles.calls()
    assert [c.operation for c in (created, retrieved, listed, cancelled)] == [
        "batches.create",
        "batches.retrieve",
        "batches.list",
        "batches.cancel",
    ]
    assert created.fields == {
        "input_file_id": file.id,
        "endpoint": CHAT,
        "completion_window": "24h",
        "metadata[run]": "nightly",
        "output_expires_after[anchor]": "created_at",
        "output_expires_after[seconds]": 3600,
    }
    assert (created.batch_id, created.file_id, created.status) == (batch.id, None, 200)
    assert (created.project, created.headers["idempotency-key"]) == ("proj_b", "batch-1")
    assert listed.query == {"limit": "2", "after": batch.id}
    assert (listed.fields, listed.batch_id) == ({}, None)
    assert [c.batch_id for c in (retrieved, cancelled)] == [batch.id, batch.id]
    # Filters reach the new field and the body's fields alike.
    assert mockfiles.calls(batch_id=batch.id) == [created, retrieved, cancelled]
    mockfiles.assert_called("batches.create", input_file_id=file.id, endpoint=CHAT, times=1)
    assert mockfiles.last_call("batches.list", limit=2).query["after"] == batch.id
    assert f"-> {batch.id}" in mockfiles.journal.table()
    assert "input_file_id=" + file.id in mockfiles.journal.table()


def test_batch_errors_record_their_code_and_the_id_asked_for(
    mockfiles: MockFiles, in_process: bool
) -> None:
    client = mockfiles.client(in_process=in_process)
    with pytest.raises(openai.NotFoundError):
        client.batches.retrieve("batch_missing")
    with pytest.raises(openai.BadRequestError):
        client.batches.create(
            input_file_id="file-x",
            endpoint="/v1/nope",  # type: ignore[arg-type]
            completion_window="24h",
        )
    with pytest.raises(openai.BadRequestError):
        client.batches.list(limit=0)
    missing, refused, limited = mockfiles.calls()
    assert (missing.status, missing.error_code, missing.batch_id) == (
        404,
        "batch_not_found",
        "batch_missing",
    )
    assert (refused.status, refused.error_code, refused.batch_id) == (400, "invalid_value", None)
    assert refused.fields["endpoint"] == "/v1/nope"
    assert (limited.status, limited.query) == (400, {"limit": "0"})


def test_fault_rules_on_batches_are_journaled_by_name_and_spec() -> None:
    fake = MockFiles(faults=["batches.retrieve,batches.cancel:server_error:times=1"])
    with mockfiles.serve(fake) as served:
        file = served.add_file(purpose="batch", content=[LINE])
        with served.client(max_retries=1) as client:
            batch = client.batches.create(
                input_file_id=file.id, endpoint=CHAT, completion_window="24h"
            )
            client.batches.retrieve(batch.id)
        journal = control(served.url, "GET", "journal").body["data"]
    assert [(c["operation"], c["fault"], c["batch_id"]) for c in journal] == [
        ("batches.create", None, batch.id),
        ("batches.retrieve", "server_error", batch.id),
        ("batches.retrieve", None, batch.id),
    ]
    assert journal[0]["fields"]["input_file_id"] == file.id
    json.dumps(journal)
