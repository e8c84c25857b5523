"""One verifying SSL context for the HTTP clients built while a fake is served.

Every ``httpx.Client`` (and ``httpx2.Client``) builds an SSL context and loads the trusted
certificates into it: 40-75 ms on this project's machines, paid by every ``openai.OpenAI()``
a test builds itself, though the fake's URL is plain http. While the plugin's fixture is
active, ``reuse_verifying_contexts()`` makes the transports' ``create_ssl_context`` hand out
one context per configuration instead, built once by the library's own function: the same
trust store, the same verification (``CERT_REQUIRED``, host names checked). Contexts given by
the caller (``verify=<ctx>``, a CA file, ``verify=False``, a client certificate) are untouched.

A shared context has one catch: httpcore sets the ALPN protocols on the context itself before
each TLS connection (``h2`` only for HTTP/2 clients), so two clients could race on it. The
shared context keeps each caller's ALPN choice per task and thread (a ``ContextVar``) and
applies it, under a lock, when it wraps the socket: each connection offers what its own
client asked for.
"""

from __future__ import annotations

import contextvars
import os
import ssl
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

#: Where each HTTP library's transports look ``create_ssl_context`` up when they are built.
_TRANSPORT_MODULES = ("httpx2._transports.default", "httpx._transports.default")

#: Environment variables the libraries read when they build a verifying context.
_TRUST_ENV_VARIABLES = ("SSL_CERT_FILE", "SSL_CERT_DIR", "SSLKEYLOGFILE")


class SharedContext(ssl.SSLContext):
    """An ``ssl.SSLContext`` shared by many clients, whose ALPN protocols belong to each
    caller, not to the context."""

    _wrap_lock: threading.Lock
    _alpn: contextvars.ContextVar[tuple[str, ...]]

    @classmethod
    def adopt(cls, context: ssl.SSLContext) -> SharedContext:
        """Turn a plain ``ssl.SSLContext`` into a shared one, keeping all its settings."""
        if type(context) is not ssl.SSLContext:
            raise TypeError(f"only a plain ssl.SSLContext can be shared, not {type(context)}")
        context.__class__ = cls
        shared: SharedContext = context  # type: ignore[assignment]
        shared._wrap_lock = threading.Lock()
        shared._alpn = contextvars.ContextVar(f"mockfiles-alpn-{id(shared)}", default=())
        return shared

    def set_alpn_protocols(self, alpn_protocols: Iterable[str]) -> None:
        self._alpn.set(tuple(alpn_protocols))

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        with self._wrap_lock:
            # OpenSSL copies the context's ALPN list into the connection as it is created.
            super().set_alpn_protocols(self._alpn.get())
            return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        with self._wrap_lock:
            super().set_alpn_protocols(self._alpn.get())
            return super().wrap_bio(*args, **kwargs)


#: The shared contexts, by library function and configuration; kept for the whole process,
#: so each costs its certificate loading once.
_shared: dict[tuple[Any, ...], SharedContext] = {}
_lock = threading.Lock()
#: The library functions replaced while reuse is on, by module.
_originals: dict[str, Callable[..., Any]] = {}


def _reusing(original: Callable[..., Any]) -> Callable[..., Any]:
    def create_ssl_context(
        verify: Any = True, cert: Any = None, trust_env: bool = True, **kwargs: Any
    ) -> Any:
        if verify is not True or cert or kwargs:
            return original(verify=verify, cert=cert, trust_env=trust_env, **kwargs)
        environment = tuple(os.environ.get(name) for name in _TRUST_ENV_VARIABLES)
        key = (original, bool(trust_env), environment if trust_env else None)
        with _lock:
            shared = _shared.get(key)
            if shared is None:
                context = original(verify=True, cert=None, trust_env=trust_env)
                if type(context) is not ssl.SSLContext:
                    return context  # truststore's or another kind: built per client, as before
                shared = _shared[key] = SharedContext.adopt(context)
        return shared

    create_ssl_context.mockfiles_reusing = original  # type: ignore[attr-defined]
    return create_ssl_context


def reuse_verifying_contexts() -> None:
    """From now on, clients of the loaded httpx/httpx2 share one verifying context per
    configuration (the plugin calls this as each test starts)."""
    for name in _TRANSPORT_MODULES:
        module = sys.modules.get(name)
        current = getattr(module, "create_ssl_context", None)
        if module is None or current is None or hasattr(current, "mockfiles_reusing"):
            continue
        _originals[name] = current
        vars(module)["create_ssl_context"] = _reusing(current)


def stop_reusing_verifying_contexts() -> None:
    """Put the libraries' own ``create_ssl_context`` back (the plugin calls this after each
    test). The contexts built so far stay cached for the next test."""
    for name, original in list(_originals.items()):
        module = sys.modules.get(name)
        current = getattr(module, "create_ssl_context", None)
        if module is not None and getattr(current, "mockfiles_reusing", None) is original:
            vars(module)["create_ssl_context"] = original
        del _originals[name]
