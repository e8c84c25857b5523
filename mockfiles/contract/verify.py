"""``mockfiles verify``: run the contract against a target, or diff the fake against another.

mockfiles verify                                # the fake, in-process
mockfiles verify --target socket [--url URL]    # a fresh `mockfiles serve`, or any server
mockfiles verify --target live                  # the real API (needs OPENAI_API_KEY)
mockfiles verify --compare live --json diff.json
mockfiles verify --report diff.json > report.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TextIO

from mockfiles.contract import diff
from mockfiles.contract.registry import Check, all_checks
from mockfiles.contract.runner import FAILED, Result, plan, run_checks, summary
from mockfiles.contract.targets import (
    DEFAULT_LIVE_URL,
    TARGET_NAMES,
    Target,
    TargetError,
    in_process,
    live,
    socket,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target",
        choices=TARGET_NAMES,
        default="in-process",
        help="what to check: the fake in-process (default), over a socket, or the live API "
        "(only with OPENAI_API_KEY set)",
    )
    parser.add_argument(
        "--url", help="with --target socket: the server to check instead of a fresh one"
    )
    parser.add_argument(
        "--live-url",
        default=DEFAULT_LIVE_URL,
        help=f"the live API's base URL ({DEFAULT_LIVE_URL})",
    )
    parser.add_argument(
        "--compare",
        metavar="live|URL",
        help="run the same exchanges against the fake and this target and print every "
        "difference; exits 1 on a difference in a known (not chosen) behaviour",
    )
    parser.add_argument("--json", metavar="FILE", help="save the results or the diff as JSON")
    parser.add_argument(
        "--report", metavar="FILE", help="print a saved diff (--json) as a markdown report"
    )
    parser.add_argument(
        "--group",
        action="append",
        choices=("files", "uploads", "batches"),
        help="only these API groups (repeatable)",
    )
    parser.add_argument(
        "--check",
        action="append",
        metavar="NAME",
        help="only the checks of this name or name prefix (repeatable), e.g. files.an_unknown",
    )
    parser.add_argument(
        "--plan", action="store_true", help="print what would be done and cost, then stop"
    )


def main(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout  # read now: a test may have replaced it
    if not __debug__:  # pragma: no cover
        print("mockfiles verify: the checks assert; run Python without -O", file=sys.stderr)
        return 2
    if args.report:
        try:
            saved = json.loads(Path(args.report).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            print(f"mockfiles verify: cannot read the saved diff: {error}", file=sys.stderr)
            return 2
        out.write(diff.markdown(saved))
        return 0
    checks = all_checks(tuple(args.group) if args.group else None)
    if args.check:
        checks = [c for c in checks if any(c.name.startswith(p) for p in args.check)]
        if not checks:
            print(f"mockfiles verify: no check matches {args.check}", file=sys.stderr)
            return 2
    try:
        with ExitStack() as stack:
            if args.compare:
                fake = stack.enter_context(in_process())
                other = _compared_target(args, stack)
                return _compare(checks, fake, other, args, out)
            target = _target(args, stack)
            return _verify(checks, target, args, out)
    except TargetError as error:
        print(f"mockfiles verify: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("mockfiles verify: interrupted; what the run created was deleted", file=sys.stderr)
        return 130


def _target(args: argparse.Namespace, stack: ExitStack) -> Target:
    if args.target == "live":
        target = live(args.live_url)
        stack.callback(target.close)
        return target
    if args.target == "socket":
        return stack.enter_context(socket(args.url))
    if args.url:
        raise TargetError("--url goes with --target socket")
    return stack.enter_context(in_process())


def _compared_target(args: argparse.Namespace, stack: ExitStack) -> Target:
    if args.compare == "live":
        target = live(args.live_url)
        stack.callback(target.close)
        return target
    return stack.enter_context(socket(args.compare))


def _verify(checks: list[Check], target: Target, args: argparse.Namespace, out: TextIO) -> int:
    out.write(plan(checks, target) + "\n")
    if args.plan:
        return 0
    started = time.monotonic()

    def report(result: Result) -> None:
        label = result.outcome.upper()[:4]
        detail = f": {result.reason}" if result.reason else f" [{result.check.source}]"
        out.write(f"{label} {result.check.name}{detail}\n")
        out.flush()

    results = run_checks(checks, target, report)
    out.write(summary(results, started) + "\n")
    if args.json:
        saved = {"target": target.base_url, "results": [r.as_json() for r in results]}
        Path(args.json).write_text(json.dumps(saved, indent=1), encoding="utf-8")
    return 1 if any(r.outcome == FAILED for r in results) else 0


def _compare(
    checks: list[Check],
    fake: Target,
    other: Target,
    args: argparse.Namespace,
    out: TextIO,
) -> int:
    out.write(plan(checks, other) + "\n")
    if args.plan:
        return 0
    # Only what both can run is compared: the fake always has its controls, the other may not.
    runnable = [c for c in checks if not other.lacks(c.needs)]
    skipped = [c for c in checks if other.lacks(c.needs)]
    fake_results = run_checks(runnable, fake)
    other_results = run_checks(checks, other)
    fake_results += [r for r in other_results if r.check in skipped]
    saved = diff.as_json(fake.name, other.base_url, fake_results, other_results)
    out.write(diff.text(saved) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps(saved, indent=1), encoding="utf-8")
    return 1 if diff.failures(saved) else 0
