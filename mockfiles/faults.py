"""Failure injection: rules that make the fake answer like the real API on a bad day.

A rule targets operations (by name, or ``*`` for all), optionally one project or key, and fires
on a schedule: the next ``times`` matching requests after skipping ``after`` of them, or each
with ``probability`` drawn from the plan's seeded random source (the same seed fires on the same
requests). What it does is either an HTTP error, from a preset or custom, or a transport fault
that the serving layer carries out: ``reset``, ``disconnect``, ``truncate``, ``delay``,
``slow_body``, ``timeout``.

HTTP errors replace the operation: it does not happen. ``reset`` and ``disconnect`` also happen
before the operation. ``truncate``, ``delay``, ``slow_body`` and ``timeout`` break the answer of
an operation that did happen (a file may be created although the client saw an error), as a
lost response does for real.

Chaos rules (action ``chaos``) are not like the others: they fire only on a request no other
rule matches, never on a retry, never twice in a row on the same operation of the same caller,
draw from a random source of their own, and label what they did ``chaos:<preset>``. So a test's
own rules behave exactly as they do without chaos (see ``docs/chaos.md``).
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockfiles.errors import APIError, InvalidRequest
from mockfiles.fault_specs import check_options, parse_spec, spec_value
from mockfiles.model import OPERATIONS

#: HTTP presets: (status, type, code, message). ``{organization}`` is filled in when it fires.
HTTP_PRESETS: Mapping[str, tuple[int, str, str | None, str]] = {
    "rate_limit": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for requests in organization {organization} on requests per min "
        "(RPM): Limit 1000, Used 1000, Requested 1. Please try again in {wait}. Visit "
        "https://platform.openai.com/account/rate-limits to learn more.",
    ),
    "insufficient_quota": (
        429,
        "insufficient_quota",
        "insufficient_quota",
        "You exceeded your current quota, please check your plan and billing details. For more "
        "information on this error, read the docs: "
        "https://platform.openai.com/docs/guides/error-codes/api-errors.",
    ),
    "server_error": (
        500,
        "server_error",
        None,
        "The server had an error while processing your request. Sorry about that!",
    ),
    "bad_gateway": (502, "cf_bad_gateway", None, "Bad gateway."),
    "service_unavailable": (
        503,
        "server_error",
        None,
        "The server is overloaded or not ready yet.",
    ),
    # The real API's 408; the preset named ``timeout`` is the client's own timeout instead.
    "request_timeout": (408, "invalid_request_error", "timeout", "Request timed out."),
    "conflict": (
        409,
        "invalid_request_error",
        "conflict",
        "Another request for this resource is in progress. Please try again.",
    ),
}

#: Faults of the connection rather than of the answer.
TRANSPORT_FAULTS = ("reset", "disconnect", "truncate", "delay", "slow_body", "timeout")

#: How long a ``timeout`` fault holds the answer unless its rule says: the SDKs' default read
#: timeout (600 s), so any client with a shorter timeout gives up first.
TIMEOUT_CAP_SECONDS = 600.0

#: The transport faults whose answer arrives, late: the journal counts their seconds.
LATE_ANSWERS = ("delay", "slow_body")

#: What chaos draws from: retryable errors the SDKs retry by themselves.
CHAOS_PRESETS = ("rate_limit", "server_error", "bad_gateway", "service_unavailable")

#: Chaos errors ask for this short a wait (``retry-after-ms``), so retrying suites stay fast.
CHAOS_RETRY_AFTER_MS = 5

#: The journal's label of a fault chaos drew: ``chaos:rate_limit`` and so on.
CHAOS_LABEL = "chaos:"

#: The header that marks an answer chaos drew (its value: the preset). The real API never
#: sends it; the SDKs ignore it; the clients ``MockFiles.client()`` hands out read it.
CHAOS_HEADER = "x-mockfiles-chaos"

ACTIONS = (*HTTP_PRESETS, "error", *TRANSPORT_FAULTS, "chaos")


class InjectedError(APIError):
    """An HTTP error a fault rule answers with."""

    with_detail = False

    def __init__(self, status: int, type: str, code: str | None, message: str, **kw: Any) -> None:
        super().__init__(message, code=code, status=status, **kw)
        self.type = type


@dataclass(frozen=True)
class Fault:
    """What a rule did to one request: an HTTP ``error``, or a ``transport`` fault. ``name``
    is the preset or action, ``chaos:<preset>`` when chaos drew it."""

    name: str
    error: APIError | None = None
    transport: str | None = None
    seconds: float = 0.0

    @property
    def is_chaos(self) -> bool:
        return self.name.startswith(CHAOS_LABEL)

    @property
    def held_ms(self) -> float | None:
        """How long the answer is held back (``delay``, ``slow_body``; ``timeout``: its cap)."""
        return self.seconds * 1000 if self.transport in (*LATE_ANSWERS, "timeout") else None

    @property
    def late_ms(self) -> float:
        """How much later than the fake's own work the client gets the whole answer."""
        return self.seconds * 1000 if self.transport in LATE_ANSWERS else 0.0


