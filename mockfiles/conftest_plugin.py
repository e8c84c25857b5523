"""The pytest plugin: the ``mockfiles`` fixture, the ``mockfiles`` marker and the seed.

One server per session (per xdist worker), started on first use; every test gets a fresh
``MockFiles`` attached to it, so nothing leaks from one test to the next. While the test runs,
``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` point at the fake, so code that builds
``openai.OpenAI()`` itself reaches it unchanged.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Generator, Iterator, Mapping
from typing import Any

import pytest

from mockfiles import tls
from mockfiles.facade import MockFiles
from mockfiles.server import MockServer

#: Environment variables the official SDKs read, set to the fake for the test's duration.
ENV_BASE_URL = "OPENAI_BASE_URL"
ENV_API_KEY = "OPENAI_API_KEY"

_SEED_KEY = pytest.StashKey[int]()
_SESSION_KEY = pytest.StashKey["FixtureSession"]()
_MOCK_KEY = pytest.StashKey[MockFiles]()


class FixtureSession:
    """The session's server and the per-test life cycle of a fake on it.

    Separate from the fixtures so the per-test cost can be measured (``bench/``) and kept
    small: attaching a fresh fake and setting two environment variables.
    """

    def __init__(self) -> None:
        self._server: MockServer | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def server(self) -> MockServer:
        if self._server is None:
            self._server = MockServer()
            self._server.start()
        return self._server

    def begin_test(self, options: Mapping[str, Any]) -> MockFiles:
        mock = MockFiles(**options)
        self.server.attach(mock)
        self._saved_env = {name: os.environ.get(name) for name in (ENV_BASE_URL, ENV_API_KEY)}
        os.environ[ENV_BASE_URL] = mock.url
        os.environ[ENV_API_KEY] = mock.api_key
        tls.reuse_verifying_contexts()  # user-built clients skip loading certificates again
        return mock

    def end_test(self, mock: MockFiles) -> None:
        """Detach the fake and restore the environment; then fail if the fake had a bug."""
        if self._server is not None:
            self._server.detach()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}
        tls.stop_reusing_verifying_contexts()
        mock.close()
        mock.check()

    def close(self) -> None:
        if self._server is not None and self._server.is_running():
            self._server.stop()
        self._server = None


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockfiles", "mockfiles: a fake of OpenAI's Files API")
    group.addoption(
        "--mockfiles-seed",
        type=int,
        default=None,
        help="seed for the fakes' ids and random faults; printed in the header",
    )
    group.addoption(
        "--mockfiles-chaos",
        type=float,
        default=None,
        metavar="RATE",
        help="fail this share of every fake's first attempts with random retryable errors",
    )
    parser.addini(
        "mockfiles_chaos", "default for --mockfiles-chaos (0 = off)", type="string", default="0"
    )
    parser.addini(
        "mockfiles_seed", "default for --mockfiles-seed (empty = random)", type="string", default=""
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "mockfiles(**options): options for this test's MockFiles fake "
        "(seed, organization, project, api_key, now)",
    )
    seed = config.getoption("mockfiles_seed")
    if seed is None and str(config.getini("mockfiles_seed")).strip():
        try:
            seed = int(str(config.getini("mockfiles_seed")).strip())
        except ValueError:
            raise pytest.UsageError(
                "the mockfiles_seed ini option must be a whole number"
            ) from None
    worker_input = getattr(config, "workerinput", None)
    if seed is None and worker_input is not None and "mockfiles_seed" in worker_input:
        seed = int(worker_input["mockfiles_seed"])
    config.stash[_SEED_KEY] = seed if seed is not None else secrets.randbits(32)
    config.stash[_SESSION_KEY] = FixtureSession()


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker uses the controller's seed, so the header's seed is the
    one that reproduces a run."""
    node.workerinput["mockfiles_seed"] = node.config.stash[_SEED_KEY]


def pytest_report_header(config: pytest.Config) -> str:
    seed = config.stash[_SEED_KEY]
    chaos = _chaos(config)
    header = f"mockfiles: seed {seed} (reproduce with --mockfiles-seed={seed})"
    return header + (f", chaos {chaos:g}" if chaos else "")


def _chaos(config: pytest.Config) -> float:
    rate = config.getoption("mockfiles_chaos")
    if rate is None:
        rate = float(config.getini("mockfiles_chaos") or 0)
    if not 0 <= rate <= 1:
        raise pytest.UsageError(f"--mockfiles-chaos must be between 0 and 1, not {rate}")
    return float(rate)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test that used the fake gets a "mockfiles" report section: its journal."""
    report = yield
    mock = item.stash.get(_MOCK_KEY, None)
    if mock is not None and report.failed:
        report.sections.append(("mockfiles: requests the fake answered", mock.journal.table()))
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()


def test_seed(config: pytest.Config, nodeid: str) -> int:
    """The seed of one test's fake: fixed by the session seed and the test's id, so a test
    gets the same ids whether it runs alone, in a different order or on another worker."""
    digest = hashlib.sha256(f"{config.stash[_SEED_KEY]}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


test_seed.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    options: dict[str, Any] = {}
    # Closest marker first: a test's own marker wins over its class's and module's.
    for marker in node.iter_markers("mockfiles"):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.mockfiles takes keyword arguments only, got {marker.args!r}",
                pytrace=False,
            )
        for name, value in marker.kwargs.items():
            options.setdefault(name, value)
    return options


@pytest.fixture(scope="session")
def mockfiles_server(pytestconfig: pytest.Config) -> MockServer:
    """The session's HTTP server (one per xdist worker); each test attaches its own fake."""
    return pytestconfig.stash[_SESSION_KEY].server


@pytest.fixture
def mockfiles(request: pytest.FixtureRequest, mockfiles_server: MockServer) -> Iterator[MockFiles]:
    """A fresh, empty fake of OpenAI's Files API, served for this test.

    Options come from ``@pytest.mark.mockfiles(...)``. A bug inside the fake fails the test at
    teardown, naming the request.
    """
    session = request.config.stash[_SESSION_KEY]
    options = _marker_options(request.node)
    options.setdefault("seed", test_seed(request.config, request.node.nodeid))
    options.setdefault("chaos", _chaos(request.config))
    mock = session.begin_test(options)
    request.node.stash[_MOCK_KEY] = mock
    yield mock
    session.end_test(mock)
