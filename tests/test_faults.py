"""Failure injection through the official SDK: HTTP errors, broken connections, schedules,
seeded probabilities, the journal, and the same faults driven against ``mockfiles serve``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest
from helpers import control, serve_cli

from mockfiles import MockFiles
from mockfiles.errors import InvalidRequest
from mockfiles.faults import HTTP_PRESETS, parse_spec


@pytest.fixture(params=["socket", "in-process"])
def in_process(request: pytest.FixtureRequest) -> bool:
    return bool(request.param == "in-process")


def test_one_injected_500_is_absorbed_by_the_sdks_retries_and_shows_in_the_journal(
    mockfiles: MockFiles, in_process: bool
) -> None:
    # retry-after-ms spares the SDK's own backoff (~0.45 s); the retry is what is proved.
    mockfiles.faults.add("files.create", "server_error", times=1, retry_after_ms=1)
    client = mockfiles.client(in_process=in_process, max_retries=2)
    created = client.files.create(file=b"x", purpose="vision")
    calls = mockfiles.assert_called("files.create", times=2)
    assert [(c.attempt, c.status, c.fault) for c in calls] == [
        (1, 500, "server_error"),
        (2, 200, None),
    ]
    assert [f.id for f in mockfiles.files()] == [created.id]


def test_x_should_retry_false_stops_the_sdk_from_retrying(
    mockfiles: MockFiles, in_process: bool
) -> None:
    mockfiles.faults.add("files.list", "server_error", times=1, should_retry=False)
    client = mockfiles.client(in_process=in_process, max_retries=2)
    with pytest.raises(openai.InternalServerError) as raised:
        client.files.list()
    assert raised.value.response.headers["x-should-retry"] == "false"
    assert len(mockfiles.calls("files.list")) == 1


@pytest.mark.parametrize(
    ("options", "at_least"),
    # 0.6 s: longer than the SDK's own backoff (at most 0.5 s here), so only the header explains it.
    [({"retry_after_ms": 600}, 0.6), ({"retry_after": 0.6}, 0.6)],
    ids=["retry-after-ms", "retry-after"],
)
def test_the_sdk_waits_as_long_as_retry_after_asks(
    mockfiles: MockFiles, options: dict[str, float], at_least: float, in_process: bool
) -> None:
    mockfiles.faults.add("files.list", "rate_limit", times=1, **options)
    mockfiles.client(max_retries=1, in_process=in_process).files.list()
    first, second = mockfiles.calls("files.list")
    gap = second.started - (first.started + first.duration_ms / 1000)
    # Without the header the SDK would wait 0.375-0.5 s; the upper bound allows a loaded machine.
    assert at_least - 0.05 <= gap < at_least + 5


@pytest.mark.parametrize("kind", ["reset", "disconnect", "truncate"])
def test_broken_connections_raise_connection_errors_and_retries_recover(
    mockfiles: MockFiles, in_process: bool, kind: str
) -> None:
    mockfiles.faults.add("files.create", kind, times=1)
    with pytest.raises(openai.APIConnectionError) as raised:
        mockfiles.client(in_process=in_process).files.create(file=b"x", purpose="vision")
    assert not isinstance(raised.value, openai.APITimeoutError)
    mockfiles.faults.add("files.create", kind, times=1)
    retrying = mockfiles.client(in_process=in_process, max_retries=2)
    assert retrying.files.create(file=b"y", purpose="vision").bytes == 1
    assert [c.fault for c in mockfiles.calls("files.create")] == [kind, kind, None]


def test_reset_and_disconnect_happen_before_the_operation_truncate_after(
    mockfiles: MockFiles,
) -> None:
    client = mockfiles.client()
    for kind in ("reset", "disconnect", "truncate"):
        mockfiles.faults.add("files.create", kind, times=1)
        with pytest.raises(openai.APIConnectionError):
            client.files.create(file=kind.encode(), purpose="vision")
    # Only the truncated answer belonged to an operation that happened: its file exists.
    assert [mockfiles.content(f.id) for f in mockfiles.files()] == [b"truncate"]


def test_a_delay_longer_than_the_timeout_raises_a_timeout_error(
    mockfiles: MockFiles, in_process: bool
) -> None:
    mockfiles.faults.add("files.list", "delay", seconds=1.0, times=1)
    client = mockfiles.client(in_process=in_process)
    with pytest.raises(openai.APITimeoutError):
        client.with_options(timeout=0.2).files.list()
    mockfiles.faults.add("files.retrieve", "delay", seconds=0.05, times=1)
    created = client.files.create(file=b"x", purpose="vision")
    assert client.files.retrieve(created.id).id == created.id  # a short delay is just late


def test_a_slow_body_still_arrives_whole(mockfiles: MockFiles, in_process: bool) -> None:
    data = bytes(range(256)) * 400
    client = mockfiles.client(in_process=in_process)
    created = client.files.create(file=data, purpose="vision")
    mockfiles.faults.add("files.content", "slow_body", seconds=0.2, times=1)
    assert client.files.content(created.id).content == data


@pytest.mark.parametrize(
    ("preset", "error"),
    [
        ("rate_limit", openai.RateLimitError),
        ("insufficient_quota", openai.RateLimitError),
        ("server_error", openai.InternalServerError),
        ("bad_gateway", openai.InternalServerError),
        ("service_unavailable", openai.InternalServerError),
        ("timeout", openai.APIStatusError),
        ("conflict", openai.ConflictError),
    ],
)
def test_each_preset_raises_the_sdk_exception_for_its_status(
    mockfiles: MockFiles, preset: str, error: type[openai.APIStatusError]
) -> None:
    mockfiles.faults.add("files.list", preset, times=1)
    with pytest.raises(error) as raised:
        mockfiles.client().files.list()
    status, kind, code, _ = HTTP_PRESETS[preset]
    body = raised.value.body
    assert isinstance(body, dict)
    assert (raised.value.status_code, body["type"], body["code"]) == (status, kind, code)


def test_a_custom_error_answers_exactly_what_it_was_given(mockfiles: MockFiles) -> None:
    mockfiles.faults.add(
        "files.retrieve",
        "error",
        status=418,
        type="teapot_error",
        code="short_and_stout",
        message="I am a teapot.",
        times=1,
    )
    with pytest.raises(openai.APIStatusError) as raised:
        mockfiles.client().files.retrieve("file-x")
    assert raised.value.status_code == 418
    assert raised.value.body == {
        "message": "I am a teapot.",
        "type": "teapot_error",
        "param": None,
        "code": "short_and_stout",
    }


def test_after_times_project_and_key_narrow_a_rule(mockfiles: MockFiles) -> None:
    rule = mockfiles.faults.add(
        "files.list", "server_error", after=1, times=2, project="proj_target", key="sk-target"
    )
    target = mockfiles.client(api_key="sk-target", project="proj_target")
    other_key = mockfiles.client(api_key="sk-other", project="proj_target")
    other_project = mockfiles.client(api_key="sk-target", project="proj_other")
    other_key.files.list()
    other_project.files.list()
    outcomes = []
    for _ in range(5):
        try:
            target.files.list()
            outcomes.append("ok")
        except openai.InternalServerError:
            outcomes.append("500")
    assert outcomes == ["ok", "500", "500", "ok", "ok"]  # skip 1, fail 2, then done
    assert (rule.seen, rule.fired) == (5, 2)


def failing_requests(seed: int) -> list[int]:
    mock = MockFiles(seed=seed)
    mock.faults.add("files.list", "server_error", probability=0.5)
    client = mock.client()
    failed = []
    for index in range(40):
        try:
            client.files.list()
        except openai.InternalServerError:
            failed.append(index)
    client.close()
    return failed


def test_probability_rules_replay_with_the_same_seed_and_differ_with_another() -> None:
    first = failing_requests(seed=11)
    assert 5 < len(first) < 35
    assert failing_requests(seed=11) == first
    assert failing_requests(seed=12) != first


def test_fault_specs_parse_and_bad_ones_are_refused() -> None:
    assert parse_spec("files.create,files.delete:rate_limit:times=2,retry_after_ms=10") == (
        ["files.create", "files.delete"],
        "rate_limit",
        {"times": 2, "retry_after_ms": 10},
    )
    assert parse_spec("*:delay:seconds=0.5,should_retry=false")[2] == {
        "seconds": 0.5,
        "should_retry": False,
    }
    for bad in (
        "files.create",
        "files.nope:reset",
        "files.list:explode",
        "*:reset:times",
        "*:reset:speed=3",
        "*:reset:times=-1",
        "*:error",
    ):
        with pytest.raises(InvalidRequest):
            MockFiles(faults=[bad])


# -- the same faults, driven against mockfiles serve ------------------------------------------


@pytest.fixture
def served() -> Iterator[str]:
    with serve_cli("--fault", "files.create:rate_limit:times=1") as (_, url):
        yield url


def test_serve_fault_and_the_control_plane_drive_the_same_faults(served: str) -> None:
    with openai.OpenAI(base_url=served, api_key="sk-any", max_retries=0) as client:
        with pytest.raises(openai.RateLimitError):
            client.files.create(file=b"x", purpose="vision")
        client.files.create(file=b"x", purpose="vision")  # times=1: spent
        spec = {"spec": "files.list:reset:times=1"}
        fields = {"operations": "files.list", "action": "bad_gateway"}
        assert control(served, "POST", "faults", spec).status == 200
        assert control(served, "POST", "faults", fields).status == 200
        with pytest.raises(openai.APIConnectionError):
            client.files.list()
        with pytest.raises(openai.InternalServerError):
            client.files.list()
        rules = control(served, "GET", "faults").body["data"]
        assert [(r["action"], r["fired"]) for r in rules] == [
            ("rate_limit", 1),
            ("reset", 1),
            ("bad_gateway", 1),
        ]
        assert control(served, "DELETE", "faults").body["data"] == []
        assert client.files.list().data
    journal = control(served, "GET", "journal").body["data"]
    assert [(c["operation"], c["status"], c["fault"]) for c in journal] == [
        ("files.create", 429, "rate_limit"),
        ("files.create", 200, None),
        ("files.list", None, "reset"),
        ("files.list", 502, "bad_gateway"),
        ("files.list", 200, None),
    ]
    assert control(served, "DELETE", "journal").body["data"] == []


@pytest.mark.parametrize(
    "spec",
    [
        "files.list:delay:seconds=inf",
        "files.list:delay:seconds=nan",
        "files.list:delay:seconds=1e308",
        "files.list:rate_limit:retry_after=-1",
        "files.list:error:status=100",
        "files.list:error:status=200",
        "files.list:server_error:should_retry=no",
        "files.list:server_error:first_attempts_only=1",
    ],
)
def test_rule_options_are_checked_when_added_not_when_fired(spec: str) -> None:
    with pytest.raises(InvalidRequest):
        MockFiles().faults.add_spec(spec)


def test_rule_fields_of_the_wrong_type_are_refused() -> None:
    plan = MockFiles().faults
    for options in ({"operations": [1]}, {"message": 5}, {"type": ["a"]}, {"project": 5}):
        fields: dict[str, Any] = {"operations": "files.list", "action": "rate_limit", **options}
        with pytest.raises(InvalidRequest):
            plan.add(**fields)


def test_a_custom_message_is_sent_verbatim(mockfiles: MockFiles) -> None:
    mockfiles.faults.add("files.list", "rate_limit", message="{oops} {organization}", times=1)
    with pytest.raises(openai.RateLimitError) as raised:
        mockfiles.client().files.list()
    assert raised.value.body["message"] == "{oops} {organization}"  # type: ignore[index]


def test_a_truncated_download_of_a_large_file_without_bytes_streams(mockfiles: MockFiles) -> None:
    placed = mockfiles.add_file(purpose="batch_output", size=3 * 1024 * 1024)
    mockfiles.faults.add("files.content", "truncate", times=1)
    client = mockfiles.client()
    with pytest.raises(openai.APIConnectionError):
        client.files.content(placed.id)
    mockfiles.faults.add("files.content", "slow_body", seconds=0.2, times=1)
    assert len(client.files.content(placed.id).content) == 3 * 1024 * 1024