class FaultRule:
    """One rule; its counters say how often it matched and fired."""

    def __init__(
        self,
        operations: str | list[str] | tuple[str, ...],
        action: str,
        *,
        times: int | None = None,
        after: int = 0,
        probability: float | None = None,
        project: str | None = None,
        key: str | None = None,
        status: int | None = None,
        type: str | None = None,
        code: str | None = None,
        message: str | None = None,
        retry_after: float | None = None,
        retry_after_ms: float | None = None,
        should_retry: bool | None = None,
        seconds: float | None = None,
        first_attempts_only: bool = False,
    ) -> None:
        names = [operations] if isinstance(operations, str) else list(operations)
        if not all(isinstance(name, str) for name in names):
            raise InvalidRequest("'operations' must be names (text).", param="operations")
        names = [n.strip() for name in names for n in name.split(",") if n.strip()]
        unknown = [n for n in names if n != "*" and not _operations_named(n)]
        if not names or unknown:
            raise InvalidRequest(
                f"Unknown operation(s) {unknown or names}: use '*', a group ('batches.*') or "
                f"some of {list(OPERATIONS)}.",
                param="operations",
            )
        if "*" not in names:
            names = [operation for name in names for operation in _operations_named(name)]
        if action not in ACTIONS:
            raise InvalidRequest(
                f"Unknown fault {action!r}: use one of {list(ACTIONS)}.", param="action"
            )
        if action == "error" and status is None:
            raise InvalidRequest("A custom 'error' fault needs a 'status'.", param="status")
        check_options(locals())  # every keyword option, by name
        self.operations = None if "*" in names else frozenset(names)
        self.action = action
        self.times, self.after, self.probability = times, after, probability
        self.project, self.key = project, key
        self.status, self.type, self.code, self.message = status, type, code, message
        self.retry_after, self.retry_after_ms = retry_after, retry_after_ms
        self.should_retry = should_retry
        self.seconds = seconds if seconds is not None else _default_seconds(action)
        #: Chaos never fails a retry, whatever the rule says.
        self.first_attempts_only = first_attempts_only or action == "chaos"
        self.seen = 0
        self.fired = 0

    @property
    def is_chaos(self) -> bool:
        return self.action == "chaos"

    def matches(self, operation: str, project: str, key: str, attempt: int) -> bool:
        return (
            (self.operations is None or operation in self.operations)
            and (self.project is None or self.project == project)
            and (self.key is None or self.key == key)
            and not (self.first_attempts_only and attempt > 1)
        )

    def __repr__(self) -> str:
        fields = self.describe()
        operations = ",".join(fields.pop("operations"))
        action = fields.pop("action")
        options = ", ".join(f"{name}={value!r}" for name, value in fields.items())
        return f"<FaultRule {operations}:{action} {options}>"

    def describe(self) -> dict[str, Any]:
        """The rule as JSON-ready data (the control plane's ``GET /_mockfiles/faults``)."""
        fields = {
            "operations": sorted(self.operations) if self.operations else ["*"],
            "action": self.action,
            "times": self.times,
            "after": self.after,
            "probability": self.probability,
            "project": self.project,
            "key": self.key,
            "status": self.status,
            "type": self.type,
            "code": self.code,
            "message": self.message,
            "retry_after": self.retry_after,
            "retry_after_ms": self.retry_after_ms,
            "should_retry": self.should_retry,
            "seconds": self.seconds,
            "first_attempts_only": self.first_attempts_only or None,
        }
        described = {name: value for name, value in fields.items() if value is not None}
        return {**described, "seen": self.seen, "fired": self.fired}

    def spec(self) -> str:
        """The rule as a spec (``files.create:rate_limit:times=1``), to name it in a failure."""
        described = self.describe()
        operations = ",".join(described.pop("operations"))
        action = described.pop("action")
        for counter in ("seen", "fired"):
            described.pop(counter)
        if not described.get("after"):
            described.pop("after")
        if described.get("seconds") == _default_seconds(action):
            described.pop("seconds")
        options = ",".join(f"{name}={spec_value(value)}" for name, value in described.items())
        return f"{operations}:{action}" + (f":{options}" if options else "")

    def fires(self, rng: random.Random) -> bool:
        """Count a request this rule matched; whether its schedule fires on it."""
        self.seen += 1
        if self.seen <= self.after:
            return False
        if self.times is not None and self.fired >= self.times:
            return False
        if self.probability is not None and rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def fault(self, organization: str, rng: random.Random) -> Fault:
        if self.action in TRANSPORT_FAULTS:
            return Fault(self.action, transport=self.action, seconds=self.seconds)
        name = rng.choice(CHAOS_PRESETS) if self.is_chaos else self.action
        headers = self._headers(chaos=self.is_chaos)
        if self.is_chaos:
            # Says chaos drew this answer, so the fixture's clients can retry chaos alone.
            headers[CHAOS_HEADER] = name
        if name == "error":
            assert self.status is not None
            return Fault(
                name,
                error=InjectedError(
                    self.status,
                    self.type
                    or ("server_error" if self.status >= 500 else "invalid_request_error"),
                    self.code,
                    self.message or f"Injected error {self.status}.",
                    headers=headers,
                ),
            )
        status, kind, code, message = HTTP_PRESETS[name]
        return Fault(
            CHAOS_LABEL + name if self.is_chaos else name,
            error=InjectedError(
                self.status or status,
                self.type or kind,
                self.code or code,
                self.message
                if self.message is not None
                else message.format(organization=organization, wait=_wait_text(headers)),
                headers=headers,
            ),
        )

    def _headers(self, chaos: bool) -> dict[str, str]:
        headers = {}
        if self.retry_after is not None:
            headers["retry-after"] = f"{self.retry_after:g}"
        retry_after_ms = CHAOS_RETRY_AFTER_MS if chaos else self.retry_after_ms
        if retry_after_ms is not None:
            headers["retry-after-ms"] = f"{retry_after_ms:g}"
        if self.should_retry is not None:
            headers["x-should-retry"] = "true" if self.should_retry else "false"
        return headers


