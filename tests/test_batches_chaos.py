"""Faults and chaos reach the Batches API: rules name ``batches.*`` operations (one by one or
as a group), chaos fails their first attempts like any other, and code that retries stays
green."""

from __future__ import annotations

import openai
import pytest

from mockfiles import MockFiles
from mockfiles.errors import InvalidRequest

CHAT = "/v1/chat/completions"
LINE = {
    "custom_id": "a",
    "method": "POST",
    "url": CHAT,
    "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]},
}
BATCH_OPERATIONS = ["batches.cancel", "batches.create", "batches.list", "batches.retrieve"]


def test_a_group_names_every_operation_of_its_api() -> None:
    mock = MockFiles(faults=["batches.*:rate_limit:times=1"])
    [rule] = mock.faults.rules
    assert rule.describe()["operations"] == BATCH_OPERATIONS
    assert mock.faults.add("uploads.*", "server_error").describe()["operations"] == [
        "uploads.cancel",
        "uploads.complete",
        "uploads.create",
        "uploads.parts.create",
    ]
    for wrong in ("batch.*", "batches.x", "*.create", "batches.*.*"):
        with pytest.raises(InvalidRequest, match="Unknown operation"):
            mock.faults.add(wrong, "rate_limit")
    mock.close()


@pytest.mark.parametrize("in_process", [False, True], ids=["socket", "in-process"])
def test_a_group_rule_fails_each_batch_operation(mockfiles: MockFiles, in_process: bool) -> None:
    file = mockfiles.add_file(purpose="batch", content=[LINE])
    rule = mockfiles.faults.add("batches.*", "server_error", times=4)
    client = mockfiles.client(in_process=in_process, max_retries=0)
    for call in (
        lambda: client.batches.create(
            input_file_id=file.id, endpoint=CHAT, completion_window="24h"
        ),
        lambda: client.batches.retrieve("batch_x"),
        lambda: client.batches.list(),
        lambda: client.batches.cancel("batch_x"),
    ):
        with pytest.raises(openai.InternalServerError):
            call()
    assert mockfiles.batches.batches() == []  # the refused create made no batch
    client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    assert (rule.seen, rule.fired) == (5, 4)
    assert [(c.operation, c.fault) for c in mockfiles.calls()] == [
        ("batches.create", "server_error"),
        ("batches.retrieve", "server_error"),
        ("batches.list", "server_error"),
        ("batches.cancel", "server_error"),
        ("batches.create", None),
    ]


@pytest.mark.parametrize("in_process", [False, True], ids=["socket", "in-process"])
@pytest.mark.mockfiles(chaos=1.0)
def test_chaos_fails_the_first_attempt_of_each_batch_call_and_retries_get_through(
    mockfiles: MockFiles, in_process: bool
) -> None:
    file = mockfiles.add_file(purpose="batch", content=[LINE])
    client = mockfiles.client(in_process=in_process)  # retries under chaos
    batch = client.batches.create(input_file_id=file.id, endpoint=CHAT, completion_window="24h")
    assert client.batches.retrieve(batch.id).status == "validating"
    assert [b.id for b in client.batches.list()] == [batch.id]
    assert client.batches.cancel(batch.id).status == "cancelling"
    mockfiles.clock.advance(mockfiles.batches.timing.cancelling)
    assert client.batches.retrieve(batch.id).status == "cancelled"
    chaos = [c for c in mockfiles.calls(include_chaos=True) if c.is_chaos]
    assert [c.operation for c in chaos] == [
        "batches.create",
        "batches.retrieve",
        "batches.list",
        "batches.cancel",
        "batches.retrieve",
    ]
    assert all(c.fault and c.fault.startswith("chaos:") and c.attempt == 1 for c in chaos)
    assert len(mockfiles.batches.batches()) == 1
    # Assertions written without chaos hold under it.
    mockfiles.assert_called("batches.create", input_file_id=file.id, times=1, attempt=2)
    assert [c.operation for c in mockfiles.calls(batch_id=batch.id)] == [
        "batches.create",
        "batches.retrieve",
        "batches.cancel",
        "batches.retrieve",
    ]
