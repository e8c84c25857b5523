"""Failure injection: rules that make the fake answer like the real API on a bad day.

A rule targets operations (by name, or ``*`` for all), optionally one project or key, and fires
on a schedule: the next ``times`` matching requests after skipping ``after`` of them, or each
with ``probability`` drawn from the plan's seeded random source (the same seed fires on the same
requests). What it does is either an HTTP error, from a preset or custom, or a transport fault
that the serving layer carries out: ``reset``, ``disconnect``, ``truncate``, ``delay``,
``slow_body``.

HTTP errors replace the operation: it does not happen. ``reset`` and ``disconnect`` also happen
before the operation. ``truncate``, ``delay`` and ``slow_body`` break the answer of an operation
that did happen (a file may be created although the client saw an error), as a lost response
does for real.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from mockfiles.errors import APIError, InvalidRequest
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
    "timeout": (408, "invalid_request_error", "timeout", "Request timed out."),
    "conflict": (
        409,
        "invalid_request_error",
        "conflict",
        "Another request for this resource is in progress. Please try again.",
    ),
}

#: Faults of the connection rather than of the answer.
TRANSPORT_FAULTS = ("reset", "disconnect", "truncate", "delay", "slow_body")

#: What chaos draws from: retryable errors the SDKs retry by themselves.
CHAOS_PRESETS = ("rate_limit", "server_error", "bad_gateway", "service_unavailable")

#: Chaos errors ask for this short a wait (``retry-after-ms``), so retrying suites stay fast.
CHAOS_RETRY_AFTER_MS = 5

ACTIONS = (*HTTP_PRESETS, "error", *TRANSPORT_FAULTS, "chaos")


class InjectedError(APIError):
    """An HTTP error a fault rule answers with."""

    with_detail = False

    def __init__(self, status: int, type: str, code: str | None, message: str, **kw: Any) -> None:
        super().__init__(message, code=code, status=status, **kw)
        self.type = type


@dataclass(frozen=True)
class Fault:
    """What a rule did to one request: an HTTP ``error``, or a ``transport`` fault."""

    name: str
    error: APIError | None = None
    transport: str | None = None
    seconds: float = 0.0


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
        unknown = [n for n in names if n != "*" and n not in OPERATIONS]
        if not names or unknown:
            raise InvalidRequest(
                f"Unknown operation(s) {unknown or names}: use '*' or some of {list(OPERATIONS)}.",
                param="operations",
            )
        if action not in ACTIONS:
            raise InvalidRequest(
                f"Unknown fault {action!r}: use one of {list(ACTIONS)}.", param="action"
            )
        if action == "error" and status is None:
            raise InvalidRequest("A custom 'error' fault needs a 'status'.", param="status")
        _check_options(locals())  # every keyword option, by name
        self.operations = None if "*" in names else frozenset(names)
        self.action = action
        self.times, self.after, self.probability = times, after, probability
        self.project, self.key = project, key
        self.status, self.type, self.code, self.message = status, type, code, message
        self.retry_after, self.retry_after_ms = retry_after, retry_after_ms
        self.should_retry = should_retry
        self.seconds = (
            seconds if seconds is not None else (1.0 if action in TRANSPORT_FAULTS else 0)
        )
        self.first_attempts_only = first_attempts_only
        self.seen = 0
        self.fired = 0

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

    def fault(self, organization: str, rng: random.Random) -> Fault:
        if self.action in TRANSPORT_FAULTS:
            return Fault(self.action, transport=self.action, seconds=self.seconds)
        name = rng.choice(CHAOS_PRESETS) if self.action == "chaos" else self.action
        headers = self._headers(chaos=self.action == "chaos")
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
            name,
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
    """The rules of one fake, tried in the order they were added; the first that fires wins."""

    def __init__(self, seed: int) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._rules: list[FaultRule] = []

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

    def draw(
        self, operation: str, project: str, key: str, attempt: int, organization: str
    ) -> Fault | None:
        """The fault for this request, if a rule fires."""
        with self._lock:
            for rule in self._rules:
                if not rule.matches(operation, project, key, attempt):
                    continue
                rule.seen += 1
                if rule.seen <= rule.after:
                    continue
                if rule.times is not None and rule.fired >= rule.times:
                    continue
                if rule.probability is not None and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                return rule.fault(organization, self._rng)
        return None


def parse_spec(spec: str) -> tuple[list[str], str, dict[str, Any]]:
    """``files.create,files.delete:rate_limit:times=2,retry_after_ms=10`` → its parts.

    Values are read as integers, numbers, ``true``/``false`` or text, in that order.
    """
    parts = spec.strip().split(":", 2)
    if len(parts) < 2 or not parts[0] or not parts[1]:
        raise InvalidRequest(
            f"Fault spec {spec!r} is not OPERATIONS:ACTION[:NAME=VALUE,...].", param="spec"
        )
    options: dict[str, Any] = {}
    for item in parts[2].split(",") if len(parts) == 3 and parts[2] else []:
        name, equals, raw = item.partition("=")
        if not equals or not name.strip():
            raise InvalidRequest(f"Fault option {item!r} is not NAME=VALUE.", param="spec")
        key = name.strip()
        if key not in _OPTIONS:
            raise InvalidRequest(f"Unknown fault option {key!r}.", param="spec")
        options[key] = _value(raw.strip(), _OPTIONS[key][0])
    return parts[0].split(","), parts[1], options


#: Each option a rule takes: its kind and, for numbers, the largest value that makes sense.
_OPTIONS: dict[str, tuple[str, float]] = {
    "times": ("int", 10**9),
    "after": ("int", 10**9),
    "status": ("int", 599),
    "probability": ("float", 1),
    "retry_after": ("float", 86_400),
    "retry_after_ms": ("float", 86_400_000),
    "seconds": ("float", 3_600),
    "project": ("str", 0),
    "key": ("str", 0),
    "type": ("str", 0),
    "code": ("str", 0),
    "message": ("str", 0),
    "should_retry": ("bool", 0),
    "first_attempts_only": ("bool", 0),
}


def _check_options(given: Mapping[str, Any]) -> None:
    """Each option of the kind it must be, when the rule is added rather than when it fires."""
    for name, (kind, largest) in _OPTIONS.items():
        value = given.get(name)
        if value is None:
            continue
        if kind == "str":
            if not isinstance(value, str):
                raise InvalidRequest(f"{name!r} must be text.", param=name)
        elif kind == "bool":
            if not isinstance(value, bool):
                raise InvalidRequest(f"{name!r} must be true or false.", param=name)
        else:
            numeric = isinstance(value, int) or (kind == "float" and isinstance(value, float))
            if isinstance(value, bool) or not numeric or not 0 <= value <= largest:
                raise InvalidRequest(
                    f"{name!r} must be a {'whole ' if kind == 'int' else ''}number from 0 to "
                    f"{largest:g}.",
                    param=name,
                )
    status = given.get("status")
    if status is not None and status < 400:
        raise InvalidRequest("'status' must be an error status, 400 to 599.", param="status")


def _value(raw: str, kind: str) -> Any:
    """A spec's text as the option's kind (what does not convert stays text and is refused)."""
    converters: dict[str, Callable[[str], Any]] = {
        "int": int,
        "float": float,
        "bool": {"true": True, "false": False}.__getitem__,
    }
    convert = converters.get(kind)
    try:
        return convert(raw.lower() if kind == "bool" else raw) if convert else raw
    except (ValueError, KeyError):
        return raw
