"""Hermetic by default: the shell's OpenAI settings do not reach the fake, a test's changes to
them do not reach the next test, and no test reaches the real API."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

import mockfiles

#: What a developer's laptop typically exports.
SHELL = {
    "OPENAI_API_KEY": "sk-proj-Aq3xR8vT2mN5pL7kJ9hG4fD6sA1zX0cV",
    "OPENAI_ORG_ID": "org-mine",
    "OPENAI_PROJECT_ID": "proj_from_my_shell",
    "OPENAI_CUSTOM_HEADERS": "OpenAI-Project: proj_from_my_headers",
    "AZURE_OPENAI_ENDPOINT": "https://mine.openai.azure.com",
}


@pytest.fixture
def shell(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name, value in SHELL.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    return SHELL


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A local socket standing in for the real API's host: it must never be dialled."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        sock.settimeout(0.2)
        yield sock


def connections(sock: socket.socket) -> int:
    accepted = 0
    while True:
        try:
            conn, _ = sock.accept()
        except TimeoutError:
            return accepted
        conn.close()
        accepted += 1


def test_the_shells_openai_settings_do_not_reach_the_fake(
    pytester: pytest.Pytester, shell: dict[str, str]
) -> None:
    pytester.makepyfile(
        """
        import os
        import openai
        import pytest

        @pytest.mark.mockfiles(keys={"sk-a": "proj_a"})
        def test_keys(mockfiles):
            client = openai.OpenAI()  # OPENAI_API_KEY is the fake's: the first of keys
            client.files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert mockfiles.usage().bytes == 3
            assert mockfiles.usage("proj_a").files == 1
            assert mockfiles.files()[0].bytes == 3

        def test_bare_client(mockfiles):
            assert os.environ["OPENAI_API_KEY"] == mockfiles.api_key
            for name in ("OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS",
                         "AZURE_OPENAI_ENDPOINT"):
                assert name not in os.environ
            openai.OpenAI().files.create(file=("b.jsonl", b"{}\\n"), purpose="batch")
            [call] = mockfiles.calls()
            assert (call.status, call.project) == (200, "proj_mockfiles")

        def test_afterwards_the_shell_is_back():
            assert os.environ["OPENAI_ORG_ID"] == "org-mine"
            assert os.environ["OPENAI_API_KEY"].startswith("sk-proj-Aq3")
            assert "OPENAI_BASE_URL" not in os.environ
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_monkeypatched_openai_variables_never_leak_whatever_the_fixture_order(
    pytester: pytest.Pytester, shell: dict[str, str]
) -> None:
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.fixture
        def repointed(monkeypatch, mockfiles):  # a fixture built on top of the fake
            monkeypatch.setenv("OPENAI_BASE_URL", mockfiles.url + "/stale")
            yield
            os.environ["OPENAI_PROJECT_ID"] = "proj_left_behind"  # even without monkeypatch

        def test_monkeypatch_first(monkeypatch, mockfiles):
            monkeypatch.delenv("OPENAI_API_KEY")
            monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
            monkeypatch.setenv("OPENAI_ORG_ID", "org-test")

        def test_fixture_first(mockfiles, monkeypatch):
            monkeypatch.delenv("OPENAI_API_KEY")
            monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")

        def test_through_another_fixture(repointed):
            os.environ.pop("OPENAI_API_KEY")

        @pytest.mark.parametrize("n", range(2))
        def test_the_next_test_sees_the_shell(n):
            expected = {"OPENAI_ORG_ID": "org-mine", "OPENAI_PROJECT_ID": "proj_from_my_shell"}
            assert {name: os.environ.get(name) for name in expected} == expected
            assert os.environ["OPENAI_API_KEY"].startswith("sk-proj-Aq3")
            assert "OPENAI_BASE_URL" not in os.environ
        """
    )
    result = pytester.runpytest(
        "-p",
        "no:randomly",
        "-k",
        "monkeypatch_first or next or fixture_first or through",
    )
    result.assert_outcomes(passed=5)


GUARDED_CALL = """
import asyncio
import openai
import pytest

import mockfiles

def test_forgot_the_fixture():
    openai.OpenAI().files.list()

def test_async_client():
    async def main():
        async with openai.AsyncOpenAI() as client:
            await client.files.list()
    asyncio.run(main())

