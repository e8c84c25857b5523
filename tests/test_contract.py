"""The shipped contract suite passes against the fake, in-process and over a socket, through
``mockfiles verify`` and ``pytest --pyargs``; the fidelity diff finds exactly what differs."""

from __future__ import annotations

import json
import socket as socket_module
from pathlib import Path
from typing import Any

import pytest

import mockfiles
from mockfiles.cli import main
from mockfiles.contract import all_checks, run_checks
from mockfiles.contract.registry import CHOSEN, KNOWN
from mockfiles.contract.targets import VALIDATING_SECONDS, in_process, socket


def verify(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(["verify", *args])
    return code, capsys.readouterr().out


def test_every_check_names_its_fact_and_source() -> None:
    checks = all_checks()
    assert {c.group for c in checks} == {"files", "uploads", "batches"}
    for check in checks:
        assert check.fact, check.name
        assert check.note, check.name
        assert check.source in (KNOWN, CHOSEN), check.name
    operations = " ".join(c.name + c.fact for c in checks)
    for word in ("create", "list", "retrieve", "delete", "content", "parts", "complete", "cancel"):
        assert word in operations


def test_the_contract_passes_in_process() -> None:
    with in_process() as target:
        results = run_checks(all_checks(), target)
    assert [(r.check.name, r.outcome, r.reason) for r in results if r.outcome != "passed"] == []


def test_the_shells_organization_and_project_do_not_split_the_checks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The SDK would send these as OpenAI-Project / OpenAI-Organization while the raw client
    # sends none: files made through one would be missing for the other.
    monkeypatch.setenv("OPENAI_ORG_ID", "org-from-the-shell")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_from_the_shell")
    checks = [c for c in all_checks() if c.name.endswith(("is_gone", "pages_by_cursor"))]
    assert len(checks) == 2
    with in_process() as target:
        results = run_checks(checks, target)
    assert [(r.check.name, r.outcome, r.reason) for r in results if r.outcome != "passed"] == []


def test_a_target_nobody_listens_at_is_refused_before_any_check(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Otherwise every check fails alike, and a diff calls each connection error an answer.
    with socket_module.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/v1"
        for args in (("--target", "socket", "--url", url), ("--compare", url)):
            assert main(["verify", *args]) == 2
            captured = capsys.readouterr()
            assert captured.out == ""
            assert captured.err.startswith(f"mockfiles verify: cannot reach {url}: ")


def test_an_unreadable_saved_diff_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "bad.json").write_text("{", encoding="utf-8")
    for name in ("missing.json", "bad.json"):
        assert main(["verify", "--report", str(tmp_path / name)]) == 2
        err = capsys.readouterr().err
        assert err.startswith("mockfiles verify: cannot read the saved diff: ")
        assert len(err.splitlines()) == 1


def test_verify_over_a_socket_starts_a_fresh_server_and_passes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # The whole suite runs over a socket in the diff tests; here, the server's start-up.
    code, out = verify(
        capsys, "--target", "socket", "--check", "files.create", "--check", "uploads.c"
    )
    assert code == 0, out
    assert "against http://127.0.0.1:" in out.splitlines()[0]
    assert out.splitlines()[-1].startswith("4 passed, 0 failed, 0 skipped")


TERMS = ("uploads", "missing_key", "expires")


def test_pytest_runs_the_shipped_suite_by_package_name(pytester: pytest.Pytester) -> None:
    with mockfiles.serve() as served:
        result = pytester.runpytest_inprocess(
            "--pyargs",
            "mockfiles.contract",
            "--mockfiles-target=socket",
            f"--mockfiles-url={served.url}",
            "-p",
            "no:randomly",
            "-k",
            " or ".join(TERMS),
        )
        assert served.calls(), "the checks did not reach the server they were given"
    checks = [c for c in all_checks() if any(term in c.name for term in TERMS)]
    result.assert_outcomes(passed=len(checks), deselected=len(all_checks()) - len(checks))


def test_a_failing_check_says_which_fact_broke() -> None:
    # A fake whose downloads fail: the check that reads content must fail, naming its fact.
    broken = mockfiles.MockFiles(batch_timing=SLOW, faults=["files.content:server_error"])
    checks = [c for c in all_checks() if c.name.endswith("give_back_the_file")]
    with mockfiles.serve(broken) as served, socket(served.url) as target:
        [result] = run_checks(checks, target)
    assert result.outcome == "failed"
    assert "InternalServerError" in result.reason


#: The contract's own fakes validate a batch this long (see ``targets.VALIDATING_SECONDS``):
#: a fake to compare them with must too.
SLOW = {"validating": VALIDATING_SECONDS}


def diff_against(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, fake: mockfiles.MockFiles, *args: str
) -> tuple[int, str, dict[str, Any]]:
    saved = tmp_path / "diff.json"
    with mockfiles.serve(fake) as served:
        code, out = verify(capsys, "--compare", served.url, "--json", str(saved), *args)
    return code, out, json.loads(saved.read_text(encoding="utf-8"))


def test_the_diff_of_the_fake_against_itself_is_empty(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, saved = diff_against(capsys, tmp_path, mockfiles.MockFiles(batch_timing=SLOW))
    assert (code, saved["differences"]) == (0, []), out
    assert len(saved["checks"]) == len(all_checks())
    # Both sides passed every check: the whole contract holds over a socket too.
    outcomes = {(c["fake"]["outcome"], c["other"]["outcome"]) for c in saved["checks"]}
    assert outcomes == {("passed", "passed")}
    assert "0 failures, 0 resolving an unknown" in out


def test_the_diff_lists_exactly_an_injected_difference_as_a_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # The first download answers 500: the third exchange of the check that reads content.
    other = mockfiles.MockFiles(batch_timing=SLOW, faults=["files.content:server_error:times=1"])
    code, out, saved = diff_against(capsys, tmp_path, other)
    assert code == 1, out
    where = {(d["check"], d["exchange"], d["request"]) for d in saved["differences"]}
    assert where == {
        ("files.retrieve_and_content_give_back_the_file", 3, "GET /files/{file1}/content")
    }
    found = {d["where"]: (d["fake"], d["other"], d["kind"]) for d in saved["differences"]}
    assert found["status"] == (200, 500, "failure")
    assert found["header content-type"][:2] == ("application/octet-stream", "application/json")
    assert "DIFF files.retrieve_and_content_give_back_the_file (known)" in out


def test_a_difference_in_a_chosen_behaviour_resolves_an_unknown(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # As if the real API refused an unknown cursor instead of answering an empty page.
    refusal = {
        "operations": "files.list",
        "action": "error",
        "status": 400,
        "message": "Invalid cursor.",
        "times": 1,
    }
    check = "files.an_unknown_cursor_answers_an_empty_page"
    code, out, saved = diff_against(
        capsys, tmp_path, mockfiles.MockFiles(batch_timing=SLOW, faults=[refusal]), "--check", check
    )
    assert code == 0, out  # an unknown settled is no failure
    assert {(d["check"], d["exchange"], d["kind"]) for d in saved["differences"]} == {
        (check, 1, "resolves an unknown")
    }
    found = {d["where"]: (d["fake"], d["other"]) for d in saved["differences"]}
    assert found["status"] == (200, 400)
    assert found["body keys"] == (["data", "first_id", "has_more", "last_id", "object"], ["error"])
    report = tmp_path / "diff.json"
    code, markdown = verify(capsys, "--report", str(report))
    assert code == 0
    assert f"| `{check}` |" in markdown
    assert "**resolves an unknown**" in markdown
    assert "| 1 | `GET /files?after={file1}` | status | `200` | `400` |" in markdown
