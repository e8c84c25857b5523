"""The network guard: no request from a test reaches the real OpenAI API.

The check sits where every client of the official SDKs ends up before a connection is opened:
the connection pools of ``httpcore`` (under ``httpx``, openai 1.x/2.x) and ``httpcore2`` (under
``httpx2``, openai 3.x). A guarded host fails the request before the pool looks for a
connection, so nothing is resolved or dialled.

Nothing here imports an HTTP library. The pools are patched when their module is already
imported at ``install()``, or else the moment it is imported (a ``sys.meta_path`` finder), so a
test run that never touches HTTP pays nothing. respx, when imported, is taught to let requests
to a served fake pass through, whichever router is active.

The error is a ``BaseException``: the SDK retries and wraps every ``Exception`` a transport
raises ("Connection error."), which would hide the reason behind seconds of back-off.
"""

from __future__ import annotations

import fnmatch
import functools
import importlib.abc
import importlib.machinery
import inspect
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

#: The hosts of the real API: OpenAI's, and Azure OpenAI's resources.
DEFAULT_HOSTS = ("api.openai.com", "*.openai.azure.com")

#: Modules patched when they are imported, and how.
_POOL_MODULES = ("httpcore", "httpcore2")
_RESPX_MODULE = "respx"

_DEFAULT_PORTS = {"http": 80, "https": 443}


class RealAPIRequestBlocked(BaseException):  # noqa: N818  (the name says what happened)
    """A test sent a request to a real OpenAI host. Not an ``Exception``, so no client's
    retry loop can swallow it: the test fails at once."""


class GuardState:
    """Which test runs, which hosts are refused, and the fakes' own addresses."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.test: str | None = None
        self.hosts: tuple[str, ...] = DEFAULT_HOSTS
        #: ``host:port`` of every fake served in this process: respx lets them pass.
        self.fakes: set[str] = set()
        #: What was refused during the current test (also from threads the test started).
        self.blocked: list[str] = []

    def begin(self, test: str, hosts: Sequence[str]) -> None:
        with self._lock:
            self.test, self.hosts, self.blocked = test, tuple(hosts), []

    def end(self) -> list[str]:
        with self._lock:
            blocked, self.test, self.blocked = self.blocked, None, []
            return blocked

    def check(self, method: str, scheme: str, host: str, port: int | None, path: str = "") -> None:
        """Raise ``RealAPIRequestBlocked`` for a guarded host while a test runs. The message
        names the path (never the query) so the test's author sees which call it was."""
        test = self.test
        if test is None or not matches(host, port, scheme, self.hosts):
            return
        request = f"{method} {scheme}://{host}{'' if port is None else f':{port}'}{path}"
        with self._lock:
            self.blocked.append(request)
        raise RealAPIRequestBlocked(blocked_message(test, request))


def blocked_message(test: str, request: str) -> str:
    return (
        f"mockfiles blocked a request to the real OpenAI API from {test}: {request}. "
        "Use the `mockfiles` fixture (or @pytest.mark.mockfiles) so the SDK talks to the fake, "
        "or allow real requests with `mockfiles_block_real_api = false` in the ini file or "
        "@pytest.mark.mockfiles(block_real_api=False) on the test."
    )


def matches(host: str, port: int | None, scheme: str, patterns: Iterable[str]) -> bool:
    """Whether ``host`` (and port) is one of ``patterns``: host names, ``*.`` wildcards,
    optionally with ``:port`` (without one, any port matches)."""
    host = host.lower().rstrip(".")
    port = port if port is not None else _DEFAULT_PORTS.get(scheme)
    for pattern in patterns:
        name, _, wanted_port = pattern.lower().partition(":")
        if fnmatch.fnmatchcase(host, name) and (not wanted_port or wanted_port == str(port)):
            return True
    return False


#: The process's one guard: the patched pools consult it.
GUARD = GuardState()


# -- patching the connection pools -----------------------------------------------------------


def _text(value: bytes | str) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


def _check_request(request: Any) -> None:
    url = request.url
    path = _text(url.target).partition("?")[0]
    GUARD.check(_text(request.method), _text(url.scheme), _text(url.host), url.port, path)


def _patch_pools(module: ModuleType) -> None:
    for name, method in (
        ("ConnectionPool", "handle_request"),
        ("AsyncConnectionPool", "handle_async_request"),
    ):
        cls = getattr(module, name, None)
        original = getattr(cls, method, None)
        if original is None or getattr(original, "_mockfiles_guard", False):
            continue
        setattr(cls, method, _guarded(original))


def _guarded(original: Callable[..., Any]) -> Callable[..., Any]:
    if inspect.iscoroutinefunction(original):

        @functools.wraps(original)
        async def guarded_async(self: Any, request: Any) -> Any:
            _check_request(request)
            return await original(self, request)

        guarded_async._mockfiles_guard = True  # type: ignore[attr-defined]
        return guarded_async

    @functools.wraps(original)
    def guarded(self: Any, request: Any) -> Any:
        _check_request(request)
        return original(self, request)

    guarded._mockfiles_guard = True  # type: ignore[attr-defined]
    return guarded


# -- respx: the fakes' own requests pass through -----------------------------------------------


def _patch_respx(module: ModuleType) -> None:
    """Wrap respx's dispatch so a request to a served fake passes through whatever routers
    are active (respx would otherwise answer it with ``AllMockedAssertionError``)."""
    mocks = sys.modules.get(f"{module.__name__}.mocks")
    models = sys.modules.get(f"{module.__name__}.models")
    mocker = getattr(mocks, "Mocker", None)
    pass_through = getattr(models, "PassThrough", None)
    if mocker is None or pass_through is None or getattr(mocker, "_mockfiles_guard", False):
        return
    handler, async_handler = mocker.handler.__func__, mocker.async_handler.__func__

    def to_a_fake(request: Any) -> bool:
        url = request.url
        port = url.port or _DEFAULT_PORTS.get(url.scheme)
        return f"{url.host}:{port}" in GUARD.fakes

    def handle(cls: Any, request: Any) -> Any:
        if to_a_fake(request):
            raise pass_through("mockfiles: a request to the fake", request=request, origin=None)
        return handler(cls, request)

    async def async_handle(cls: Any, request: Any) -> Any:
        if to_a_fake(request):
            raise pass_through("mockfiles: a request to the fake", request=request, origin=None)
        return await async_handler(cls, request)

    mocker.handler = classmethod(handle)
    mocker.async_handler = classmethod(async_handle)
    mocker._mockfiles_guard = True


_PATCHES: dict[str, Callable[[ModuleType], None]] = {
    **dict.fromkeys(_POOL_MODULES, _patch_pools),
    _RESPX_MODULE: _patch_respx,
}


class _PatchOnImport(importlib.abc.MetaPathFinder):
    """Patches a watched module right after it is first imported."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        patch = _PATCHES.get(fullname)
        if patch is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return None
        loader, then_patch = spec.loader, patch

        class PatchingLoader(importlib.abc.Loader):
            def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
                return loader.create_module(spec)

            def exec_module(self, module: ModuleType) -> None:
                loader.exec_module(module)
                then_patch(module)

        spec.loader = PatchingLoader()
        return spec


_FINDER = _PatchOnImport()


def install() -> None:
    """Patch what is imported already, and the rest when it is imported. Idempotent; stays
    for the process (outside a test the patched pools refuse nothing)."""
    for name, patch in _PATCHES.items():
        module = sys.modules.get(name)
        if module is not None:
            patch(module)
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)
