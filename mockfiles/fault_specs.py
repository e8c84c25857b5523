"""Fault rules written as text, and the checks of a rule's options.

A spec is ``OPERATIONS:ACTION[:NAME=VALUE,...]`` (``mockfiles serve --fault``, the marker's
``faults=``, the control plane). Options are checked when a rule is added, not when it fires.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mockfiles.errors import InvalidRequest


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


def check_options(given: Mapping[str, Any]) -> None:
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


def spec_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)


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
