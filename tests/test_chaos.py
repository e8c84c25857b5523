"""Chaos fails only wrong code: it leaves a test's own rules alone, the fixture's clients retry
through it, journal queries leave it out, and every fault it draws is labelled as chaos."""

from __future__ import annotations

import asyncio
import re

import openai
import pytest
from doc_examples import python_examples

from mockfiles import MockFiles
from mockfiles.faults import CHAOS_PRESETS


def outcomes(mock: MockFiles, client: openai.OpenAI, count: int) -> list[str]:
    """What each of ``count`` unretried ``files.list`` calls met."""
    seen = []
    for _ in range(count):
        try:
            client.files.list()
            seen.append("ok")
        except openai.APIError as error:
            seen.append(type(error).__name__)
    return seen


def test_a_tests_own_rules_behave_exactly_as_without_chaos() -> None:
    def run(chaos: float) -> tuple[list[str], list[tuple[str, int, int]]]:
        mock = MockFiles(seed=3, chaos=chaos)
        rules = [
            mock.faults.add("files.list", "server_error", after=1, times=2),
            mock.faults.add("files.list", "rate_limit", probability=0.5),
        ]
        with mock.client(max_retries=0) as client:
            seen = outcomes(mock, client, 12)
        return seen, [(rule.action, rule.seen, rule.fired) for rule in rules]

    # At chaos 1.0 every request no rule owns would fail: the rules own files.list entirely,
    # and their seeded draws are the same.
    assert run(1.0) == run(0.0)


def test_chaos_fires_only_where_no_rule_matches_and_labels_what_it_did() -> None:
    mock = MockFiles(seed=5, chaos=1.0)
    mock.faults.add("files.list", "rate_limit", times=1)  # spent after one: still owns the rest
    with mock.client(max_retries=0) as client:
        assert outcomes(mock, client, 3) == ["RateLimitError", "ok", "ok"]
        with pytest.raises(openai.APIStatusError) as raised:
            client.files.retrieve("file-x")  # no rule owns files.retrieve
    assert raised.value.status_code in (429, 500, 502, 503)
    assert raised.value.response.headers["retry-after-ms"] == "5"
    [chaos] = mock.calls("files.retrieve", include_chaos=True)
    assert chaos.is_chaos
    assert chaos.fault in {f"chaos:{name}" for name in CHAOS_PRESETS}
    assert mock.calls("files.retrieve") == []
    assert [c.fault for c in mock.calls("files.list")] == ["rate_limit", None, None]


def test_chaos_spares_retries_and_the_next_request_of_the_same_caller() -> None:
    mock = MockFiles(seed=8, chaos=1.0)
    with mock.client(max_retries=0) as client:
        # A retry loop of one's own sends no retry count: every other request gets through.
        assert outcomes(mock, client, 4)[1::2] == ["ok", "ok"]
    with mock.client(max_retries=0, project="proj_other") as other:
        assert outcomes(mock, other, 1) != ["ok"]  # another caller is a first attempt again


@pytest.mark.parametrize("in_process", [False, True], ids=["socket", "in-process"])
@pytest.mark.mockfiles(chaos=1.0)
def test_the_fixtures_clients_retry_under_chaos_unless_told(
    mockfiles: MockFiles, in_process: bool
) -> None:
    created = mockfiles.client(in_process=in_process).files.create(file=b"x", purpose="vision")

    async def retrieve() -> str:
        async with mockfiles.async_client(in_process=in_process) as client:
            return (await client.files.retrieve(created.id)).id

    assert asyncio.run(retrieve()) == created.id
    with pytest.raises(openai.APIStatusError):
        mockfiles.client(in_process=in_process, max_retries=0).files.list()
    mockfiles.assert_called("files.create", times=1)
    mockfiles.assert_called("files.retrieve", times=1, attempt=2)
    assert mockfiles.calls("files.list") == []
    assert len(mockfiles.calls(include_chaos=True)) == 5


@pytest.mark.parametrize("in_process", [False, True], ids=["socket", "in-process"])
@pytest.mark.mockfiles(chaos=1.0)
def test_under_chaos_the_fixtures_clients_still_meet_every_fault_the_test_injects(
    mockfiles: MockFiles, in_process: bool
) -> None:
    mockfiles.faults.add("files.create", "server_error", times=3)
    mockfiles.faults.add("files.list", "reset", times=1)
    client = mockfiles.client(in_process=in_process)
    for _ in range(3):  # each one seen, none retried away
        with pytest.raises(openai.InternalServerError):
            client.files.create(file=b"x", purpose="vision")
    with pytest.raises(openai.APIConnectionError):
        client.files.list()
    client.files.create(file=b"x", purpose="vision")  # the rule is spent: now it works
    assert [c.status for c in mockfiles.calls("files.create")] == [500, 500, 500, 200]
    assert [c.fault for c in mockfiles.calls("files.list")] == ["reset"]
    # Chaos owned none of these requests: the rules matched them all.
    assert not any(call.is_chaos for call in mockfiles.calls(include_chaos=True))


