"""Failure injection through the official SDK: HTTP errors, broken connections, schedules,
seeded probabilities, the journal, and the same faults driven against ``mockfiles serve``."""

from __future__ import annotations

import asyncio
import time
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
        ("request_timeout", openai.APIStatusError),
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


# -- timeouts that are timeouts ----------------------------------------------------------------


#: The socket server carries out the ``timeout`` fault (holds the answer until the client
#: closes) once its rework lands; before that it would trickle the answer out for ten minutes.
def test_a_timeout_rule_raises_the_sdks_timeout_error_in_process(mockfiles: MockFiles) -> None:
    mockfiles.faults.add("files.create", "timeout", times=1)
    with pytest.raises(openai.APITimeoutError):
        mockfiles.client(in_process=True).files.create(file=b"late", purpose="vision")
    # The operation ran, as a request the client gave up on may have for real.
    assert [mockfiles.content(f.id) for f in mockfiles.files()] == [b"late"]
    [call] = mockfiles.calls()
    assert (call.fault, call.status, call.injected_ms) == ("timeout", None, 600_000)


def test_a_timeout_rule_raises_the_timeout_error_for_async_clients_too(
    mockfiles: MockFiles,
) -> None:
    mockfiles.faults.add("files.list", "timeout", seconds=5)

    async def scenario() -> None:
        async with mockfiles.async_client(in_process=True, max_retries=1) as client:
            with pytest.raises(openai.APITimeoutError):
                await client.files.list()

    asyncio.run(scenario())
    assert [c.attempt for c in mockfiles.assert_called("files.list", fault="timeout")] == [1, 2]


def test_a_timeout_rule_raises_the_sdks_timeout_error_over_the_socket(
    mockfiles: MockFiles,
) -> None:
    mockfiles.faults.add("files.list", "timeout", times=1)
    client = mockfiles.client(in_process=False, max_retries=0, timeout=0.3)
    started = time.perf_counter()
    with pytest.raises(openai.APITimeoutError):
        client.files.list()
    assert time.perf_counter() - started < 60  # the client's timeout, not the 600 s cap
    assert client.files.list().data == []  # the server is free for the next request


def test_request_timeout_is_the_real_apis_408(mockfiles: MockFiles) -> None:
    mockfiles.faults.add("files.list", "request_timeout", times=1)
    with pytest.raises(openai.APIStatusError) as raised:
        mockfiles.client().files.list()
    assert raised.value.status_code == 408
    assert not isinstance(raised.value, openai.APITimeoutError)
    assert mockfiles.last_call().error_code == "timeout"


# -- rules that must fire ----------------------------------------------------------------------


def test_assert_all_fired_names_the_rules_that_never_fired() -> None:
    mock = MockFiles(chaos=0.5)  # chaos is exempt: it may rightly never fire
    mock.faults.add("files.list", "rate_limit", times=1)
    mock.faults.add("files.create", "server_error", project="proj_typo", retry_after_ms=10)
    mock.faults.add_spec("files.delete,files.retrieve:timeout:seconds=2")
    with mock.client(max_retries=0) as client, pytest.raises(openai.RateLimitError):
        client.files.list()
    with pytest.raises(AssertionError) as raised:
        mock.faults.assert_all_fired()
    assert str(raised.value).splitlines() == [
        "2 fault rule(s) never fired:",
        "  files.create:server_error:project=proj_typo,retry_after_ms=10  (matched 0 request(s))",
        "  files.delete,files.retrieve:timeout:seconds=2  (matched 0 request(s))",
    ]
    mock.faults.clear()
    mock.faults.assert_all_fired()


STRICT_SUITE = """
import pytest

@pytest.mark.mockfiles(strict_faults=True)
def test_strict_with_a_rule_that_never_fires(mockfiles):
    mockfiles.faults.add("files.list", "rate_limit", project="proj_typo")
    mockfiles.client().files.list()

@pytest.mark.mockfiles(strict_faults=True)
def test_strict_with_a_rule_that_fires(mockfiles):
    mockfiles.faults.add("files.list", "rate_limit", times=1, retry_after_ms=1)
    mockfiles.client(max_retries=1).files.list()

@pytest.mark.mockfiles(strict_faults=True)
def test_strict_but_failing_for_its_own_reason(mockfiles):
    mockfiles.faults.add("files.create", "reset")
    assert False, "its own reason"

def test_not_strict(mockfiles):
    mockfiles.faults.add("files.list", "reset")
"""


@pytest.mark.parametrize("ini", [False, True], ids=["marker", "ini"])
def test_strict_faults_fails_a_test_whose_rule_never_fired(
    pytester: pytest.Pytester, ini: bool
) -> None:
    source = STRICT_SUITE
    if ini:
        pytester.makeini("[pytest]\nmockfiles_strict_faults = true\n")
        source = source.replace("@pytest.mark.mockfiles(strict_faults=True)\n", "")
    pytester.makepyfile(test_strict=source)
    result = pytester.runpytest("-p", "no:randomly", "-p", "no:cacheprovider")
    # Only the test's own failure is reported for the failing test: no second error for it.
    result.assert_outcomes(passed=3, failed=1, errors=2 if ini else 1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_strict_with_a_rule_that_never_fires*",
            "strict_faults: 1 fault rule(s) never fired:",
            "  files.list:rate_limit:project=proj_typo  (matched 0 request(s))",
        ]
    )
    # One message, not the assertion and then the failure chained to it.
    result.stdout.no_fnmatch_line("*During handling of the above exception*")
    if ini:
        result.stdout.fnmatch_lines(["*ERROR at teardown of test_not_strict*"])