def test_code_that_swallows_everything():
    try:
        openai.OpenAI(max_retries=5).files.list()
    except BaseException:
        pass

def test_explicit_base_url_beside_the_fake(mockfiles):
    openai.OpenAI(base_url="https://api.openai.com/v1").files.list()

def test_the_sdks_default_host(monkeypatch):
    monkeypatch.delenv("OPENAI_BASE_URL")
    openai.OpenAI().files.list()

def test_azure():
    openai.AzureOpenAI(
        azure_endpoint="https://mine.openai.azure.com", api_key="k", api_version="2024-10-21"
    ).files.list()
"""


def test_a_request_to_the_real_api_fails_at_once_and_dials_nothing(
    pytester: pytest.Pytester, shell: dict[str, str], listener: socket.socket
) -> None:
    port = listener.getsockname()[1]
    pytester.makeini(
        f"[pytest]\nmockfiles_real_api_hosts = api.openai.com *.openai.azure.com 127.0.0.1:{port}\n"
    )
    pytester.makepyfile(GUARDED_CALL)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
        result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=6)
    message = "mockfiles blocked a request to the real OpenAI API from test_a_request_to_"
    for name in ("forgot_the_fixture", "async_client", "code_that_swallows_everything"):
        result.stdout.fnmatch_lines(
            [f"*{message}*.py::test_{name}: GET http://127.0.0.1:{port}/v1/files.*"]
        )
    for name, url in [
        ("explicit_base_url_beside_the_fake", "https://api.openai.com"),
        ("the_sdks_default_host", "https://api.openai.com"),
        ("azure", "https://mine.openai.azure.com"),
    ]:
        result.stdout.fnmatch_lines([f"*::test_{name}: GET {url}/*files.*"])
    result.stdout.fnmatch_lines(["*Use the `mockfiles` fixture*mockfiles_block_real_api = false*"])
    assert "Connection error" not in result.stdout.str()  # no retries, no wrapping
    assert connections(listener) == 0


@pytest.mark.parametrize("opt_out", ["ini", "marker"])
def test_the_guard_can_be_turned_off(
    pytester: pytest.Pytester, listener: socket.socket, opt_out: str
) -> None:
    port = listener.getsockname()[1]
    ini = f"mockfiles_real_api_hosts = 127.0.0.1:{port}\n"
    marker = ""
    if opt_out == "ini":
        ini += "mockfiles_block_real_api = false\n"
    else:
        marker = "@pytest.mark.mockfiles(block_real_api=False)"
    pytester.makeini("[pytest]\n" + ini)
    pytester.makepyfile(
        f"""
        import openai
        import pytest

        {marker}
        def test_reaches_the_host():
            with pytest.raises(openai.APITimeoutError):
                openai.OpenAI(
                    api_key="sk-x", base_url="http://127.0.0.1:{port}/v1",
                    timeout=0.2, max_retries=0,
                ).files.list()
        """
    )
    # In a process of its own: an in-process run shares this one's modules, and a socket
    # client's error handling imported by an earlier in-process run would not be the SDK's.
    pytester.runpytest_subprocess("-p", "no:randomly").assert_outcomes(passed=1)
    assert connections(listener) == 1  # the guard, not luck, kept the other tests off it


def test_a_client_built_at_import_time_reaches_each_tests_fake(
    pytester: pytest.Pytester, shell: dict[str, str]
) -> None:
    pytester.makeini("[pytest]\nmockfiles_session_environment = true\n")
    pytester.makepyfile(
        """
        import openai

        CLIENT = openai.OpenAI()  # built at import, while pytest collects

        def test_first(mockfiles):
            CLIENT.files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert [f.filename for f in mockfiles.files()] == ["a.jsonl"]

        def test_second_gets_a_fresh_fake(mockfiles):
            assert CLIENT.files.list().data == []
            CLIENT.files.create(file=("b.jsonl", b"{}\\n"), purpose="batch")
            assert [f.filename for f in mockfiles.files()] == ["b.jsonl"]
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
    assert sys.modules["os"].environ["OPENAI_ORG_ID"] == "org-mine"  # restored at unconfigure


