"""The docs' examples are tests themselves: every Python block of the README and of docs/ runs
as a user would run it, with a developer's OpenAI variables exported; shell blocks parse and
name only options the CLI has."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from doc_examples import DOCS, FENCE, ROOT, blocks, python_examples

from mockfiles.cli import build_parser

#: What a developer's laptop exports: the examples must pass with it.
SHELL = {
    "OPENAI_API_KEY": "sk-proj-Aq3xR8vT2mN5pL7kJ9hG4fD6sA1zX0cV",
    "OPENAI_ORG_ID": "org-mine",
    "OPENAI_PROJECT_ID": "proj_from_my_shell",
}


def test_the_readme_opens_with_the_two_set_up_lines_then_the_install_line() -> None:
    found = FENCE.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    (first_lang, first), (second_lang, second) = found[0], found[1]
    assert first_lang == "sh"
    assert first.splitlines()[0].endswith("mockfiles serve")
    assert first.splitlines()[1].endswith(".venv/bin/pytest")
    assert len(first.splitlines()) == 2
    assert (second_lang, second) == ("sh", 'pip install "mockfiles[openai]"\n')


def test_the_python_examples_pass(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One pytest run (one subprocess) for every doc: each doc's blocks form one test module;
    the docs' ``ini`` blocks together form its ``pytest.ini``."""
    for name, value in SHELL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    examples = python_examples()
    assert "test_README_examples" in examples.modules
    pytester.makepyfile(**examples.modules)
    pytester.makefile(".ini", pytest=examples.ini)
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:randomly")
    result.assert_outcomes(passed=examples.tests)


def test_the_shell_examples_parse_and_use_only_real_options() -> None:
    known = {flag for action in _serve_actions() for flag in action}
    bash = shutil.which("bash")
    for path in DOCS:
        for block in blocks(path, "sh"):
            if bash is not None:
                subprocess.run([bash, "-n"], input=block, text=True, check=True)
            if "mockfiles serve" in block:
                used = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", block))
                assert used <= known, f"{path.name}: unknown options {used - known}"


def _serve_actions() -> list[list[str]]:
    parser = build_parser()
    [subparsers] = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    serve = subparsers.choices["serve"]  # type: ignore[attr-defined]
    return [list(action.option_strings) for action in serve._actions]
