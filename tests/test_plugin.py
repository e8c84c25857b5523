"""The pytest plugin as a user meets it: test files run by pytester (in-process where that is
enough, in a subprocess where the environment or xdist matters)."""

from __future__ import annotations

import re

import pytest


def test_a_downstream_test_using_only_the_fixture_and_a_bare_client_passes(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import openai

        def upload_report(data):
            # Code under test: builds its own client from the environment, as apps do.
            with openai.OpenAI() as client:
                return client.files.create(file=("report.jsonl", data), purpose="batch").id

        def test_upload(mockfiles):
            file_id = upload_report(b'{"ok": true}\\n')
            assert mockfiles.content(file_id) == b'{"ok": true}\\n'
            assert [f.filename for f in mockfiles.files()] == ["report.jsonl"]
        """
    )
    result = pytester.runpytest("-W", "error")
    result.assert_outcomes(passed=1)


@pytest.fixture
def outer_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-outer")


@pytest.mark.usefixtures("outer_environment")
def test_nothing_leaks_from_one_test_to_the_next(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import openai

        def test_first_uploads(mockfiles):
            mockfiles.client().files.create(file=b"x", purpose="batch")
            assert len(mockfiles.files()) == 1

        def test_second_starts_empty(mockfiles):
            assert mockfiles.files() == []
            with openai.OpenAI() as client:
                assert client.files.list().data == []

        def test_environment_is_restored_after_the_fixture():
            assert "OPENAI_BASE_URL" not in os.environ
            assert os.environ.get("OPENAI_API_KEY") == "sk-outer"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly", "-W", "error")
    result.assert_outcomes(passed=3)


def test_the_marker_passes_options_to_the_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        pytestmark = pytest.mark.mockfiles(organization="org-module", project="proj_module")

        @pytest.mark.mockfiles(project="proj_marked", now="2026-01-01T00:00:00Z")
        def test_marked(mockfiles):
            raw = mockfiles.client().files.with_raw_response.create(file=b"x", purpose="batch")
            assert raw.headers["openai-project"] == "proj_marked"
            assert raw.headers["openai-organization"] == "org-module"
            # The clock starts there and runs on: allow for a slow machine.
            assert 1767225600 <= raw.parse().created_at < 1767225600 + 60
            assert [f.id for f in mockfiles.files("proj_marked")] == [raw.parse().id]

        @pytest.mark.mockfiles("positional")
        def test_positional_arguments_are_refused(mockfiles):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*@pytest.mark.mockfiles takes keyword arguments only*"])


def test_a_bug_inside_the_fake_fails_the_test_naming_the_request(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import openai
        import pytest

        def test_client_code_survives_but_the_fake_broke(mockfiles, monkeypatch):
            def broken(*args, **kwargs):
                raise ZeroDivisionError("fake internals")
            monkeypatch.setattr(mockfiles.store, "retrieve", broken)
            with pytest.raises(openai.InternalServerError):
                mockfiles.client(max_retries=0).files.retrieve("file-abc")
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR at teardown of test_client_code_survives_but_the_fake_broke*",
            "*mockfiles failed on GET /v1/files/file-abc*",
            "*ZeroDivisionError: fake internals*",
        ]
    )


def test_the_header_prints_the_seed_and_the_seed_reproduces_ids(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        def test_ids(mockfiles):
            client = mockfiles.client()
            for _ in range(3):
                print("ID", client.files.create(file=b"x", purpose="batch").id)
        """
    )

    def run(*args: str) -> tuple[str, list[str]]:
        result = pytester.runpytest("-s", *args)
        result.assert_outcomes(passed=1)
        [seed] = re.findall(
            r"^mockfiles: seed (\d+) \(reproduce with --mockfiles-seed=\1\)$",
            result.stdout.str(),
            re.MULTILINE,
        )
        return seed, re.findall(r"ID (file-\w+)", result.stdout.str())

    seed, ids = run()
    assert len(ids) == 3
    assert run(f"--mockfiles-seed={seed}") == (seed, ids)
    other_seed, other_ids = run(f"--mockfiles-seed={int(seed) + 1}")
    assert other_ids != ids


