"""Starting freezegun without its scan of the libraries a frozen clock's callers never live in.

``freezegun``'s ``start()`` walks every loaded module and reads every name in it, looking for
names bound to the real clock (``from time import time``) to replace. With the openai SDK
loaded that is ~1,000 modules, and reading the names of lazily importing packages imports
hundreds more: over a second for the first ``freeze()`` of a process, measured. The test's
code and the fake's are still scanned; only the libraries below are not, and lazily importing
modules are read through their namespace.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

#: Packages whose modules ``freeze()`` does not scan for names bound to the real clock: the SDK,
#: its HTTP stack, the fake's web layer and the test runner. Their code reads time through
#: ``time.time()`` and ``datetime.now()`` (which freezegun patches at the source) or keeps real
#: time on purpose (pytest's durations); none of them is where a test's frozen clock is read.
#: Scanning them was nearly all of freezegun's start: ~1,000 modules of the SDK alone.
UNSCANNED_PACKAGES = (
    "openai.",
    "pydantic.",
    "pydantic_core.",
    "httpx.",
    "httpx2.",
    "httpcore.",
    "httpcore2.",
    "h11.",
    "anyio.",
    "werkzeug.",
    "_pytest.",
    "pluggy.",
    "pygments.",
    "freezegun.",
    "dateutil.",
    "idna.",
    "sniffio.",
    "truststore.",
    "certifi.",
    "jiter.",
    "distro.",
    "typing_inspection.",
    "annotated_types.",
    "markupsafe.",
)


def start_without_scanning_libraries(freezer: Any) -> Any:
    """``freezer.start()``, skipping ``UNSCANNED_PACKAGES`` in its scan of ``sys.modules``.

    freezegun uses its ``ignore`` prefixes twice: to skip modules in that scan, and, while
    frozen, to give real time to any caller whose stack passes through them. Only the first is
    wanted here (the SDK must keep reading the frozen clock, e.g. for an HTTP-date
    ``Retry-After``), so the wider prefixes are in place for ``start()`` alone and the
    caller's own list is put back before any frozen clock is read. On a freezegun without
    the module-level list this relies on, the scan stays whole: slower, never different.
    """
    import freezegun.api

    own = freezer.ignore
    stack = getattr(freezegun.api, "ignore_lists", None)
    if not isinstance(own, tuple) or not isinstance(stack, list):
        return freezer.start()
    _scan_lazy_modules_by_namespace(freezegun.api, own + UNSCANNED_PACKAGES)
    freezer.ignore = own + UNSCANNED_PACKAGES
    try:
        factory = freezer.start()
    finally:
        freezer.ignore = own  # stop() then restores exactly the modules start() could patch
    if stack and stack[-1] == own + UNSCANNED_PACKAGES:
        stack[-1] = own
    return factory


def _scan_lazy_modules_by_namespace(api: Any, skipped: tuple[str, ...]) -> None:
    """Give freezegun's scan the real-clock names of every lazily importing module (one with a
    module-level ``__getattr__``: ``openai``, ``pydantic``, ``anyio``, ``concurrent.futures``...)
    read from its namespace.

    freezegun reads a module's names with ``getattr`` for everything ``dir()`` lists: on such
    a module that imports what it lists, hundreds of modules with the SDK (over a second).
    The namespace holds every name actually bound, which is all a scan can patch: a name not
    yet imported holds nothing to patch. Relies on freezegun's module cache; without it,
    freezegun scans these modules itself.
    """
    cache = getattr(api, "_GLOBAL_MODULES_CACHE", None)
    module_hash = getattr(api, "_get_module_attributes_hash", None)
    real_ids = getattr(api, "_real_time_object_ids", None)
    if not isinstance(cache, dict) or not callable(module_hash) or real_ids is None:
        return
    for name, module in list(sys.modules.items()):
        if not isinstance(module, ModuleType) or name.startswith(skipped):
            continue
        namespace = vars(module)
        if "__getattr__" not in namespace and type(module) is ModuleType:
            continue
        # Cached as freezegun caches a module it read itself, so it stays valid until the
        # module's names change.
        bound = [(key, value) for key, value in namespace.items() if id(value) in real_ids]
        cache[module.__name__] = (module_hash(module), bound)
