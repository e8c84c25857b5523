"""The layers keep their direction: the domain knows nothing of HTTP or pytest."""

from __future__ import annotations

import subprocess
import sys

DOMAIN_MODULES = ["clock", "errors", "ids", "model", "store"]


def test_the_domain_imports_neither_werkzeug_nor_pytest() -> None:
    imports = "; ".join(f"import mockfiles.{name}" for name in DOMAIN_MODULES)
    probe = (
        f"import sys; {imports}; "
        "print(sorted(m for m in ('werkzeug', 'pytest', 'openai') if m in sys.modules))"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert output.strip() == "[]"


def test_the_package_exports_resolve() -> None:
    import mockfiles

    for name in mockfiles.__all__:
        assert getattr(mockfiles, name).__name__ == name
