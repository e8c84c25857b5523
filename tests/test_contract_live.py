"""The live target's safety rules, without the network: a local fake stands in for the live
host (the target's URL is configurable for exactly this) and records what reached it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import mockfiles
from mockfiles.cli import main
from mockfiles.contract import all_checks, run_checks
from mockfiles.contract.registry import KNOWN, Check
from mockfiles.contract.targets import live

KEY = "sk-live-stand-in"
README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def stand_in() -> Iterator[mockfiles.MockFiles]:
    """The live host's stand-in: only KEY is accepted, and it holds a file no run made."""
    with mockfiles.serve(mockfiles.MockFiles(keys={KEY: "proj_live"})) as served:
        with served.client() as client:
            client.files.create(file=("foreign.jsonl", b"{}\n"), purpose="batch")
        served.journal.clear()
        yield served
        served.close()


@pytest.fixture
def key(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return KEY


def only_the_foreign_file_is_left(stand_in: mockfiles.MockFiles) -> None:
    assert [f.filename for f in stand_in.files()] == ["foreign.jsonl"]
    assert stand_in.uploads.pending() == []
    foreign = stand_in.files()[0].id
    assert [c.path for c in stand_in.calls() if foreign in c.path] == []


def test_nothing_is_sent_without_a_key(
    stand_in: mockfiles.MockFiles,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    pytester: pytest.Pytester,
) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["verify", "--target", "live", "--live-url", stand_in.url]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    result = pytester.runpytest_inprocess(
        "--pyargs",
        "mockfiles.contract",
        "--mockfiles-target=live",
        f"--mockfiles-live-url={stand_in.url}",
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert stand_in.calls() == []


def test_nothing_is_sent_to_the_live_host_without_the_explicit_target(
    stand_in: mockfiles.MockFiles, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--live-url", stand_in.url, "--group", "uploads"]) == 0
    assert "against http://mockfiles.in-process/v1" in capsys.readouterr().out
    assert stand_in.calls() == []


def test_plan_says_what_a_live_run_would_do_and_sends_nothing(
    stand_in: mockfiles.MockFiles, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--target", "live", "--live-url", stand_in.url, "--plan"]) == 0
    out = capsys.readouterr().out
    assert "tiny files" in out
    assert "no tokens" in out
    assert stand_in.calls() == []


def test_a_live_run_says_what_it_will_do_and_deletes_only_what_it_created(
    stand_in: mockfiles.MockFiles, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--target", "live", "--live-url", stand_in.url]) == 0
    lines = capsys.readouterr().out.splitlines()
    fake_only = [c for c in all_checks() if c.needs]
    runnable = len(all_checks()) - len(fake_only)
    assert lines[0].startswith(f"mockfiles verify: {runnable} of {len(all_checks())} checks")
    assert "no tokens" in lines[2]
    skipped = [line for line in lines if line.startswith("SKIP")]
    assert len(skipped) == len(fake_only) == 7
    assert all(
        re.search(r"live: needs (the fake's clock|fault|changed limits)", s) for s in skipped
    )
    assert {c.operation for c in stand_in.calls()} >= {"files.create", "files.delete"}
    only_the_foreign_file_is_left(stand_in)


def test_a_failing_check_still_deletes_what_it_created(
    stand_in: mockfiles.MockFiles, key: str, capsys: pytest.CaptureFixture[str]
) -> None:
    stand_in.faults.add("files.retrieve", "server_error")
    assert main(["verify", "--target", "live", "--live-url", stand_in.url]) == 1
    assert "FAIL files.retrieve_and_content_give_back_the_file" in capsys.readouterr().out
    only_the_foreign_file_is_left(stand_in)


def test_ctrl_c_in_a_check_still_deletes_what_it_created(
    stand_in: mockfiles.MockFiles, key: str
) -> None:
    def create_then_interrupt(s: object) -> None:
        s.sdk.files.create(file=("mine.jsonl", b"{}\n"), purpose="batch")  # type: ignore[attr-defined]
        s.sdk.uploads.create(  # type: ignore[attr-defined]
            bytes=1, filename="u.jsonl", mime_type="text/jsonl", purpose="batch"
        )
        raise KeyboardInterrupt

    interrupted = Check(
        "files.x", "files", "x", KNOWN, "x", frozenset(), 1, 3, create_then_interrupt
    )
    target = live(stand_in.url)
    with pytest.raises(KeyboardInterrupt):
        run_checks([interrupted], target)
    target.close()
    assert len(stand_in.calls("files.delete")) == 1
    assert len(stand_in.calls("uploads.cancel")) == 1
    only_the_foreign_file_is_left(stand_in)


LIVE_TESTS = """
import openai
import pytest


def test_code_that_builds_its_own_client(mockfiles):
    with openai.OpenAI() as client:
        made = client.files.create(file=("mine.jsonl", b"{}\\n"), purpose="batch")
    assert mockfiles.content(made.id) == b"{}\\n"
    assert [f.filename for f in mockfiles.files()] == ["mine.jsonl"]
    assert (mockfiles.usage().bytes, mockfiles.usage().files) == (3, 1)


def test_a_failing_test_leaves_nothing(mockfiles):
    mockfiles.client().files.create(file=("mine.jsonl", b"{}\\n"), purpose="batch")
    assert False


def test_clock(mockfiles):
    mockfiles.clock.advance(1)


def test_faults(mockfiles):
    mockfiles.faults.add("files.create", "reset")


def test_limits(mockfiles):
    mockfiles.limits = {"file_bytes": 1}


def test_keys(mockfiles):
    mockfiles.add_key("sk-other")


def test_add_file(mockfiles):
    mockfiles.add_file(purpose="batch", size=1)


def test_reset(mockfiles):
    mockfiles.reset()


def test_journal(mockfiles):
    mockfiles.assert_called("files.create")


@pytest.mark.mockfiles(now="2026-01-01")
def test_configured_fake(mockfiles):
    pass
"""


def test_the_fixture_in_live_mode_skips_fake_only_controls_and_cleans_up(
    stand_in: mockfiles.MockFiles, key: str, pytester: pytest.Pytester
) -> None:
    pytester.makepyfile(test_live=LIVE_TESTS)
    result = pytester.runpytest_inprocess(
        "--mockfiles-target=live",
        f"--mockfiles-live-url={stand_in.url}",
        "-rs",
        "-p",
        "no:randomly",
    )
    result.assert_outcomes(passed=1, failed=1, skipped=8)
    for what in ("the clock", "fault injection", "limits", "add_key()", "add_file()", "reset()"):
        result.stdout.fnmatch_lines([f"*mockfiles live: {what} is a control of the fake*"])
    result.stdout.fnmatch_lines(["*the test configures the fake (now)*"])
    only_the_foreign_file_is_left(stand_in)


def test_the_readme_examples_run_or_skip_against_the_live_stand_in(
    stand_in: mockfiles.MockFiles, key: str, pytester: pytest.Pytester
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    pytester.makepyfile(test_readme_examples="\n\n".join(blocks))
    # Deselected: moving the process's own time with freezegun cannot move a real server's
    # clock, so that example fails against the live API by nature (and would pass here only
    # because this stand-in shares the test's process).
    result = pytester.runpytest_inprocess(
        "--mockfiles-target=live",
        f"--mockfiles-live-url={stand_in.url}",
        "-p",
        "no:randomly",
        "-k",
        "not test_reuploads_after_expiry_with_freezegun",
    )
    outcomes = result.parseoutcomes()
    assert (outcomes.get("failed", 0), outcomes.get("errors", 0)) == (0, 0), result.stdout.str()
    assert outcomes.get("deselected") == 1
    assert outcomes.get("passed", 0) >= 1
    assert outcomes.get("skipped", 0) >= 6
    only_the_foreign_file_is_left(stand_in)
