"""The live target's safety rules, without the network: a local fake stands in for the live
host (the target's URL is configurable for exactly this) and records what reached it."""

from __future__ import annotations

import json
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
LINE = {"custom_id": "a", "method": "POST", "url": "/v1/moderations", "body": {"input": "hi"}}
JSONL = (json.dumps(LINE) + "\n").encode()


def batch_body(file_id: str) -> dict[str, str]:
    return {"input_file_id": file_id, "endpoint": "/v1/moderations", "completion_window": "24h"}


README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture
def stand_in() -> Iterator[mockfiles.MockFiles]:
    """The live host's stand-in: only KEY is accepted, and it holds a file no run made. Its
    batches stay validating until its clock is moved, so a run's cancelled batches write no
    files after the run (a real one's may: they expire after 30 days)."""
    fake = mockfiles.MockFiles(keys={KEY: "proj_live"}, batch_timing={"validating": 3600})
    with mockfiles.serve(fake) as served:
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


def test_a_live_run_cancels_its_unfinished_batches_and_deletes_their_files(
    stand_in: mockfiles.MockFiles, key: str
) -> None:
    foreign_file = stand_in.add_file(purpose="batch", content=[LINE], project="proj_live")
    foreign = stand_in.batches.create("proj_live", "org", batch_body(foreign_file.id))
    made: list[str] = []

    def run_two_batches_then_fail(s: object) -> None:
        sdk = s.sdk  # type: ignore[attr-defined]
        file = sdk.files.create(file=("in.jsonl", JSONL), purpose="batch")
        made.append(sdk.batches.create(**batch_body(file.id)).id)
        stand_in.clock.advance(3600 + stand_in.batches.timing.total)  # it completes
        made.append(sdk.batches.create(**batch_body(file.id)).id)  # it stays validating
        raise AssertionError("the check failed")

    failing = Check(
        "batches.x", "batches", "x", KNOWN, "x", frozenset(), 1, 1, run_two_batches_then_fail
    )
    target = live(stand_in.url)
    [result] = run_checks([failing], target)
    target.close()
    assert result.outcome == "failed"
    completed, validating = made
    assert [c.batch_id for c in stand_in.calls("batches.cancel")] == [validating]
    done = stand_in.batches.batches("proj_live")
    assert {b.id: b.status for b in done} == {
        foreign.id: "completed",
        completed: "completed",
        validating: "cancelling",
    }
    output = next(b.output_file_id for b in done if b.id == completed)
    assert output in [c.file_id for c in stand_in.calls("files.delete")]
    assert [c.path for c in stand_in.calls() if foreign.id in c.path] == []
    # The foreign batch's input and output files stay; the run's own are gone.
    names = sorted(f.filename for f in stand_in.files())
    assert names == sorted(["foreign.jsonl", foreign_file.filename, f"{foreign.id}_output.jsonl"])


