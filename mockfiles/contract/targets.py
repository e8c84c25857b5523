"""What the contract suite runs against: the fake in-process, a fake (or anything speaking the
API) over a socket, or the live API.

A target is a base URL, a key, a way to make an HTTP transport to it, and what it can do beyond
the API (``controls``: the fake's ``/_mockfiles`` plane, which moves its clock, injects faults
and changes limits). The live target has none, so checks that need them are skipped there.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mockfiles.client import IN_PROCESS_BASE_URL, sdk_httpx

if TYPE_CHECKING:
    from mockfiles.contract.session import Clients

#: The real API, unless told otherwise (``--live-url``): tests stand a local server in for it.
DEFAULT_LIVE_URL = "https://api.openai.com/v1"
#: The capabilities of the fake's control plane a check may need.
CONTROLS = frozenset({"clock", "faults", "limits"})

#: How long the contract's own fakes keep a batch validating, in seconds of their clock. The
#: real API takes about a second; a check that creates a batch and acts on it while it is
#: validating must not race a loaded machine's second, and a check that needs a later status
#: moves the fake's clock by the fake's own timing.
VALIDATING_SECONDS = 60
TARGET_NAMES = ("in-process", "socket", "live")


class TargetError(Exception):
    """A target cannot be opened (no key for live, a server that did not start...)."""


@dataclass
class Target:
    """One thing to run the contract against."""

    name: str
    base_url: str
    api_key: str
    #: The control-plane capabilities it has: a subset of ``CONTROLS``.
    controls: frozenset[str]
    live: bool = False
    #: Makes a fresh httpx transport to it (``httpx`` or ``httpx2``, as the SDK uses).
    transport: Callable[[], Any] = field(default=lambda: sdk_httpx().HTTPTransport(), repr=False)

    _clients: Clients | None = field(default=None, repr=False)

    def lacks(self, needs: frozenset[str]) -> frozenset[str]:
        return needs - self.controls

    def clients(self) -> Clients:
        """The run's clients, made on first use."""
        if self._clients is None:
            from mockfiles.contract.session import Clients

            self._clients = Clients(self)
        return self._clients

    def close(self) -> None:
        clients, self._clients = self._clients, None
        if clients is not None:
            clients.close()


@contextmanager
def in_process(**options: Any) -> Iterator[Target]:
    """A fresh fake answering in-process: no socket, no thread."""
    from mockfiles.facade import MockFiles
    from mockfiles.in_process import _in_process_transport_classes

    options.setdefault("batch_timing", {"validating": VALIDATING_SECONDS})
    mock = MockFiles(**options)
    transport_class = _in_process_transport_classes(sdk_httpx())[0]
    target = Target(
        "in-process",
        IN_PROCESS_BASE_URL,
        mock.api_key,
        CONTROLS,
        transport=lambda: transport_class(mock.app),
    )
    try:
        yield target
    finally:
        target.close()
        mock.close()


@contextmanager
def socket(url: str | None = None, serve_args: tuple[str, ...] = ()) -> Iterator[Target]:
    """A fake over a socket: the server at ``url``, or a fresh ``mockfiles serve`` subprocess
    (stopped afterwards). Whether it has the control plane is asked, not assumed: ``url`` may
    be a proxy, a recording or another implementation."""
    if url is not None:
        target = _over_a_socket("socket", url)
        try:
            yield target
        finally:
            target.close()
        return
    if not any(arg.startswith("--batch-validating-seconds") for arg in serve_args):
        serve_args = (*serve_args, f"--batch-validating-seconds={VALIDATING_SECONDS}")
    command = [sys.executable, "-m", "mockfiles", "serve", *serve_args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline().strip()
            if not first_line.startswith("http"):
                raise TargetError(f"mockfiles serve did not start (printed {first_line!r})")
            target = _over_a_socket("socket", first_line)
            try:
                yield target
            finally:
                target.close()
        finally:
            process.terminate()
            process.wait(10)


def live(url: str = DEFAULT_LIVE_URL, api_key: str | None = None) -> Target:
    """The live API. Only with a key (``OPENAI_API_KEY`` unless given): nothing is sent
    without one."""
    key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY", "")
    if not key:
        raise TargetError("the live target needs an API key: set OPENAI_API_KEY (nothing was sent)")
    return Target("live", url.rstrip("/"), key, frozenset(), live=True)


def _over_a_socket(name: str, url: str) -> Target:
    url = url.rstrip("/")
    key = os.environ.get("MOCKFILES_CONTRACT_KEY", "sk-mockfiles-contract")
    return Target(name, url, key, _probe_controls(url))


def _probe_controls(url: str) -> frozenset[str]:
    httpx = sdk_httpx()
    try:
        answer = httpx.get(url.removesuffix("/v1") + "/_mockfiles/clock", timeout=10)
    except (httpx.ConnectError, httpx.ConnectTimeout) as error:
        # Nothing listens there: every check would fail alike (and a diff would call each
        # difference an answer from the other target).
        raise TargetError(f"cannot reach {url}: {error}") from None
    except httpx.HTTPError:
        return frozenset()
    with contextlib.suppress(ValueError):  # not JSON: no control plane
        if answer.status_code == 200 and "now" in answer.json():
            return CONTROLS
    return frozenset()
