"""The domain tier: the store, ids and clock, with no HTTP in the way."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest

from mockfiles.clock import Clock
from mockfiles.errors import DownloadNotAllowed, FileNotFound, InvalidPurpose, InvalidRequest
from mockfiles.ids import IdFactory
from mockfiles.model import UPLOADABLE_PURPOSES, Content
from mockfiles.store import FileStore

PROJECT = "proj_a"


@pytest.fixture
def clock() -> Clock:
    return Clock(1_700_000_000)


@pytest.fixture
def store(clock: Clock) -> FileStore:
    return FileStore(clock, IdFactory(seed=7))


def add(store: FileStore, name: str = "a.jsonl", purpose: str = "batch", data: bytes = b"x") -> str:
    return store.create(PROJECT, filename=name, purpose=purpose, content=Content([data])).id


def test_create_returns_a_processed_file_with_exact_size_and_time(store: FileStore) -> None:
    created = store.create(
        PROJECT, filename="你好.txt", purpose="user_data", content=Content([b"ab", b"cde"])
    )
    assert created.to_dict() == {
        "object": "file",
        "id": created.id,
        "purpose": "user_data",
        "filename": "你好.txt",
        "bytes": 5,
        "created_at": 1_700_000_000,
        "expires_at": None,
        "status": "processed",
        "status_details": None,
    }
    assert re.fullmatch(r"file-[1-9A-HJ-NP-Za-km-z]{22}", created.id)


@pytest.mark.parametrize("purpose", UPLOADABLE_PURPOSES)
def test_every_uploadable_purpose_is_accepted(store: FileStore, purpose: str) -> None:
    assert store.retrieve(PROJECT, add(store, purpose=purpose)).purpose == purpose


@pytest.mark.parametrize("purpose", ["batch_output", "assistants_output", "fine-tune-results", ""])
def test_system_and_unknown_purposes_are_refused_with_the_real_message(
    store: FileStore, purpose: str
) -> None:
    with pytest.raises(InvalidPurpose) as caught:
        add(store, purpose=purpose)
    assert caught.value.message == (
        f"'{purpose}' is not one of ['fine-tune', 'assistants', 'batch', 'user_data', "
        "'vision', 'evals'] - 'purpose'"
    )
    assert caught.value.param == "purpose"
    assert store.files() == []


def test_delete_forgets_the_file_and_a_second_delete_is_a_404(store: FileStore) -> None:
    file_id = add(store)
    assert store.delete(PROJECT, file_id).id == file_id
    for operation in (store.retrieve, store.delete, store.content):
        with pytest.raises(FileNotFound, match=f"^No such File object: {file_id}$"):
            operation(PROJECT, file_id)
    assert store.files() == []


def test_a_file_of_one_project_does_not_exist_for_another(store: FileStore) -> None:
    file_id = add(store)
    with pytest.raises(FileNotFound):
        store.retrieve("proj_b", file_id)
    assert store.list("proj_b").data == []
    assert [f.id for f in store.list(PROJECT).data] == [file_id]


@pytest.mark.parametrize(
    ("purpose", "allowed"),
    [
        ("batch", True),
        ("vision", True),
        ("assistants", False),
        ("user_data", False),
        ("fine-tune", False),
        ("evals", False),
    ],
)
def test_content_is_handed_back_only_for_downloadable_purposes(
    store: FileStore, purpose: str, allowed: bool
) -> None:
    file_id = add(store, purpose=purpose, data=b"payload")
    if allowed:
        file, content = store.content(PROJECT, file_id)
        assert content.read() == b"payload"
        assert file.bytes == 7
    else:
        with pytest.raises(
            DownloadNotAllowed, match=f"^Not allowed to download files of purpose: {purpose}$"
        ):
            store.content(PROJECT, file_id)


def test_list_is_newest_first_by_default_and_ties_keep_creation_order(
    store: FileStore, clock: Clock
) -> None:
    first, second = add(store), add(store)  # same second
    clock.advance(1)
    third = add(store)
    assert [f.id for f in store.list(PROJECT).data] == [third, second, first]
    assert [f.id for f in store.list(PROJECT, order="asc").data] == [first, second, third]


def test_list_orders_by_created_at_even_when_the_clock_went_back(
    store: FileStore, clock: Clock
) -> None:
    later = add(store)
    clock.advance(-60)
    earlier = add(store)
    assert [f.id for f in store.list(PROJECT, order="asc").data] == [earlier, later]


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_pages_walk_every_file_exactly_once_in_order(
    store: FileStore, clock: Clock, order: str
) -> None:
    ids = []
    for index in range(25):
        ids.append(add(store))
        if index % 3 == 0:  # several files share a second
            clock.advance(1)
    expected = ids if order == "asc" else ids[::-1]
    seen: list[str] = []
    after = None
    while True:
        page = store.list(PROJECT, limit=7, order=order, after=after)
        seen += [f.id for f in page.data]
        if not page.has_more:
            break
        after = page.data[-1].id
    assert seen == expected


def test_list_filters_by_purpose_and_reports_has_more(store: FileStore) -> None:
    batch = [add(store, purpose="batch") for _ in range(3)]
    add(store, purpose="vision")
    page = store.list(PROJECT, purpose="batch", limit=2, order="asc")
    assert [f.id for f in page.data] == batch[:2]
    assert page.has_more is True
    assert page.to_dict()["first_id"] == batch[0]
    assert page.to_dict()["last_id"] == batch[1]
    last = store.list(PROJECT, purpose="batch", limit=2, order="asc", after=batch[1])
    assert [f.id for f in last.data] == batch[2:]
    assert last.has_more is False
    assert store.list(PROJECT, purpose="no-such-purpose").data == []


def test_an_empty_page_has_null_first_and_last_ids(store: FileStore) -> None:
    assert store.list(PROJECT).to_dict() == {
        "object": "list",
        "data": [],
        "has_more": False,
        "first_id": None,
        "last_id": None,
    }


def test_a_cursor_naming_a_deleted_file_still_marks_its_place(store: FileStore) -> None:
    ids = [add(store) for _ in range(4)]
    store.delete(PROJECT, ids[1])
    page = store.list(PROJECT, order="asc", after=ids[1])
    assert [f.id for f in page.data] == ids[2:]


def test_a_cursor_naming_no_file_of_the_project_gives_an_empty_page(store: FileStore) -> None:
    add(store)
    foreign = store.create("proj_b", filename="b", purpose="batch", content=Content([b"b"])).id
    for cursor in ("file-doesnotexist", foreign):
        page = store.list(PROJECT, after=cursor)
        assert (page.data, page.has_more) == ([], False)


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        (0, "0 is less than the minimum of 1 - 'limit'"),
        (-1, "-1 is less than the minimum of 1 - 'limit'"),
        (10_001, "10001 is greater than the maximum of 10000 - 'limit'"),
    ],
)
def test_a_limit_outside_1_to_10000_is_refused(store: FileStore, limit: int, message: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        store.list(PROJECT, limit=limit)
    assert (caught.value.message, caught.value.param, caught.value.status) == (
        message,
        "limit",
        400,
    )


def test_limits_at_the_bounds_are_accepted(store: FileStore) -> None:
    ids = [add(store) for _ in range(3)]
    assert [f.id for f in store.list(PROJECT, limit=1).data] == [ids[-1]]
    assert len(store.list(PROJECT, limit=10_000).data) == 3


def test_an_unknown_order_is_refused(store: FileStore) -> None:
    with pytest.raises(InvalidRequest) as caught:
        store.list(PROJECT, order="sideways")
    assert caught.value.message == "'sideways' is not one of ['asc', 'desc'] - 'order'"
    assert caught.value.param == "order"


def test_reset_forgets_every_project(store: FileStore) -> None:
    add(store)
    store.create("proj_b", filename="b", purpose="batch", content=Content([b"b"]))
    store.reset()
    assert store.files() == []


def test_seeded_ids_reproduce_and_request_ids_do_not_shift_them() -> None:
    first, second = IdFactory(seed=3), IdFactory(seed=3)
    second.request_id()
    assert [first.file_id() for _ in range(3)] == [second.file_id() for _ in range(3)]
    assert re.fullmatch(r"req_[0-9a-f]{32}", first.request_id())
    assert IdFactory(seed=4).file_id() != IdFactory(seed=3).file_id()


def test_clock_follows_process_time_plus_its_own_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    now = [1_000.5]
    monkeypatch.setattr("time.time", lambda: now[0])
    clock = Clock()
    assert clock.now() == 1_000.5
    clock.advance(timedelta(minutes=1))
    now[0] += 10
    assert clock.timestamp() == 1_070
    clock.set(datetime(2026, 1, 1, tzinfo=timezone.utc))
    assert clock.timestamp() == 1_767_225_600
    clock.set("2026-01-01T00:00:10Z")
    assert clock.timestamp() == 1_767_225_610
    assert Clock("1767225600").timestamp() == 1_767_225_600
