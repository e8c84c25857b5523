"""Official ``openai`` clients pointed at a fake, over a socket or in-process.

openai 3.x speaks through ``httpx2``, the 1.x and 2.x lines through ``httpx``; the module is
found from the SDK itself (``in_process.sdk_httpx``), so one code path serves both. In-process,
requests go straight into the fake's WSGI app (``mockfiles.in_process``).
"""

from __future__ import annotations

import functools
import os
import ssl
from typing import TYPE_CHECKING, Any, TypeVar

from mockfiles.chaos_retry import retrying_chaos

# The in-process transport lives in ``in_process``; these names stay importable from here.
from mockfiles.in_process import in_process_transport as in_process_transport
from mockfiles.in_process import sdk_httpx as sdk_httpx

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from openai import AsyncOpenAI, OpenAI

#: The base URL of in-process clients. The host is never resolved: the transport hands the
#: request to the app directly.
IN_PROCESS_BASE_URL = "http://mockfiles.in-process/v1"


def _http_client_for(
    base_url: str | None, app: WSGIApplication, asynchronous: bool, retry_chaos: bool
) -> Any:
    """The SDK's default HTTP client, in-process into ``app`` when ``base_url`` is ``None``;
    with ``retry_chaos``, one that re-sends the requests chaos failed (``chaos_retry``)."""
    import openai

    factory = openai.DefaultAsyncHttpxClient if asynchronous else openai.DefaultHttpxClient
    if base_url is None:
        client = factory(transport=in_process_transport(app, asynchronous=asynchronous))
    else:
        # Plain HTTP to loopback: no certificates to load (loading them costs ~40 ms), and one
        # context for every client rather than a new one each (~0.6 ms).
        client = factory(verify=_unverified_context())
    if retry_chaos:
        # The client's own transport, wrapped where it stands: its pool keeps the SDK's limits.
        client._transport = retrying_chaos(
            sdk_httpx(), client._transport, asynchronous=asynchronous
        )
    return client


@functools.cache
def _unverified_context() -> ssl.SSLContext:
    """What ``verify=False`` builds, once: never used for the fake's plain http, it only
    spares each client building its own."""
    from mockfiles.tls import SharedContext

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return SharedContext.adopt(context)


def make_client(
    *,
    base_url: str | None,
    app: WSGIApplication,
    api_key: str,
    strict: bool,
    retry_chaos: bool = False,
    **kwargs: Any,
) -> OpenAI:
    """A sync client: over a socket to ``base_url``, or in-process into ``app`` when
    ``base_url`` is ``None``. An ``http_client`` given in ``kwargs`` is used as it is."""
    import openai

    if "http_client" not in kwargs:
        kwargs["http_client"] = _http_client_for(base_url, app, False, retry_chaos)
    _without_shell_headers(api_key, kwargs)
    return _scoped_as_given(
        openai.OpenAI(
            api_key=api_key,
            base_url=base_url or IN_PROCESS_BASE_URL,
            _strict_response_validation=strict,
            **kwargs,
        ),
        kwargs,
    )


def make_async_client(
    *,
    base_url: str | None,
    app: WSGIApplication,
    api_key: str,
    strict: bool,
    retry_chaos: bool = False,
    **kwargs: Any,
) -> AsyncOpenAI:
    """The async twin of ``make_client``."""
    import openai

    if "http_client" not in kwargs:
        kwargs["http_client"] = _http_client_for(base_url, app, True, retry_chaos)
    _without_shell_headers(api_key, kwargs)
    return _scoped_as_given(
        openai.AsyncOpenAI(
            api_key=api_key,
            base_url=base_url or IN_PROCESS_BASE_URL,
            _strict_response_validation=strict,
            **kwargs,
        ),
        kwargs,
    )


_Client = TypeVar("_Client", "OpenAI", "AsyncOpenAI")


def _without_shell_headers(api_key: str, kwargs: dict[str, Any]) -> None:
    """Headers the SDK would take from ``OPENAI_CUSTOM_HEADERS`` (a shell's ``OpenAI-Project``,
    ``Authorization``...) left out, unless the caller gives them: outside the fixture (which
    clears the variable) they would send the fake's requests somewhere the test never named."""
    import openai

    shell = os.environ.get("OPENAI_CUSTOM_HEADERS")
    if not shell:
        return
    names = {line.partition(":")[0].strip() for line in shell.split("\n") if ":" in line}
    given = dict(kwargs.get("default_headers") or {})
    unset: dict[str, Any] = {name: openai.Omit() for name in names if name}
    # An explicit Authorization makes the SDK drop the shell's; it is the key's own.
    unset["Authorization"] = f"Bearer {api_key}"
    kwargs["default_headers"] = {**unset, **given}


def _scoped_as_given(client: _Client, kwargs: dict[str, Any]) -> _Client:
    """The client, sending an organization or project only when the caller named one. The SDK
    takes ``OPENAI_ORG_ID`` / ``OPENAI_PROJECT_ID`` from the environment otherwise: outside
    the fixture (which clears them) a shell's values would send the fake's key to a foreign
    organization (401) or act in a project the test never named."""
    if kwargs.get("organization") is None:
        client.organization = None
    if kwargs.get("project") is None:
        client.project = None
    return client
