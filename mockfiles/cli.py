"""``mockfiles serve``: the fake as a standalone HTTP server, for clients in any language."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import ipaddress
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from mockfiles.batch_responses import NAMED_RESPONDERS
from mockfiles.batches import BatchTiming
from mockfiles.errors import APIError
from mockfiles.facade import DEFAULT_ORGANIZATION, DEFAULT_PROJECT, MockFiles
from mockfiles.limits import Limits
from mockfiles.server import MockServer
from mockfiles.state import Bug

# Imported lazily by the commands that need them: `serve` must not load the SDK.


def add_verify_arguments(parser: argparse.ArgumentParser) -> None:
    from mockfiles.contract.verify import add_arguments

    add_arguments(parser)


def verify(args: argparse.Namespace) -> int:
    from mockfiles.contract.verify import main

    return main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mockfiles",
        description="A faithful in-memory fake of OpenAI's Files, Uploads and Batches APIs.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    verify = commands.add_parser(
        "verify",
        help="run the contract suite against the fake, a server or the live API",
        description="Run the contract suite (mockfiles.contract) against a target, or diff "
        "the fake against another target (--compare).",
    )
    add_verify_arguments(verify)
    serve = commands.add_parser(
        "serve",
        help="serve the fake over HTTP until interrupted",
        description="Serve the fake over HTTP. The first line printed is the base URL "
        "(ending in /v1) to give an OpenAI client; SIGINT or SIGTERM stops it cleanly.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (0)")
    serve.add_argument("--seed", type=int, help="seed for file ids, so runs reproduce")
    serve.add_argument(
        "--timeout",
        type=float,
        metavar="SECONDS",
        help="close a connection whose client sends nothing for this long (default: 5 s for "
        "a request's head and between requests, 30 s between pieces of a body)",
    )
    serve.add_argument(
        "--organization", default=DEFAULT_ORGANIZATION, help="organization answered by default"
    )
    serve.add_argument("--project", default=DEFAULT_PROJECT, help="project used by default")
    serve.add_argument("--now", help="start the fake's clock here (ISO 8601 or epoch seconds)")
    serve.add_argument(
        "--key",
        action="append",
        default=[],
        metavar="KEY[:PROJECT[:ORGANIZATION]]",
        help="register an API key (repeatable); then only registered keys are accepted",
    )
    serve.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="a fault rule, OPERATIONS:ACTION[:NAME=VALUE,...] (repeatable), e.g. "
        "files.create:rate_limit:times=2,retry_after_ms=10 or *:server_error:probability=0.1",
    )
    serve.add_argument(
        "--chaos",
        type=float,
        default=0.0,
        metavar="RATE",
        help="fail this share of first attempts with random retryable errors",
    )
    serve.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on every control-plane (/_mockfiles/*) request",
    )
    timing = BatchTiming()
    for phase in dataclasses.fields(BatchTiming):
        serve.add_argument(
            f"--batch-{phase.name.replace('_', '-')}-seconds",
            dest=f"batch_{phase.name}",
            type=int,
            metavar="S",
            help=f"seconds of the fake's clock a batch spends {phase.name.replace('_', ' ')} "
            f"(default {getattr(timing, phase.name)})",
        )
    serve.add_argument(
        "--batch-responder",
        choices=sorted(NAMED_RESPONDERS),
        default="default",
        help="what batch requests answer unless told otherwise: 'default' (a valid body of "
        "the endpoint) or 'fail' (every request fails); POST /_mockfiles/batches/respond "
        "overrides it per request",
    )
    serve.add_argument(
        "--journal-size",
        type=int,
        default=10_000,
        metavar="N",
        help="keep the last N calls in the journal; 0 keeps every call (10000)",
    )
    defaults = Limits()
    for field in dataclasses.fields(Limits):
        serve.add_argument(
            "--" + field.name.replace("_", "-"),
            type=int,
            metavar="N",
            help=f"limit: {field.name} (default {getattr(defaults, field.name)})",
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "verify":
        return verify(args)
    limits = {
        field.name: getattr(args, field.name)
        for field in dataclasses.fields(Limits)
        if getattr(args, field.name) is not None
    }
    keys: dict[str, dict[str, str]] = {}
    for spec in args.key:
        key, _, rest = spec.partition(":")
        project, _, organization = rest.partition(":")
        keys[key] = {"project": project or args.project, "organization": organization}
    if not 0 <= args.chaos <= 1:
        parser.error(f"--chaos must be a number from 0 to 1, not {args.chaos}")
    try:
        mock = MockFiles(
            seed=args.seed,
            organization=args.organization,
            project=args.project,
            now=args.now,
            limits=limits,
            keys=keys,
            faults=args.fault,
            chaos=args.chaos,
            control_token=args.control_token,
            batch_timing={
                phase.name: getattr(args, f"batch_{phase.name}")
                for phase in dataclasses.fields(BatchTiming)
                if getattr(args, f"batch_{phase.name}") is not None
            },
            batch_responder=args.batch_responder,
            journal_size=args.journal_size or None,
        )
    except (ValueError, APIError) as error:
        parser.error(str(error))
    mock.state.on_bug = _print_bug
    warning = network_warning(args.host, args.control_token)
    if warning is not None:
        print(warning, file=sys.stderr, flush=True)
    if args.timeout is not None and not args.timeout > 0:
        parser.error("--timeout must be a positive number of seconds")
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be from 0 to 65535, not {args.port}")
    server = MockServer(host=args.host, port=args.port, timeout=args.timeout)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        server.start()
    except OSError as error:  # a port in use, a host that does not resolve
        parser.error(f"cannot listen on {args.host} port {args.port}: {error}")
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    server.attach(mock)
    print(server.base_url, flush=True)
    print(
        f"mockfiles: serving the Files, Uploads and Batches APIs (seed {mock.seed}); Ctrl+C stops",
        file=sys.stderr,
    )
    try:
        # A timed wait keeps the main thread responsive to signals on every platform.
        while not stop.wait(0.5):
            pass
    finally:
        server.detach()
        server.stop()
    return 0


def _print_bug(bug: Bug) -> None:
    """Tell the person running ``mockfiles serve`` at once: the client only sees a 500."""
    # A closed stderr must not fail the request; the bug stays listed at /_mockfiles/bugs.
    with contextlib.suppress(OSError, ValueError):
        print(bug.describe(), file=sys.stderr, flush=True)


def network_warning(host: str, control_token: str | None) -> str | None:
    """What to say when ``host`` is not a loopback address: anyone who can reach it can drive
    the control plane."""
    if _is_loopback(host):
        return None
    return (
        f"mockfiles: WARNING: listening on {host}, not a loopback address: the control plane "
        "(/_mockfiles/*: reset, clock, keys, faults) is reachable from the network"
        + ("" if control_token else "; pass --control-token TOKEN to require a token")
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a host name: whatever it resolves to, say so
        return False


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
