"""Run the contract's checks against a target: each in its own session, cleaned up whatever
happens (a failure, Ctrl+C, SIGTERM), skipped with a reason where the target lacks what the
check needs."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

from mockfiles.contract.registry import NEED_REASONS, Check
from mockfiles.contract.session import Exchange, Session
from mockfiles.contract.targets import Target

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclass
class Result:
    check: Check
    outcome: str
    reason: str = ""
    exchanges: list[Exchange] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {
            **self.check.describe(),
            "outcome": self.outcome,
            "reason": self.reason,
            "exchanges": [exchange.as_json() for exchange in self.exchanges],
        }


def skip_reason(check: Check, target: Target) -> str | None:
    missing = target.lacks(check.needs)
    if not missing:
        return None
    return f"{target.name}: " + "; ".join(NEED_REASONS[need] for need in sorted(missing))


def run_check(check: Check, target: Target) -> Result:
    """Run one check; its session's files are deleted before this returns or raises."""
    if not __debug__:  # pragma: no cover  # the checks assert: under -O they would prove nothing
        raise RuntimeError("the contract checks need assertions: run Python without -O")
    reason = skip_reason(check, target)
    if reason is not None:
        return Result(check, SKIPPED, reason)
    with Session(target) as session:
        try:
            check.run(session)
        except Exception as error:  # a broken contract, or an SDK error it did not expect
            return Result(check, FAILED, f"{type(error).__name__}: {error}", session.exchanges)
        return Result(check, PASSED, "", session.exchanges)


def run_checks(
    checks: list[Check], target: Target, report: Callable[[Result], None] | None = None
) -> list[Result]:
    """Run every check in order; SIGTERM stops the run as Ctrl+C does, after clean-up."""
    results = []
    with _sigterm_as_interrupt():
        for check in checks:
            result = run_check(check, target)
            results.append(result)
            if report is not None:
                report(result)
    return results


def plan(checks: list[Check], target: Target) -> str:
    """What a run will do and what it costs, said before it starts (for the live API)."""
    runnable = [c for c in checks if skip_reason(c, target) is None]
    files = sum(c.files for c in runnable)
    stored = sum(c.stored_bytes for c in runnable)
    peak = max((c.stored_bytes for c in runnable), default=0)
    # Each check deletes its files before the next starts; allow a generous 30 s per check.
    byte_seconds = stored * 30
    lines = [
        f"mockfiles verify: {len(runnable)} of {len(checks)} checks against {target.base_url}",
        f"  creates {files} tiny files ({stored} bytes in all, at most {peak} at once) and "
        "Uploads of a few bytes; each check deletes or cancels what it created, also on failure "
        "and Ctrl+C; nothing it did not create is touched",
        f"  cost: at most ~{byte_seconds} byte-seconds of file storage; no tokens, no models",
    ]
    batches = sum(c.group == "batches" for c in runnable)
    if batches:
        lines[2] = (
            f"  cost: at most ~{byte_seconds} byte-seconds of file storage; no tokens: batches "
            "hold one /v1/moderations request each, which is free"
        )
        lines.append(
            f"  {batches} batch checks: batches cannot be deleted, so each check cancels the "
            "ones it created that are not finished and deletes their output and error files"
        )
    skipped = len(checks) - len(runnable)
    if skipped:
        lines.append(f"  skips {skipped} checks the target cannot make (clock, faults, limits)")
    return "\n".join(lines)


@contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: SIGTERM stays as it was
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def summary(results: list[Result], started: float) -> str:
    counts = {o: sum(r.outcome == o for r in results) for o in (PASSED, FAILED, SKIPPED)}
    return (
        f"{counts[PASSED]} passed, {counts[FAILED]} failed, {counts[SKIPPED]} skipped "
        f"in {time.monotonic() - started:.2f}s"
    )
