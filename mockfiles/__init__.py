"""mockfiles: a faithful in-memory fake of OpenAI's Files API, for tests.

Use the ``mockfiles`` pytest fixture, ``mockfiles.serve()`` in any Python code, or the
``mockfiles serve`` command for clients in other languages.
"""

from mockfiles.clock import Clock
from mockfiles.errors import APIError
from mockfiles.facade import FakeBugError, MockFiles
from mockfiles.model import Content, FileObject
from mockfiles.server import MockServer, serve

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
__version__ = "0.1.0"