def test_xdist_workers_each_serve_their_own_fake(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.parametrize("n", range(6))
        def test_upload(mockfiles, n):
            client = mockfiles.client()
            client.files.create(file=b"x" * n, purpose="batch")
            assert [f.bytes for f in client.files.list()] == [n]
        """
    )
    result = pytester.runpytest_subprocess("-p", "xdist", "-n", "2")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*mockfiles: seed *"])


@pytest.mark.parametrize(
    "workers",
    # loadfile keeps each file's tests on one worker, in order, so each file's later tests
    # check what its earlier ones did; the two files run on the two workers.
    [[], ["-p", "xdist", "-n", "2", "--dist", "loadfile"]],
    ids=["serial", "xdist"],
)
def test_the_marker_starts_the_clock_and_clocks_do_not_leak(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    source = """
        import pytest

        START = 1767225600  # 2026-01-01T00:00:00Z

        @pytest.mark.mockfiles(now="2026-01-01T00:00:00Z")
        def test_marked_clock_starts_there(mockfiles):
            assert START <= mockfiles.clock.now() < START + 60
            mockfiles.clock.advance(10 * 86400)

        @pytest.mark.parametrize("n", range(4))
        def test_other_tests_see_real_time(mockfiles, n):
            import time
            assert abs(mockfiles.clock.now() - time.time()) < 60
            created = mockfiles.client().files.create(file=b"x", purpose="vision")
            assert abs(created.created_at - time.time()) < 60

        def test_freezing_is_undone_after_the_test(mockfiles):
            mockfiles.freeze("2030-01-01T00:00:00Z")

        def test_and_time_runs_again_afterwards():
            import time
            assert time.time() < 1893456000  # before 2030
        """
    pytester.makepyfile(test_first=source, test_second=source)
    result = pytester.runpytest_subprocess("-p", "no:randomly", *workers)
    result.assert_outcomes(passed=14)


CHAOS_SUITE = """
import os

import pytest

RETRIES = int(os.environ["SUITE_RETRIES"])


@pytest.mark.parametrize("n", range(10))
def test_upload_list_delete(mockfiles, n):
    client = mockfiles.client(max_retries=RETRIES)
    created = client.files.create(file=b"x" * (n + 1), purpose="vision")
    assert [f.id for f in client.files.list()] == [created.id]
    assert client.files.delete(created.id).deleted


@pytest.mark.mockfiles(chaos=0)
def test_opted_out_of_chaos(mockfiles):
    mockfiles.client().files.list()
    assert all(call.fault is None for call in mockfiles.calls())
"""


def run_chaos_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, retries: int, *args: str
) -> pytest.RunResult:
    monkeypatch.setenv("SUITE_RETRIES", str(retries))
    return pytester.runpytest("-p", "no:randomly", "--mockfiles-chaos=0.3", *args)


def failed_tests(result: pytest.RunResult) -> list[str]:
    return sorted(re.findall(r"^FAILED \S+::(\S+)", result.stdout.str(), re.MULTILINE))


def test_chaos_passes_code_that_retries_and_fails_code_that_does_not_reproducibly(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_suite=CHAOS_SUITE)
    retrying = run_chaos_suite(pytester, monkeypatch, 2, "--mockfiles-seed=4242")
    retrying.assert_outcomes(passed=11)
    retrying.stdout.fnmatch_lines(["mockfiles: seed 4242 *, chaos 0.3"])

    naive = run_chaos_suite(pytester, monkeypatch, 0, "--mockfiles-seed=4242")
    failures = failed_tests(naive)
    assert failures, "with chaos at 0.3, some of 30 unretried requests must fail"
    assert "test_opted_out_of_chaos" not in failures
    # The failing test's report carries the fake's journal, with the fault that broke it.
    naive.stdout.fnmatch_lines(
        ["*- mockfiles: requests the fake answered -*", "*#*operation*request*status*fault*try*"]
    )
    assert re.search(
        r"files\.\w+ .* (429|500|502|503) +chaos:(rate_limit|server_error|bad_gateway|"
        r"service_unavailable) +1",
        naive.stdout.str(),
    )

    replay = run_chaos_suite(pytester, monkeypatch, 0, "--mockfiles-seed=4242")
    assert failed_tests(replay) == failures
    other = run_chaos_suite(pytester, monkeypatch, 0, "--mockfiles-seed=777")
    assert failed_tests(other) != failures

    # Unseeded, the run picks a seed and prints it; that seed replays the same failures.
    unseeded = run_chaos_suite(pytester, monkeypatch, 0)
    [printed] = re.findall(r"mockfiles: seed (\d+)", unseeded.stdout.str())
    again = run_chaos_suite(pytester, monkeypatch, 0, f"--mockfiles-seed={printed}")
    assert failed_tests(again) == failed_tests(unseeded)


def test_the_ini_file_may_set_the_seed_and_the_chaos(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmockfiles_seed = 1234\nmockfiles_chaos = 0.25\n")
    pytester.makepyfile("def test_nothing(mockfiles):\n    pass\n")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["mockfiles: seed 1234 (reproduce with --mockfiles-seed=1234), chaos 0.25"]
    )
