"""Re-sending the requests chaos failed, for the clients ``MockFiles.client()`` hands out.

Chaos (``docs/chaos.md``) fails a share of first attempts with retryable errors, to prove that
the code under test retries. A client the test takes from the facade without choosing its
retries is the test's own tool: it must see every fault the test injects, exactly as without
chaos (so the SDK does not retry), and none that chaos draws (so chaos never fails the test's
own steps). This transport sits below the SDK: it re-sends exactly the requests whose answer
carries the chaos header, as a retry would (``x-stainless-retry-count`` one higher, so the
journal counts it as the next attempt and chaos, which fails only first attempts, lets it
through), and hands every other answer and error up unchanged.

A test that passes ``max_retries`` itself gets no such transport: the SDK's own retries, as
given, meet chaos like any client of the code under test.
"""

from __future__ import annotations

import functools
from types import ModuleType
from typing import Any

from mockfiles.faults import CHAOS_HEADER

#: Chaos never fails a retry, so one re-send is all it takes; a few more cost nothing.
MAX_RESENDS = 3

_RETRY_COUNT = "x-stainless-retry-count"


def retrying_chaos(httpx: ModuleType, transport: Any, *, asynchronous: bool) -> Any:
    """``transport`` (an ``httpx`` or ``httpx2`` transport) behind a chaos re-sender."""
    sync_class, async_class = _classes(httpx)
    return (async_class if asynchronous else sync_class)(transport)


def _next_attempt(request: Any) -> None:
    raw = request.headers.get(_RETRY_COUNT, "0")
    tries = int(raw) if raw.isdigit() else 0
    request.headers[_RETRY_COUNT] = str(tries + 1)


@functools.cache
def _classes(httpx: ModuleType) -> tuple[type[Any], type[Any]]:
    class ChaosRetryingTransport(httpx.BaseTransport):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def handle_request(self, request: Any) -> Any:
            response = self.inner.handle_request(request)
            for _ in range(MAX_RESENDS):
                if CHAOS_HEADER not in response.headers:
                    break
                response.close()
                _next_attempt(request)
                response = self.inner.handle_request(request)
            return response

        def close(self) -> None:
            self.inner.close()

    class AsyncChaosRetryingTransport(httpx.AsyncBaseTransport):  # type: ignore[misc,name-defined]
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def handle_async_request(self, request: Any) -> Any:
            response = await self.inner.handle_async_request(request)
            for _ in range(MAX_RESENDS):
                if CHAOS_HEADER not in response.headers:
                    break
                await response.aclose()
                _next_attempt(request)
                response = await self.inner.handle_async_request(request)
            return response

        async def aclose(self) -> None:
            await self.inner.aclose()

    return ChaosRetryingTransport, AsyncChaosRetryingTransport
