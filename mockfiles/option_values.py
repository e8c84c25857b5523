"""The parsers of the plugin's options (``options.OPTIONS``): each turns a value (text from
the ini file or the command line, any object from the marker) into what the plugin uses, or
raises ``ValueError`` (its text, when any, says why). Nothing heavy is imported here until a
parser that needs the domain runs."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


def whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError("")


def share(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("")
    rate = float(value.strip()) if isinstance(value, str) else value
    if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError("")
    return float(rate)


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("")


def size_or_none(value: Any) -> int | None:
    if value is None:
        return None
    size = whole_number(value)
    if size < 1:
        raise ValueError("")
    return size


def choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip() not in allowed:
            raise ValueError("")
        return value.strip()

    return parse


def url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip().startswith(("http://", "https://")):
        raise ValueError("")
    return value.strip()


def batch_timing(value: Any) -> Any:
    from mockfiles.batches import BatchTiming
    from mockfiles.errors import APIError

    if isinstance(value, BatchTiming):
        return value
    if not isinstance(value, Mapping):
        raise ValueError("")
    try:
        BatchTiming().replace(value)
    except APIError as error:  # an unknown phase or a bad number
        raise ValueError(error.message) from None
    return value


def batch_responder(value: Any) -> Any:
    from mockfiles.batch_responses import NAMED_RESPONDERS

    if callable(value) or (isinstance(value, str) and value in NAMED_RESPONDERS):
        return value
    raise ValueError("")


def hosts(value: Any) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else list(value)
    hosts = tuple(item.strip() for item in items if str(item).strip())
    for host in hosts:
        name, _, port = host.partition(":")
        if not name or any(c.isspace() or c == "/" for c in name) or (port and not port.isdigit()):
            raise ValueError(f"{host!r} is not a host")
    return hosts


def header_text(value: Any) -> str:
    """Text that can travel in an HTTP header (keys, organizations and projects do)."""
    from mockfiles.errors import APIError
    from mockfiles.keys import header_safe

    if not isinstance(value, str):
        raise ValueError("")
    try:
        return header_safe(value, "value")
    except APIError:
        raise ValueError("") from None


def time(value: Any) -> Any:
    from datetime import datetime

    from mockfiles.clock import Clock

    if isinstance(value, bool) or not isinstance(value, (datetime, int, float, str)):
        raise ValueError("")
    Clock(value)  # raises ValueError for a string that is not a time, or a time out of range
    return value


def limits(value: Any) -> Any:
    from mockfiles.errors import APIError
    from mockfiles.limits import Limits

    if isinstance(value, Limits):
        return value
    if not isinstance(value, Mapping):
        raise ValueError("")
    try:
        Limits().replace(value)
    except APIError as error:
        raise ValueError(error.message) from None
    return value


def keys(value: Any) -> Any:
    from mockfiles.errors import APIError
    from mockfiles.keys import KeyRing

    if not isinstance(value, Mapping):
        raise ValueError("")
    ring = KeyRing()
    for key, grant in value.items():
        if not isinstance(key, str) or not isinstance(grant, (str, Mapping)):
            raise ValueError(f"key {key!r}")
        project = grant if isinstance(grant, str) else grant.get("project", "proj_x")
        organization = "org-x" if isinstance(grant, str) else grant.get("organization", "org-x")
        unknown = set() if isinstance(grant, str) else set(grant) - {"project", "organization"}
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)} for key {key!r}")
        try:
            ring.add(key, project, organization)
        except APIError as error:
            raise ValueError(error.message) from None
    return value


def faults(value: Any) -> Any:
    from mockfiles.errors import APIError
    from mockfiles.faults import FaultPlan

    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        raise ValueError("")
    plan = FaultPlan(0)
    for rule in value:
        try:
            if isinstance(rule, str):
                plan.add_spec(rule)
            elif isinstance(rule, Mapping):
                plan.add(**rule)
            else:
                raise ValueError("")
        except APIError as error:
            raise ValueError(error.message) from None
        except TypeError as error:
            raise ValueError(str(error)) from None
    return value
