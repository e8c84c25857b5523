"""The objects of the Batches API as plain data: the Batch, a page of them, how long each phase
lasts, and the errors of retrieve and cancel."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from mockfiles.batch_lines import LineError
from mockfiles.errors import APIError, InvalidRequest


@dataclass(frozen=True)
class BatchTiming:
    """Seconds of the fake's clock each phase lasts. The defaults are short, so a test moves
    the clock a few seconds to complete a batch; ``0`` everywhere completes a batch as soon
    as it is read after its creation. (Real medians: 1 s validating, 114 s in progress, 1 s
    finalizing, about 605 s cancelling.)"""

    validating: int = 1
    in_progress: int = 2
    finalizing: int = 1
    cancelling: int = 1

    @property
    def total(self) -> int:
        """Seconds from creation to completion."""
        return self.validating + self.in_progress + self.finalizing

    def replace(self, changes: Mapping[str, object]) -> BatchTiming:
        names = {f.name for f in dataclasses.fields(self)}
        for name, value in changes.items():
            if name not in names:
                raise InvalidRequest(f"Unknown batch phase {name!r}; known: {sorted(names)}.")
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidRequest(
                    f"The phase {name!r} must last a whole number of seconds >= 0."
                )
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Batch:
    """A Batch as the API describes it; every key is always present in its JSON form."""

    id: str
    endpoint: str
    input_file_id: str
    completion_window: str
    created_at: int
    expires_at: int
    status: str = "validating"
    model: str | None = None
    errors: tuple[LineError, ...] | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    in_progress_at: int | None = None
    finalizing_at: int | None = None
    completed_at: int | None = None
    failed_at: int | None = None
    expired_at: int | None = None
    cancelling_at: int | None = None
    cancelled_at: int | None = None
    request_counts: tuple[int, int, int] = (0, 0, 0)  # total, completed, failed
    usage: tuple[int, int] = (0, 0)  # input tokens, output tokens
    metadata: Mapping[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        total, completed, failed = self.request_counts
        tokens_in, tokens_out = self.usage
        return {  # the real key order
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "model": self.model,
            "errors": None
            if self.errors is None
            else {"object": "list", "data": [e.to_dict() for e in self.errors]},
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "in_progress_at": self.in_progress_at,
            "expires_at": self.expires_at,
            "finalizing_at": self.finalizing_at,
            "completed_at": self.completed_at,
            "failed_at": self.failed_at,
            "expired_at": self.expired_at,
            "cancelling_at": self.cancelling_at,
            "cancelled_at": self.cancelled_at,
            "request_counts": {"total": total, "completed": completed, "failed": failed},
            "usage": {
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
                "total_tokens": tokens_in + tokens_out,
                "input_tokens_details": {"cached_tokens": 0},
                "output_tokens_details": {"reasoning_tokens": 0},
            },
            "metadata": None if self.metadata is None else dict(self.metadata),
        }


@dataclass(frozen=True)
class BatchPage:
    data: list[Batch]
    has_more: bool

    def to_dict(self) -> dict[str, Any]:
        return {  # the real key order, which differs from the files list's
            "object": "list",
            "data": [b.to_dict() for b in self.data],
            "first_id": self.data[0].id if self.data else None,
            "last_id": self.data[-1].id if self.data else None,
            "has_more": self.has_more,
        }


class BatchNotFound(APIError):
    """A batch id the caller's project has none of. "No batch found" and the code are
    reported by users; the rest of the wording and ``param`` are inferred."""

    status = 404
    code = "batch_not_found"
    with_detail = False

    def __init__(self, batch_id: str) -> None:
        super().__init__(f"No batch found with id '{batch_id}'.")


class CannotCancel(APIError):
    """Cancel of a batch that is done: the real 409, verbatim."""

    status = 409
    with_detail = False

    def __init__(self, status: str) -> None:
        super().__init__(f"Cannot cancel a batch with status '{status}'.")
