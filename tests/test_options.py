"""Every bad option gives one clear line: the option, the value and what is allowed."""

from __future__ import annotations

import pytest

from mockfiles.options import MARKER_OPTIONS, OPTIONS

BAD_INI = {
    "mockfiles_seed": "abc",
    "mockfiles_chaos": "lots",
    "mockfiles_block_real_api": "maybe",
    "mockfiles_real_api_hosts": "https://api.openai.com/v1",
    "mockfiles_session_environment": "sometimes",
    "mockfiles_strict_faults": "maybe",
}
BAD_FLAGS = {
    "--mockfiles-seed": "x",
    "--mockfiles-chaos": "2",
    "--mockfiles-target": "staging",
    "--mockfiles-url": "localhost:8000",
    "--mockfiles-live-url": "api.openai.com/v1",
}


def test_every_ini_and_command_line_option_has_a_bad_value_here() -> None:
    assert set(BAD_INI) == {o.ini_name for o in OPTIONS if o.ini}
    assert set(BAD_FLAGS) == {o.flag for o in OPTIONS if o.cli}


@pytest.mark.parametrize(("name", "value"), sorted(BAD_INI.items()))
def test_a_bad_ini_value_is_one_usage_error(
    pytester: pytest.Pytester, name: str, value: str
) -> None:
    pytester.makeini(f"[pytest]\n{name} = {value}\n")
    pytester.makepyfile("def test_a(mockfiles):\n    pass\n\ndef test_b():\n    pass\n")
    result = pytester.runpytest("-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert errors == [
        f"ERROR: the ini option {name}: {value!r} is not allowed for "
        + errors[0].split(" is not allowed for ", 1)[1]
    ]
    assert "allowed: " in errors[0]
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize(("flag", "value"), sorted(BAD_FLAGS.items()))
def test_a_bad_command_line_value_is_one_usage_error(
    pytester: pytest.Pytester, flag: str, value: str
) -> None:
    pytester.makepyfile("def test_a(mockfiles):\n    pass\n\ndef test_b(mockfiles):\n    pass\n")
    result = pytester.runpytest(f"{flag}={value}", "-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    errors = [line for line in result.stderr.lines if line.startswith("ERROR")]
    assert len(errors) == 1
    assert errors[0].startswith(f"ERROR: the command-line option {flag}: {value!r} is not allowed")


BAD_MARKERS = {
    "seed": "'x'",
    "chaos": "2",
    "block_real_api": "'maybe'",
    "organization": "'org\\tx'",
    "project": "3",
    "api_key": "''",
    "now": "'yesterday'",
    "limits": "{'file_bytes': 0}",
    "keys": "{'sk-a': 5}",
    "faults": "['files.create:explode']",
    "strict_faults": "'maybe'",
    "journal_size": "0",
    "control_token": "''",
    "batch_timing": "{'queued': 1}",
    "batch_responder": "'sometimes'",
}


def test_a_bad_marker_value_fails_that_test_alone_in_one_line(pytester: pytest.Pytester) -> None:
    assert set(BAD_MARKERS) == set(MARKER_OPTIONS)
    tests = [
        f"@pytest.mark.mockfiles({name}={value})\ndef test_{name}(mockfiles):\n    pass\n"
        for name, value in BAD_MARKERS.items()
    ]
    tests.append("@pytest.mark.mockfiles(sead=1)\ndef test_unknown():\n    pass\n")
    tests.append("@pytest.mark.mockfiles(1)\ndef test_positional():\n    pass\n")
    tests.append("def test_unmarked(mockfiles):\n    pass\n")
    pytester.makepyfile("import pytest\n\n" + "\n\n".join(tests))
    result = pytester.runpytest("-p", "no:randomly", "-rE")
    result.assert_outcomes(passed=1, errors=len(BAD_MARKERS) + 2)
    for name, value in BAD_MARKERS.items():
        result.stdout.fnmatch_lines(
            [
                f"*ERROR at setup of test_{name}*",
                f"@pytest.mark.mockfiles({name}=...): {value.replace('[', '[[]')} is not "
                f"allowed for {name}; allowed: *",
            ]
        )
    result.stdout.fnmatch_lines(
        [
            "*ERROR at setup of test_unknown*",
            "@pytest.mark.mockfiles: unknown option 'sead'; allowed: seed, chaos, *",
            "*ERROR at setup of test_positional*",
            "@pytest.mark.mockfiles takes keyword arguments only, got (1,); allowed: seed, *",
        ]
    )
    assert "Traceback" not in result.stdout.str()


def test_pytest_markers_documents_every_marker_option(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    [line] = [line for line in result.stdout.lines if line.startswith("@pytest.mark.mockfiles(")]
    for name in MARKER_OPTIONS:
        assert f"{name}=<" in line


def test_a_marker_pulls_the_fixture_in(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import os
        import openai
        import pytest

        @pytest.mark.mockfiles(project="proj_marked")
        def test_marked_without_the_fixture(request):
            client = openai.OpenAI()  # reaches the fake the marker asked for
            client.files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            mock = request.getfixturevalue("mockfiles")
            assert mock.usage("proj_marked").files == 1
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