def test_respx_and_mockfiles_share_a_run(pytester: pytest.Pytester) -> None:
    pytest.importorskip("respx")
    pytester.makepyfile(
        """
        import httpx
        import openai

        def test_respx_only(respx_mock):
            respx_mock.get("https://example.test/ping").respond(204)
            assert httpx.get("https://example.test/ping").status_code == 204

        def test_mockfiles_only(mockfiles):
            openai.OpenAI().files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert mockfiles.usage().files == 1

        def test_both(respx_mock, mockfiles):
            respx_mock.get("https://example.test/ping").respond(204)
            route = respx_mock.get("https://api.openai.com/v1/models").respond(
                json={"object": "list", "data": []}
            )
            # httpx (openai 2.x's library) to the fake: respx lets it pass through.
            listed = httpx.get(
                mockfiles.url + "/files", headers={"Authorization": "Bearer sk-x"}
            )
            assert listed.json()["object"] == "list"
            # The SDK to the fake (on openai 3.x respx does not see httpx2 at all).
            openai.OpenAI().files.create(file=("a.jsonl", b"{}\\n"), purpose="batch")
            assert httpx.get("https://example.test/ping").status_code == 204
            # A route respx answers never reaches the guard.
            assert httpx.get("https://api.openai.com/v1/models").json()["data"] == []
            assert route.called and mockfiles.usage().files == 1
        """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=3)


def test_importing_the_plugin_imports_nothing_heavy_and_the_guard_patches_on_import() -> None:
    heavy = ["werkzeug", "pytest_httpserver", "mockfiles.http", "mockfiles.facade", "httpx"]
    heavy += ["httpx2", "httpcore", "httpcore2", "openai", "mockfiles.server", "respx"]
    code = f"""
import sys, mockfiles.conftest_plugin
print([name for name in {heavy!r} if name in sys.modules])
from mockfiles import guard
guard.install()
import importlib, importlib.util
pools = [importlib.import_module(name) for name in ("httpcore", "httpcore2")
         if importlib.util.find_spec(name)]  # openai 2.x has no httpcore2, 3.x maybe no httpcore
import respx.mocks  # imported after install: patched as it loads, like the pools
print(len(pools) >= 1,
      all(getattr(p.ConnectionPool.handle_request, "_mockfiles_guard", False) for p in pools),
      all(getattr(p.AsyncConnectionPool.handle_async_request, "_mockfiles_guard", False)
          for p in pools),
      getattr(respx.mocks.Mocker, "_mockfiles_guard", False))
"""
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines() == ["[]", "True True True True"]


@pytest.mark.parametrize("in_process", [False, True])
def test_the_facades_clients_outside_the_fixture_ignore_the_shells_scope(
    monkeypatch: pytest.MonkeyPatch, in_process: bool
) -> None:
    # Outside the fixture nothing clears the shell: the facade's own clients must still not
    # send its organization (a 401 for a registered key) nor act in its project.
    monkeypatch.setenv("OPENAI_ORG_ID", "org-from-the-shell")
    monkeypatch.setenv("OPENAI_PROJECT_ID", "proj_from_the_shell")
    with mockfiles.serve(keys={"sk-a": "proj_a"}) as mock:
        with mock.client(in_process=in_process) as client:
            client.files.create(file=("a.jsonl", b"{}\n"), purpose="batch")
        with mock.client(in_process=in_process, project="proj_a") as client:
            client.files.list()

        async def listed() -> None:
            async with mock.async_client(in_process=in_process) as client:
                await client.files.list()

        asyncio.run(listed())
    assert mock.usage("proj_a").files == 1
    assert [call.headers.get("openai-project") for call in mock.calls()] == [None, "proj_a", None]
    assert all("openai-organization" not in call.headers for call in mock.calls())


def test_the_facades_clients_leave_out_a_shells_custom_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "OPENAI_CUSTOM_HEADERS", "OpenAI-Project: proj_shell\nAuthorization: Bearer sk-shell"
    )
    mock = mockfiles.MockFiles(keys={"sk-a": "proj_a"})
    with mock.client(in_process=True) as client:
        client.files.create(file=b"{}\n", purpose="batch")
    with mock.client(in_process=True, default_headers={"OpenAI-Project": "proj_a"}) as client:
        client.files.list()
    assert [(call.status, call.project) for call in mock.calls()] == [
        (200, "proj_a"),
        (200, "proj_a"),
    ]
