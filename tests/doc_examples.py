"""The docs' code blocks, read the way the tests that run them need them: every Python block
of the README and of docs/, one test module per doc, and the docs' ``ini`` blocks together as
one ``pytest.ini``."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.DOTALL | re.MULTILINE)
TEST = re.compile(r"^(?:async )?def test_", re.MULTILINE)


def blocks(path: Path, language: str) -> list[str]:
    return [
        body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == language
    ]


@dataclass
class Examples:
    #: Test module name → its source (the doc's Python blocks, in order).
    modules: dict[str, str]
    #: The ``pytest.ini`` the docs' ``ini`` blocks make together.
    ini: str
    #: How many tests the modules define.
    tests: int


def python_examples(
    change: Callable[[str], str] | None = None, *, changed_only: bool = False
) -> Examples:
    """Every doc's Python blocks, each passed through ``change`` when given; with
    ``changed_only``, only the blocks it changed."""
    modules: dict[str, str] = {}
    ini = ["[pytest]"]
    tests = 0
    for path in DOCS:
        ini += [
            line
            for block in blocks(path, "ini")
            for line in block.splitlines()
            if line.strip() != "[pytest]" and line not in ini
        ]
        python = []
        for block in blocks(path, "python"):
            after = change(block) if change else block
            if not changed_only or after != block:
                python.append(after)
        if python:
            count = sum(len(TEST.findall(block)) for block in python)
            assert count, f"{path.name}'s Python examples should be tests"
            tests += count
            modules[f"test_{path.stem.replace('-', '_')}_examples"] = "\n\n".join(python)
    return Examples(modules, "\n".join(ini), tests)