LIVE_TESTS = """
import openai
import pytest


def test_code_that_builds_its_own_client(mockfiles):
    with openai.OpenAI() as client:
        made = client.files.create(file=("mine.jsonl", b"{}\\n"), purpose="batch")
    assert mockfiles.content(made.id) == b"{}\\n"
    assert [f.filename for f in mockfiles.files()] == ["mine.jsonl"]
    assert (mockfiles.usage().bytes, mockfiles.usage().files) == (3, 1)


def test_a_batch_is_cancelled_after_the_test(mockfiles):
    client = mockfiles.client()
    line = b'{"custom_id": "a", "method": "POST", "url": "/v1/moderations", "body": {}}\\n'
    made = client.files.create(file=("in.jsonl", line), purpose="batch")
    client.batches.create(
        input_file_id=made.id, endpoint="/v1/moderations", completion_window="24h"
    )


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


@pytest.mark.mockfiles(batch_timing={"validating": 0})
def test_batch_timing(mockfiles):
    pass


def test_batch_responders(mockfiles):
    mockfiles.batches.respond({"fixed": "body"})


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
    result.assert_outcomes(passed=2, failed=1, skipped=10)
    for what in (
        "the clock",
        "fault injection",
        "limits",
        "add_key()",
        "add_file()",
        "reset()",
        "the batches' responders and timing",
    ):
        result.stdout.fnmatch_lines([f"*mockfiles live: {what} is a control of the fake*"])
    result.stdout.fnmatch_lines(["*the test configures the fake (now)*"])
    result.stdout.fnmatch_lines(["*the test configures the fake (batch_timing)*"])
    only_the_foreign_file_is_left(stand_in)
    [batch] = stand_in.batches.batches()
    assert batch.status in ("cancelling", "cancelled")
    assert [c.batch_id for c in stand_in.calls("batches.cancel")] == [batch.id]


def test_the_readme_examples_run_or_skip_against_the_live_stand_in(
    stand_in: mockfiles.MockFiles, key: str, pytester: pytest.Pytester
) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    pytester.makepyfile(test_readme_examples="\n\n".join(blocks))
    # Deselected: moving the process's own time with freezegun cannot move a real server's
    # clock, so that example fails against the live API by nature (and would pass here only
    # because this stand-in shares the test's process). So is the import-time client: it reads
    # the environment before any fixture runs, so under the live target it reaches the real
    # host named there, not this stand-in, and its files are not the test's to list.
    result = pytester.runpytest_inprocess(
        "--mockfiles-target=live",
        f"--mockfiles-live-url={stand_in.url}",
        "-p",
        "no:randomly",
        "-k",
        "not test_reuploads_after_expiry_with_freezegun and not test_import_time_client",
    )
    outcomes = result.parseoutcomes()
    assert (outcomes.get("failed", 0), outcomes.get("errors", 0)) == (0, 0), result.stdout.str()
    examples = "\n".join(blocks)
    assert outcomes.get("deselected") == sum(
        f"def {name}(" in examples
        for name in ("test_reuploads_after_expiry_with_freezegun", "test_import_time_client")
    )
    assert outcomes.get("passed", 0) >= 1
    defined = len(re.findall(r"^(?:async )?def test_", examples, re.MULTILINE))
    every = outcomes.get("passed", 0) + outcomes.get("skipped", 0) + outcomes["deselected"]
    assert every == defined  # each example ran or skipped
    only_the_foreign_file_is_left(stand_in)


SCOPED_TESTS = """
import openai


def test_code_whose_client_names_a_project(mockfiles):
    with openai.OpenAI() as client:  # OPENAI_PROJECT_ID: proj_second
        made = client.files.create(file=("mine.jsonl", b"{}\\n"), purpose="batch")
    assert mockfiles.content(made.id) == b"{}\\n"
    assert [f.filename for f in mockfiles.files()] == ["mine.jsonl"]


def test_a_client_given_another_project(mockfiles):
    client = mockfiles.client(project="proj_live")
    made = client.files.create(file=("in.jsonl", b"{}\\n"), purpose="batch")
    client.batches.create(
        input_file_id=made.id, endpoint="/v1/moderations", completion_window="24h"
    )
"""


def test_live_mode_reads_and_deletes_in_the_project_a_file_was_made_in(
    monkeypatch: pytest.MonkeyPatch, pytester: pytest.Pytester
) -> None:
    # A key of two projects, and the shell naming the second: reads and clean-up must act
    # where the file was made, not in the key's default project, or the file is left behind.
    projects = {"project": ["proj_live", "proj_second"]}
    fake = mockfiles.MockFiles(keys={KEY: projects}, batch_timing={"validating": 3600})
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_second")
    pytester.makepyfile(test_scoped=SCOPED_TESTS)
    with mockfiles.serve(fake) as stand_in:
        result = pytester.runpytest_inprocess(
            "--mockfiles-target=live", f"--mockfiles-live-url={stand_in.url}", "-p", "no:randomly"
        )
        result.assert_outcomes(passed=2)
        assert stand_in.files() == []
        [batch] = stand_in.batches.batches()
        assert batch.status in ("cancelling", "cancelled")
