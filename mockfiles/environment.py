"""The environment variables the official OpenAI SDKs read, and a test's control over them.

The list comes from the SDKs' sources (``openai/lib/_client_auth.py``, ``openai/lib/azure.py``,
``openai/__init__.py``): whatever a developer's shell exports there would otherwise change what
a test's client sends (an ``OpenAI-Organization`` or ``OpenAI-Project`` header the fake's keys
refuse, custom headers, an Azure endpoint). ``OPENAI_LOG`` only turns on the SDK's logging and
is left alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

BASE_URL = "OPENAI_BASE_URL"
API_KEY = "OPENAI_API_KEY"

#: Every variable the SDKs read to build a client. While a test uses the fake, the first two
#: point at it and the others are removed.
OPENAI_VARIABLES = (
    BASE_URL,
    API_KEY,
    "OPENAI_ADMIN_KEY",
    "OPENAI_ORG_ID",
    "OPENAI_PROJECT_ID",
    "OPENAI_WEBHOOK_SECRET",
    "OPENAI_CUSTOM_HEADERS",
    "OPENAI_API_TYPE",
    "OPENAI_API_VERSION",
    "AZURE_OPENAI_API_KEY",
    "AZURE_OPENAI_ENDPOINT",
    "AZURE_OPENAI_AD_TOKEN",
)

Snapshot = Mapping[str, "str | None"]


def snapshot() -> dict[str, str | None]:
    """The OpenAI variables as they are now (``None`` for an unset one)."""
    return {name: os.environ.get(name) for name in OPENAI_VARIABLES}


def restore(saved: Snapshot) -> None:
    """Put the OpenAI variables back exactly as ``saved`` had them."""
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        elif os.environ.get(name) != value:
            os.environ[name] = value


def point_at(base_url: str, api_key: str) -> None:
    """Make a bare ``openai.OpenAI()`` talk to the fake at ``base_url`` with ``api_key``, and
    nothing else of the shell's OpenAI settings reach it."""
    for name in OPENAI_VARIABLES:
        os.environ.pop(name, None)
    os.environ[BASE_URL] = base_url
    os.environ[API_KEY] = api_key
