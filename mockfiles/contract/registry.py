"""The checks of the contract, each tagged with the fact it proves and where that fact comes
from, and grouped by API (``files``, ``uploads``; a ``batches`` group registers the same way,
from its own module listed in ``GROUP_MODULES``).

A check whose fact is *chosen* (the fake's choice where the real behaviour is unknown, named in
the README's fidelity notes) is one a run against the live API can settle: a difference there
"resolves an unknown" instead of failing.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mockfiles.contract.session import Session

#: Modules that register checks, one per API group; importing one registers its checks.
GROUP_MODULES = (
    "mockfiles.contract.files_checks",
    "mockfiles.contract.uploads_checks",
    "mockfiles.contract.batches_checks",
    "mockfiles.contract.batch_error_checks",
)

#: Where a known fact comes from: the README's tables of what the fake does and its errors,
#: which are drawn from recordings of the real API, its OpenAPI description and the SDKs.
KNOWN = "known"
CHOSEN = "chosen"

#: Why a check cannot run where its needs are missing (the live API has no control plane).
NEED_REASONS = {
    "clock": "needs the fake's clock (the live API's time cannot be moved)",
    "faults": "needs fault injection (the live API cannot be made to fail on demand)",
    "limits": "needs changed limits (filling a live quota would cost real storage)",
}


@dataclass(frozen=True)
class Check:
    """One contract check: a function of a ``Session`` that raises on a broken contract."""

    name: str
    group: str
    fact: str
    #: ``"known"`` or ``"chosen"``.
    source: str
    #: The fidelity note (README "Fidelity notes") or fact table the fact belongs to.
    note: str
    needs: frozenset[str]
    #: Files it stores at most at once, and their bytes: what a live run costs.
    files: int
    stored_bytes: int
    run: Callable[[Session], None]

    @property
    def chosen(self) -> bool:
        return self.source == CHOSEN

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "group": self.group,
            "fact": self.fact,
            "source": self.source,
            "note": self.note,
            "needs": sorted(self.needs),
        }


#: By name: a module imported again (pytester restores ``sys.modules``) replaces its checks.
_CHECKS: dict[str, Check] = {}


def check(
    group: str,
    fact: str,
    *,
    source: str,
    note: str,
    needs: tuple[str, ...] = (),
    files: int = 0,
    stored_bytes: int = 0,
) -> Callable[[Callable[[Session], None]], Callable[[Session], None]]:
    """Register the decorated function as a check of ``group``."""
    if source not in (KNOWN, CHOSEN):
        raise ValueError(f"source must be {KNOWN!r} or {CHOSEN!r}, not {source!r}")
    unknown = set(needs) - set(NEED_REASONS)
    if unknown:
        raise ValueError(f"unknown needs {sorted(unknown)}")

    def register(function: Callable[[Session], None]) -> Callable[[Session], None]:
        name = f"{group}.{function.__name__}"
        previous = _CHECKS.get(name)
        if previous is not None and previous.run.__module__ != function.__module__:
            raise ValueError(f"check {name} is registered twice")
        _CHECKS[name] = Check(
            name, group, fact, source, note, frozenset(needs), files, stored_bytes, function
        )
        return function

    return register


def all_checks(groups: tuple[str, ...] | None = None) -> list[Check]:
    """Every registered check (of some groups), in registration order."""
    for module in GROUP_MODULES:
        importlib.import_module(module)
    return [c for c in _CHECKS.values() if groups is None or c.group in groups]