@pytest.mark.mockfiles(chaos=1.0)
def test_chaos_answers_say_so_and_a_resent_request_counts_as_the_next_attempt(
    mockfiles: MockFiles,
) -> None:
    mockfiles.client().files.list()
    failed, resent = mockfiles.calls("files.list", include_chaos=True)
    assert (failed.is_chaos, failed.attempt, resent.is_chaos, resent.attempt) == (
        True,
        1,
        False,
        2,
    )
    with pytest.raises(openai.APIStatusError) as raised:
        mockfiles.client(max_retries=0).files.list()
    assert raised.value.response.headers["x-mockfiles-chaos"] in CHAOS_PRESETS


def test_without_chaos_the_fixtures_clients_do_not_retry(mockfiles: MockFiles) -> None:
    mockfiles.faults.add("files.list", "server_error", times=1)
    with pytest.raises(openai.InternalServerError):
        mockfiles.client().files.list()


def test_chaos_labels_reach_the_report_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mockfiles(chaos=1.0)
        def test_gives_up(mockfiles):
            mockfiles.client(max_retries=0).files.list(purpose="batch")
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.re_match_lines(
        [r"1 +files\.list +GET /v1/files\?purpose=batch .* (429|50[023]) +chaos:\w+ +1 .*"]
    )


# -- every example of the docs, under chaos --------------------------------------------------


def chaos_run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    return pytester.runpytest(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-W", "error", "--mockfiles-chaos=0.3", *args
    )


def without_retries(block: str) -> str:
    block = block.replace("mockfiles.client()", "mockfiles.client(max_retries=0)")
    return block.replace("openai.OpenAI()", "openai.OpenAI(max_retries=0)")


def chaos_faults(result: pytest.RunResult) -> list[str]:
    """The chaos faults the failure reports show, in order: operation, status and label."""
    return re.findall(
        r"^\d+ +(\S+) +[A-Z]+ .*? (\d{3}) +(chaos:\w+) ", result.stdout.str(), re.MULTILINE
    )


def test_every_example_passes_under_chaos_and_a_non_retrying_variant_fails_reproducibly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mockfiles: MockFiles
) -> None:
    # The runs below are in this process (a subprocess costs a second of imports each), and
    # pytester drops the modules each run imports. Import the socket path's error handling
    # now, so that every run shares this process' exception classes.
    for kind in ("reset", "truncate"):
        mockfiles.faults.add("files.list", kind, times=1)
        mockfiles.client(max_retries=1).files.list()
    # The SDK backs off 0.5-8 s before retrying a broken connection, which a README example
    # injects; chaos itself asks for 5 ms waits. The backoff's length is not what is tested
    # here, and seven runs of it would cost seconds.
    monkeypatch.setattr(openai._base_client, "INITIAL_RETRY_DELAY", 0.001)
    examples = python_examples()
    assert examples.tests >= 15, "the docs should hold the examples"
    pytester.makepyfile(**examples.modules)
    pytester.makefile(".ini", pytest=examples.ini)
    for seed in (1, 2, 3, 4, 5):
        chaos_run(pytester, f"--mockfiles-seed={seed}").assert_outcomes(passed=examples.tests)

    # The same code without its retries (the examples that had some to lose): chaos must
    # catch it, and the seed the run prints must replay it.
    naive = python_examples(without_retries, changed_only=True)
    assert naive.tests >= 5
    for module in examples.modules:
        (pytester.path / f"{module}.py").unlink()
    pytester.makepyfile(**naive.modules)
    first = chaos_run(pytester, "--tb=native")
    [seed] = re.findall(r"reproduce with --mockfiles-seed=(\d+)", first.stdout.str())
    failed = first.parseoutcomes().get("failed", 0)
    assert failed > 0, f"seed {seed}: chaos failed none of the non-retrying examples"
    replay = chaos_run(pytester, "--tb=native", f"--mockfiles-seed={seed}")
    assert replay.parseoutcomes() == first.parseoutcomes()
    assert re.findall(r"^FAILED (\S+)", replay.stdout.str(), re.MULTILINE) == re.findall(
        r"^FAILED (\S+)", first.stdout.str(), re.MULTILINE
    )
    assert chaos_faults(replay) == chaos_faults(first) != []
