"""The README's Python examples are tests themselves: they run as a user would run them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_the_readme_examples_pass(pytester: pytest.Pytester) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.DOTALL)
    assert blocks, "the README has no Python examples"
    pytester.makepyfile(test_readme_examples="\n\n".join(blocks))
    result = pytester.runpytest_subprocess("-W", "error", "-p", "no:randomly")
    tests = sum(len(re.findall(r"^def test_", block, re.MULTILINE)) for block in blocks)
    assert tests >= 5, "the README's examples should be tests"
    result.assert_outcomes(passed=tests)
