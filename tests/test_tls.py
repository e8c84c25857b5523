"""While the fixture is active, clients the test builds itself share one verifying SSL context,
and still refuse a certificate they do not trust: a local TLS server, no external network."""

from __future__ import annotations

import asyncio
import contextvars
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from mockfiles import MockFiles, tls

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")

LIST_BODY = b'{"object":"list","data":[],"first_id":null,"last_id":null,"has_more":false}'


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A self-signed certificate (and its key) for 127.0.0.1, made for this run."""
    pem = tmp_path_factory.mktemp("tls") / "self-signed.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        + ["-nodes", "-days", "2", "-subj", "/CN=127.0.0.1"]
        + ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(pem), "-out", str(pem)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return pem


@pytest.fixture
def tls_server(certificate: Path) -> Iterator[tuple[int, list[str | None]]]:
    """An HTTPS server on 127.0.0.1 that answers any request with an empty file list; also
    yields the ALPN protocol each handshake settled on."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate)
    context.set_alpn_protocols(["h2", "http/1.1"])
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    chosen: list[str | None] = []
    stopping = threading.Event()

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            if stopping.is_set():
                connection.close()
                return
            connection.settimeout(10)
            try:
                with context.wrap_socket(connection, server_side=True) as secure:
                    chosen.append(secure.selected_alpn_protocol())
                    request = b""
                    while b"\r\n\r\n" not in request and (data := secure.recv(65536)):
                        request += data
                    if request:
                        secure.sendall(
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                            b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                            % (len(LIST_BODY), LIST_BODY)
                        )
            except (OSError, ssl.SSLError):
                pass  # the client refused the certificate: what the tests want to see

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    yield port, chosen
    stopping.set()
    socket.create_connection(("127.0.0.1", port)).close()  # wakes the accept() to stop
    thread.join(10)
    listener.close()


def verification_failed(error: BaseException) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def ssl_context_of(client: openai.OpenAI | openai.AsyncOpenAI) -> Any:
    return client._client._transport._pool._ssl_context  # type: ignore[attr-defined]


def test_user_built_clients_share_one_verifying_context_while_the_fixture_is_active(
    mockfiles: MockFiles,
) -> None:
    first, second = openai.OpenAI(), openai.OpenAI()
    shared = ssl_context_of(first)
    assert shared is ssl_context_of(second)
    assert isinstance(shared, tls.SharedContext)
    assert shared.verify_mode == ssl.CERT_REQUIRED
    assert shared.check_hostname
    assert ssl_context_of(openai.AsyncOpenAI()) is shared
    # They reach the fake as before.
    assert second.files.list().data == []
    # A context the caller chose is left alone.
    own = ssl.create_default_context()
    assert ssl_context_of(openai.OpenAI(http_client=openai.DefaultHttpxClient(verify=own))) is own
    tls.stop_reusing_verifying_contexts()
    assert ssl_context_of(openai.OpenAI()) is not shared


def test_a_user_built_client_still_refuses_an_untrusted_certificate(
    mockfiles: MockFiles, tls_server: tuple[int, list[str | None]], certificate: Path
) -> None:
    port, _ = tls_server
    url = f"https://127.0.0.1:{port}/v1"
    client = openai.OpenAI(base_url=url, max_retries=0)
    assert isinstance(ssl_context_of(client), tls.SharedContext)
    with pytest.raises(openai.APIConnectionError) as raised:
        client.files.list()
    assert verification_failed(raised.value), raised.value
    # The server itself is fine: a client that trusts its certificate gets the answer.
    trusting = openai.DefaultHttpxClient(verify=ssl.create_default_context(cafile=certificate))
    assert openai.OpenAI(base_url=url, http_client=trusting).files.list().data == []


def test_an_async_user_built_client_still_refuses_an_untrusted_certificate(
    mockfiles: MockFiles, tls_server: tuple[int, list[str | None]]
) -> None:
    port, _ = tls_server

    async def attempt() -> BaseException:
        async with openai.AsyncOpenAI(
            base_url=f"https://127.0.0.1:{port}/v1", max_retries=0
        ) as client:
            assert isinstance(ssl_context_of(client), tls.SharedContext)
            with pytest.raises(openai.APIConnectionError) as raised:
                await client.files.list()
            return raised.value

    assert verification_failed(asyncio.run(attempt()))


def test_each_caller_offers_its_own_alpn_protocols_through_a_shared_context(
    tls_server: tuple[int, list[str | None]], certificate: Path
) -> None:
    port, _ = tls_server
    shared = tls.SharedContext.adopt(ssl.create_default_context(cafile=certificate))
    http2, http1 = contextvars.copy_context(), contextvars.copy_context()
    # As httpcore does: set the protocols, then connect. The HTTP/1.1 client sets its own
    # in between; on a plain shared context, the last one set would win for both.
    http2.run(shared.set_alpn_protocols, ["http/1.1", "h2"])
    http1.run(shared.set_alpn_protocols, ["http/1.1"])

    def handshake() -> str | None:
        with (
            socket.create_connection(("127.0.0.1", port)) as raw,
            shared.wrap_socket(raw, server_hostname="127.0.0.1") as secure,
        ):
            return secure.selected_alpn_protocol()

    assert http2.run(handshake) == "h2"
    # What the client's handshake settled on (the server's record of it may come later).
    assert http1.run(handshake) == "http/1.1"
