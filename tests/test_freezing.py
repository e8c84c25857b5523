"""``MockFiles.freeze()`` skips freezegun's scan of the SDK and its stack, and nothing else:
the test's own modules are still patched, and every caller still reads the frozen clock."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from mockfiles import MockFiles
from mockfiles.freezing import UNSCANNED_PACKAGES

FROZEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


@pytest.fixture
def modules() -> Iterator[dict[str, types.ModuleType]]:
    """Two modules that bind the real clock by name: one of the test's, one inside the SDK."""
    made: dict[str, types.ModuleType] = {}
    for name in ("users_code_under_test", "openai.some_module_of_the_sdk"):
        module = types.ModuleType(name)
        exec(
            "import time\nfrom time import time as bound_time\nread = lambda: time.time()",
            vars(module),
        )
        sys.modules[name] = made[name] = module
    yield made
    for name in made:
        del sys.modules[name]


def test_the_tests_modules_are_patched_and_the_sdks_are_not_scanned(
    modules: dict[str, types.ModuleType],
) -> None:
    mock = MockFiles()
    mock.freeze(FROZEN)
    try:
        users, sdks = modules["users_code_under_test"], modules["openai.some_module_of_the_sdk"]
        assert users.bound_time() == FROZEN.timestamp()
        # Not scanned: the name it bound stays the real clock...
        assert sdks.bound_time() != FROZEN.timestamp()
        # ...but whatever it reads through ``time`` is frozen: freezegun's list of callers that
        # get real time is the caller's own, not the list of skipped packages.
        assert sdks.read() == FROZEN.timestamp()
        assert mock.clock.now() == FROZEN.timestamp()
    finally:
        mock.close()
    assert users.bound_time() != FROZEN.timestamp()


def test_the_caller_keeps_its_own_ignore_list() -> None:
    import freezegun.api

    mock = MockFiles()
    mock.freeze(FROZEN, ignore=["some.package"])
    try:
        ignored = freezegun.api.ignore_lists[-1]
        assert "some.package" in ignored
        assert not set(UNSCANNED_PACKAGES) & set(ignored)
    finally:
        mock.close()


def test_freeze_imports_nothing_through_a_lazily_importing_module(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # openai, pydantic and anyio (and concurrent.futures) import a submodule when a name they
    # list is read; freezegun reads every listed name, which imported ~550 modules of the SDK
    # on a first freeze.
    read: list[str] = []
    lazy = types.ModuleType("users_lazy_package")

    def lazy_getattr(name: str) -> object:
        read.append(name)
        raise AttributeError(name)

    lazy.__getattr__ = lazy_getattr  # type: ignore[method-assign]
    lazy.__dir__ = lambda: ["parser", "tz", "relativedelta"]  # type: ignore[method-assign]
    exec("from time import time as bound_time", vars(lazy))
    monkeypatch.setitem(sys.modules, "users_lazy_package", lazy)
    mock = MockFiles()
    mock.freeze(FROZEN)
    try:
        assert read == []
        # Its namespace was still scanned: what it bound is patched.
        assert lazy.bound_time() == FROZEN.timestamp()
    finally:
        mock.close()
