"""Helpers shared by the tests that drive ``mockfiles serve`` from outside, as a client in any
language would."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple


@contextmanager
def serve_cli(*args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``mockfiles serve`` in a subprocess, with the base URL it printed first."""
    with subprocess.Popen(
        [sys.executable, "-m", "mockfiles", "serve", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        assert process.stdout is not None
        try:
            yield process, process.stdout.readline().strip()
        finally:
            if process.poll() is None:
                process.terminate()
                process.wait(10)


class Answer(NamedTuple):
    status: int
    body: Any


def control(
    url: str, method: str, name: str, body: object = None, *, token: str | None = None
) -> Answer:
    """Call the control plane's ``/_mockfiles/<name>`` of the server at ``url`` (its base URL,
    with or without ``/v1``), as its owner does: POSTs declared JSON (with a body or not), the
    control token when given."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        f"{url.removesuffix('/v1')}/_mockfiles/{name}", data=data, method=method
    )
    if data is not None or method == "POST":
        request.add_header("Content-Type", "application/json")
    if token is not None:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Answer(response.status, json.loads(response.read()))
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, json.loads(error.read()))
