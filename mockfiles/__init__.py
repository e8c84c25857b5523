"""mockfiles: a faithful in-memory fake of OpenAI's Files API (with Uploads and Batches), for tests.

Use the ``mockfiles`` pytest fixture, ``mockfiles.serve()`` in any Python code, or the
``mockfiles serve`` command for clients in other languages.

Names are imported on first use, so importing a domain module (``mockfiles.store``) does not
pull in werkzeug or the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockfiles.clock import Clock
    from mockfiles.errors import APIError
    from mockfiles.facade import FakeBugError, MockFiles
    from mockfiles.model import Content, FileObject
    from mockfiles.server import MockServer, serve

__version__ = "0.1.0"

_EXPORTS = {
    "APIError": "mockfiles.errors",
    "Clock": "mockfiles.clock",
    "Content": "mockfiles.model",
    "FakeBugError": "mockfiles.facade",
    "FileObject": "mockfiles.model",
    "MockFiles": "mockfiles.facade",
    "MockServer": "mockfiles.server",
    "serve": "mockfiles.server",
}
__all__ = [
    "APIError",
    "Clock",
    "Content",
    "FakeBugError",
    "FileObject",
    "MockFiles",
    "MockServer",
    "serve",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mockfiles' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