def _wait_text(headers: Mapping[str, str]) -> str:
    """The wait a rate-limit message names: the one its ``retry-after(-ms)`` header asks for
    (milliseconds first, as the SDK reads them), else the preset's 1s."""
    if "retry-after-ms" in headers:
        return f"{headers['retry-after-ms']}ms"
    if "retry-after" in headers:
        return f"{headers['retry-after']}s"
    return "1s"


class FaultPlan:
    """The rules of one fake, tried in the order they were added; the first that fires wins.

    Chaos rules come after all the others, whatever their order: see ``draw``.
    """

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        # Chaos has its own source, so that turning it on leaves the draws of a test's own
        # probability rules as they were.
        self._chaos_rng = random.Random(seed ^ 0xC4A05)
        self._rules: list[FaultRule] = []
        #: (operation, project, key) whose last request chaos failed: their next is spared.
        self._chaos_failed: set[tuple[str, str, str]] = set()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def add(
        self, operations: str | list[str] | tuple[str, ...], action: str, **options: Any
    ) -> FaultRule:
        """Add a rule (see ``FaultRule``); returns it, so a test can read its counters."""
        rule = FaultRule(operations, action, **options)
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_spec(self, spec: str) -> FaultRule:
        """Add a rule written as ``OPERATIONS:ACTION[:NAME=VALUE,...]``."""
        operations, action, options = parse_spec(spec)
        return self.add(operations, action, **options)

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._chaos_failed.clear()

    def unfired(self) -> list[FaultRule]:
        """The rules (other than chaos) that never fired."""
        return [rule for rule in self.rules if not rule.is_chaos and not rule.fired]

    def assert_all_fired(self) -> None:
        """Fail, naming them, if some rules (other than chaos) never fired: a rule that never
        fires (a typo in ``project=``, an operation the code does not call) tests nothing."""
        unfired = self.unfired()
        if unfired:
            raise AssertionError(
                f"{len(unfired)} fault rule(s) never fired:\n"
                + "\n".join(
                    f"  {rule.spec()}  (matched {rule.seen} request(s))" for rule in unfired
                )
            )

    def draw(
        self, operation: str, project: str, key: str, attempt: int, organization: str
    ) -> Fault | None:
        """The fault for this request, if a rule fires.

        The test's own rules are tried first, in order. Chaos rules are tried only when none of
        them matched the request (fired or not: a rule that skips or has spent its ``times``
        still owns the requests it matches), only on a first attempt, and not when chaos failed
        the previous request of the same operation, project and key.
        """
        caller = (operation, project, key)
        with self._lock:
            spared = caller in self._chaos_failed
            self._chaos_failed.discard(caller)
            owned = False
            for rule in self._rules:
                if rule.is_chaos or not rule.matches(operation, project, key, attempt):
                    continue
                owned = True
                if rule.fires(self._rng):
                    return rule.fault(organization, self._rng)
            if owned or spared:
                return None
            for rule in self._rules:
                chaos = rule.is_chaos and rule.matches(operation, project, key, attempt)
                if chaos and rule.fires(self._chaos_rng):
                    self._chaos_failed.add(caller)
                    return rule.fault(organization, self._chaos_rng)
        return None


def _default_seconds(action: str) -> float:
    if action == "timeout":
        return TIMEOUT_CAP_SECONDS
    return 1.0 if action in TRANSPORT_FAULTS else 0


def _operations_named(name: str) -> tuple[str, ...]:
    """The operations a name stands for: itself, or every operation of a group for
    ``files.*``, ``uploads.*``, ``batches.*`` (``uploads.*`` includes ``uploads.parts.create``)."""
    if name in OPERATIONS:
        return (name,)
    if name.endswith(".*") and name.count(".") == 1:
        prefix = name[:-1]
        return tuple(operation for operation in OPERATIONS if operation.startswith(prefix))
    return ()
