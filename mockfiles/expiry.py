"""When a file expires: the purpose's default, or the ``expires_after`` the client asked for.

The real API documents the rules (``FileExpirationAfter``: anchor ``created_at``, seconds from
3600 to 2592000; ``batch`` files expire after 30 days by default, others never) but not the
texts of its validation errors. The messages here follow the Python jsonschema style the real
API uses for its other validation errors (``'x' is not one of [...] - 'purpose'``), with the
field's dotted path as ``param``; that wording is inferred.
"""

from __future__ import annotations

from collections.abc import Mapping

from mockfiles.errors import InvalidRequest
from mockfiles.model import not_an_integer, parse_decimal

EXPIRES_AFTER_MIN = 3_600
EXPIRES_AFTER_MAX = 2_592_000
ANCHORS = ("created_at",)

#: Seconds after creation at which files of a purpose expire when the client sets nothing.
DEFAULT_LIFETIMES: Mapping[str, int] = {"batch": 2_592_000}


def expires_at(
    purpose: str, created_at: int, expires_after: Mapping[str, object] | None
) -> int | None:
    """The ``expires_at`` of a new file, or ``None`` when it never expires.

    ``expires_after`` holds ``anchor`` and ``seconds`` as sent (form fields arrive as text).
    Raises ``InvalidRequest`` naming the field at fault.
    """
    if expires_after:
        return created_at + _lifetime(expires_after)
    lifetime = DEFAULT_LIFETIMES.get(purpose)
    return None if lifetime is None else created_at + lifetime


def _lifetime(expires_after: Mapping[str, object]) -> int:
    for name in ("anchor", "seconds"):
        if name not in expires_after:
            raise InvalidRequest(
                f"'{name}' is a required property - 'expires_after'", param="expires_after"
            )
    anchor = expires_after["anchor"]
    if anchor not in ANCHORS:
        raise InvalidRequest(
            f"{anchor!r} is not one of {list(ANCHORS)!r} - 'expires_after.anchor'",
            param="expires_after.anchor",
        )
    seconds = _integer(expires_after["seconds"])
    if seconds < EXPIRES_AFTER_MIN:
        raise _seconds_error(f"{seconds} is less than the minimum of {EXPIRES_AFTER_MIN}")
    if seconds > EXPIRES_AFTER_MAX:
        raise _seconds_error(f"{seconds} is greater than the maximum of {EXPIRES_AFTER_MAX}")
    return seconds


def _integer(raw: object) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    value = parse_decimal(raw, max_length=31) if isinstance(raw, str) else None
    if value is not None:
        return value
    raise _seconds_error(not_an_integer(raw))


def _seconds_error(text: str) -> InvalidRequest:
    return InvalidRequest(f"{text} - 'expires_after.seconds'", param="expires_after.seconds")
