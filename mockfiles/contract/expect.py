"""What the checks assert with: exact errors, and exceptions caught without pytest (the
contract also runs as ``mockfiles verify``, where pytest is not driving)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

E = TypeVar("E", bound=BaseException)


def expect_error(
    call: Callable[[], object],
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    type: str = "invalid_request_error",
) -> dict[str, Any]:
    """Run an SDK call that must fail with exactly this error; returns the error object."""
    import openai

    error = raised(call, openai.APIStatusError)
    body = error.body
    assert error.status_code == status, f"status {error.status_code}, expected {status}"
    assert isinstance(body, dict), f"error body {body!r}"
    got = (body.get("message"), body.get("type"), body.get("param"), body.get("code"))
    assert got == (message, type, param, code), f"error {got!r}"
    return body


def raised(call: Callable[[], object], kind: type[E]) -> E:
    """The exception of ``kind`` that ``call`` raises; fails if it raises none."""
    try:
        call()
    except kind as error:
        return error
    raise AssertionError(f"expected {kind.__name__}, got a success")
