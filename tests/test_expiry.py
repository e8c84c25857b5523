"""File expiry on the fake's clock: defaults, ``expires_after``, the exact boundary, and time
moved three ways (the fake's own clock, freezegun, time-machine), over a socket and in-process.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import Any

import freezegun
import openai
import pytest
import time_machine

from mockfiles import MockFiles
from mockfiles.clock import Clock
from mockfiles.errors import InvalidRequest
from mockfiles.ids import IdFactory
from mockfiles.model import UPLOADABLE_PURPOSES, Content, FileObject
from mockfiles.store import FileStore, Usage

HOUR = 3_600
THIRTY_DAYS = 2_592_000
START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def store(clock: Clock) -> FileStore:
    return FileStore(clock, IdFactory(seed=1))


def put(store: FileStore, name: str, data: bytes, **kw: Any) -> FileObject:
    return store.create(
        "p", filename=name, purpose="vision", content=Content.from_bytes(data), **kw
    )


@pytest.fixture(params=["socket", "in-process"])
def client(request: pytest.FixtureRequest, mockfiles: MockFiles) -> openai.OpenAI:
    return mockfiles.client(in_process=request.param == "in-process", max_retries=0)


def after(seconds: object, anchor: object = "created_at") -> dict[str, object]:
    return {"anchor": anchor, "seconds": seconds}


# -- the rules, in the domain ------------------------------------------------------------------


@pytest.mark.parametrize("purpose", UPLOADABLE_PURPOSES)
def test_only_batch_files_expire_by_default_after_30_days(store: FileStore, purpose: str) -> None:
    created = store.create("p", filename="f", purpose=purpose, content=Content.from_bytes(b"x"))
    expected = created.created_at + THIRTY_DAYS if purpose == "batch" else None
    assert created.expires_at == expected


@pytest.mark.parametrize("purpose", ["batch", "user_data", "assistants"])
@pytest.mark.parametrize("seconds", [HOUR, "7200", " 86400 ", THIRTY_DAYS])
def test_expires_after_sets_expires_at_from_created_at(
    store: FileStore, purpose: str, seconds: object
) -> None:
    created = store.create(
        "p",
        filename="f",
        purpose=purpose,
        content=Content.from_bytes(b"x"),
        expires_after=after(seconds),
    )
    assert created.expires_at == created.created_at + int(str(seconds))


@pytest.mark.parametrize(
    ("expires_after", "message", "param"),
    [
        (
            after(59),
            "59 is less than the minimum of 3600 - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
        (
            after(3599),
            "3599 is less than the minimum of 3600 - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
        (
            after(2_592_001),
            "2592001 is greater than the maximum of 2592000 - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
        (
            after("soon"),
            "'soon' is not of type 'integer' - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
        (
            after("3600.5"),
            "'3600.5' is not of type 'integer' - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
        (
            after(HOUR, anchor="last_active_at"),
            "'last_active_at' is not one of ['created_at'] - 'expires_after.anchor'",
            "expires_after.anchor",
        ),
        ({"seconds": HOUR}, "'anchor' is a required property - 'expires_after'", "expires_after"),
        (
            {"anchor": "created_at"},
            "'seconds' is a required property - 'expires_after'",
            "expires_after",
        ),
    ],
)
def test_bad_expires_after_is_refused_naming_the_field(
    store: FileStore, expires_after: dict[str, object], message: str, param: str
) -> None:
    with pytest.raises(InvalidRequest) as raised:
        store.create(
            "p",
            filename="f",
            purpose="batch",
            content=Content.from_bytes(b"x"),
            expires_after=expires_after,
        )
    assert (raised.value.message, raised.value.param, raised.value.status) == (message, param, 400)
    assert store.files() == []


def test_a_file_expires_exactly_when_the_clock_reaches_expires_at(
    clock: Clock, store: FileStore
) -> None:
    created = put(store, "f", b"abc", expires_after=after(HOUR))
    assert created.expires_at is not None
    clock.set(created.expires_at - 1)
    assert store.retrieve("p", created.id) == created
    assert store.usage("p") == Usage(bytes=3, files=1)
    clock.set(created.expires_at)
    assert store.list("p").data == []
    assert store.usage("p") == Usage(bytes=0, files=0)
    clock.set(created.expires_at - 10)  # expiry is final: setting the clock back does not undo it
    assert store.files() == []


def test_a_cursor_naming_an_expired_file_still_marks_its_place(
    clock: Clock, store: FileStore
) -> None:
    short = put(store, "a", b"a", expires_after=after(HOUR))
    kept = put(store, "b", b"b")
    clock.advance(HOUR)
    assert [f.id for f in store.list("p", order="asc", after=short.id).data] == [kept.id]


# -- through the SDK ---------------------------------------------------------------------------


@pytest.mark.parametrize("purpose", UPLOADABLE_PURPOSES)
def test_the_sdk_sees_each_purposes_default_expiry(mockfiles: MockFiles, purpose: str) -> None:
    client = mockfiles.client(strict=purpose != "evals")  # "evals" is not in the SDK's models
    created = client.files.create(file=("f.jsonl", b"{}\n"), purpose=purpose)  # type: ignore[arg-type]
    expected = created.created_at + THIRTY_DAYS if purpose == "batch" else None
    assert created.expires_at == expected


@pytest.mark.parametrize("seconds", [HOUR, THIRTY_DAYS])
def test_the_sdk_may_ask_for_either_bound(client: openai.OpenAI, seconds: int) -> None:
    created = client.files.create(
        file=b"x", purpose="vision", expires_after={"anchor": "created_at", "seconds": seconds}
    )
    assert created.expires_at == created.created_at + seconds


@pytest.mark.parametrize(
    ("expires_after", "message", "param"),
    [
        (
            {"anchor": "created_at", "seconds": "soon"},
            "'soon' is not of type 'integer' - 'expires_after.seconds'",
            "expires_after.seconds",
        ),
        ({"seconds": HOUR}, "'anchor' is a required property - 'expires_after'", "expires_after"),
        (
            {"anchor": "created_at"},
            "'seconds' is a required property - 'expires_after'",
            "expires_after",
        ),
        (
            {"anchor": "updated_at", "seconds": HOUR},
            "'updated_at' is not one of ['created_at'] - 'expires_after.anchor'",
            "expires_after.anchor",
        ),
    ],
)
def test_the_sdk_gets_each_expires_after_error(
    client: openai.OpenAI, expires_after: Any, message: str, param: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(file=b"x", purpose="batch", expires_after=expires_after)
    assert raised.value.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": param,
        "code": None,
    }


def test_the_sdk_sees_defaults_and_expires_after(client: openai.OpenAI) -> None:
    batch = client.files.create(file=b"{}\n", purpose="batch")
    assert batch.expires_at == batch.created_at + THIRTY_DAYS
    vision = client.files.create(file=b"png", purpose="vision")
    assert vision.expires_at is None
    short = client.files.create(
        file=b"x", purpose="user_data", expires_after={"anchor": "created_at", "seconds": 7200}
    )
    assert short.expires_at == short.created_at + 7200
    assert client.files.retrieve(short.id).expires_at == short.expires_at


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        (3599, "3599 is less than the minimum of 3600 - 'expires_after.seconds'"),
        (2_592_001, "2592001 is greater than the maximum of 2592000 - 'expires_after.seconds'"),
    ],
)
def test_the_sdk_gets_bad_request_for_out_of_range_seconds(
    client: openai.OpenAI, seconds: int, message: str
) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.files.create(
            file=b"x", purpose="batch", expires_after={"anchor": "created_at", "seconds": seconds}
        )
    assert raised.value.body == {
        "message": message,
        "type": "invalid_request_error",
        "param": "expires_after.seconds",
        "code": None,
    }


def test_an_expired_file_is_gone_from_every_operation_and_from_usage(
    client: openai.OpenAI, mockfiles: MockFiles
) -> None:
    doomed = client.files.create(
        file=b"12345", purpose="batch", expires_after={"anchor": "created_at", "seconds": HOUR}
    )
    kept = client.files.create(file=b"kept", purpose="vision")
    assert doomed.expires_at is not None
    mockfiles.clock.set(doomed.expires_at - 1)
    assert client.files.content(doomed.id).content == b"12345"
    assert mockfiles.usage() == Usage(bytes=9, files=2)
    mockfiles.clock.set(doomed.expires_at)
    for operation in (client.files.retrieve, client.files.content, client.files.delete):
        with pytest.raises(openai.NotFoundError) as raised:
            operation(doomed.id)
        assert raised.value.body["message"] == f"No such File object: {doomed.id}"  # type: ignore[index]
    assert [f.id for f in client.files.list()] == [kept.id]
    assert mockfiles.usage() == Usage(bytes=4, files=1)


# -- the same scenario, time moved three ways --------------------------------------------------


def upload_expiring(client: openai.OpenAI) -> str:
    return client.files.create(
        file=b"{}\n", purpose="batch", expires_after={"anchor": "created_at", "seconds": HOUR}
    ).id


def is_present(client: openai.OpenAI, file_id: str) -> bool:
    try:
        client.files.retrieve(file_id)
    except openai.NotFoundError:
        return False
    return True


@contextmanager
def fake_clock(mock: MockFiles) -> Iterator[Callable[[float], None]]:
    # On a whole second: created_at truncates, so a file made at x.99 would otherwise expire
    # 3599.01 s later. Time still flows; the test needs less than a second of it.
    mock.clock.set(START)
    yield mock.clock.advance


@contextmanager
def with_freezegun(mock: MockFiles) -> Iterator[Callable[[float], None]]:
    with freezegun.freeze_time(START) as frozen:
        yield frozen.tick


@contextmanager
def with_time_machine(mock: MockFiles) -> Iterator[Callable[[float], None]]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller.shift


@contextmanager
def with_facade_freeze(mock: MockFiles) -> Iterator[Callable[[float], None]]:
    frozen = mock.freeze(START)
    try:
        yield frozen.tick
    finally:
        mock.close()


@pytest.mark.parametrize(
    "move_time",
    [fake_clock, with_freezegun, with_time_machine, with_facade_freeze],
    ids=["mockfiles.clock.advance", "freezegun", "time-machine", "mockfiles.freeze"],
)
def test_a_file_expires_when_time_is_moved_past_it(
    client: openai.OpenAI, mockfiles: MockFiles, move_time: Any
) -> None:
    with move_time(mockfiles) as advance:
        file_id = upload_expiring(client)
        advance(HOUR - 1)
        assert is_present(client, file_id)
        advance(1)
        assert not is_present(client, file_id)
        assert client.files.list().data == []


def test_freezing_through_the_facade_moves_the_test_and_the_fake_together(
    mockfiles: MockFiles,
) -> None:
    mockfiles.clock.advance(500)  # the fake's own offset is folded into the frozen instant
    expected = mockfiles.clock.now()
    frozen = mockfiles.freeze()
    assert datetime.now(timezone.utc).timestamp() == pytest.approx(expected, abs=1)
    frozen.move_to(START)
    assert mockfiles.clock.now() == START.timestamp()
    assert mockfiles.client().files.create(file=b"x", purpose="vision").created_at == int(
        START.timestamp()
    )


def test_the_recipe_reuploads_a_batch_file_once_the_old_one_expired(
    mockfiles: MockFiles,
) -> None:
    cache: dict[str, str] = {}

    def batch_input_id(client: openai.OpenAI, data: bytes) -> str:
        """Code under test: reuse the uploaded file while it lives, upload again after."""
        file_id = cache.get("input")
        if file_id is not None:
            try:
                client.files.retrieve(file_id)
                return file_id
            except openai.NotFoundError:
                pass
        cache["input"] = client.files.create(file=("in.jsonl", data), purpose="batch").id
        return cache["input"]

    with openai.OpenAI() as client:
        first = batch_input_id(client, b"{}\n")
        assert batch_input_id(client, b"{}\n") == first
        mockfiles.clock.advance(THIRTY_DAYS)
        second = batch_input_id(client, b"{}\n")
    assert second != first
    assert [f.id for f in mockfiles.files()] == [second]
