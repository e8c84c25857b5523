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


def test_the_http_layer_never_imports_the_facade() -> None:
    """The app is handed the domain's state (``mockfiles.state``, itself free of HTTP):
    ``mockfiles/http`` imports nothing from ``facade.py``, not at run time and not for types
    either."""
    import ast
    from pathlib import Path

    import mockfiles.http

    package = Path(next(iter(mockfiles.http.__path__)))
    modules = sorted(path.stem for path in package.glob("*.py") if path.stem != "__init__")
    assert {"app", "control", "render", "views"} <= set(modules)
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            assert not [name for name in names if "facade" in name], f"{path.name} imports it"
    # One interpreter for both probes: the state alone pulls in no HTTP, and the whole HTTP
    # layer pulls in no facade.
    imports = "; ".join(f"import mockfiles.http.{name}" for name in modules)
    probe = (
        "import sys; import mockfiles.state; "
        "print(sorted(m for m in ('werkzeug', 'pytest', 'mockfiles.facade', 'mockfiles.http') "
        f"if m in sys.modules)); {imports}; print('mockfiles.facade' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["[]", "False"]
