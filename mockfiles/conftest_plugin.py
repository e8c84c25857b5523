"""The pytest plugin: the ``mockfiles`` fixture and marker, the options, the network guard.

One server per session (per xdist worker), started on first use; every test gets a fresh
``MockFiles`` attached to it, so nothing leaks from one test to the next. While a test that uses
the fake runs, the OpenAI environment variables point at it (the others the SDKs read are
removed), and after it they are exactly what they were, whatever the test did.

Importing this module imports neither werkzeug nor pytest-httpserver nor the app: an installed
plugin costs a run that never uses it nothing measurable (``bench/plugin_import.py``).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Generator, Iterator, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from mockfiles import environment
from mockfiles.guard import DEFAULT_HOSTS, GUARD, RealAPIRequestBlocked, blocked_message
from mockfiles.guard import install as install_guard
from mockfiles.options import BY_NAME, OPTIONS, OptionError, marker_line, marker_options

if TYPE_CHECKING:
    from mockfiles.facade import MockFiles
    from mockfiles.server import MockServer

#: Kept for code that imported them from here.
ENV_BASE_URL = environment.BASE_URL
ENV_API_KEY = environment.API_KEY

MARKER = "mockfiles"
FIXTURE = "mockfiles"


class Settings(dict[str, Any]):
    """The session's command-line and ini options by name, validated once at configure time
    (``None`` where neither sets one and the table gives no default). Options the facade
    takes are every test's defaults, below its marker; the others are the plugin's."""

    @property
    def seed(self) -> int:
        return int(self["seed"])

    @property
    def chaos(self) -> float:
        return float(self["chaos"] or 0.0)


_SETTINGS_KEY = pytest.StashKey[Settings]()
_SESSION_KEY = pytest.StashKey["FixtureSession"]()
_MOCK_KEY = pytest.StashKey["MockFiles"]()
_FAILED_KEY = pytest.StashKey[bool]()
_MARKER_OPTIONS_KEY = pytest.StashKey[dict[str, Any]]()
_SAVED_ENV_KEY = pytest.StashKey[dict[str, "str | None"]]()


class FixtureSession:
    """The session's server and the per-test life cycle of a fake on it.

    Separate from the fixtures so the per-test cost can be measured (``bench/``) and kept
    small: attaching a fresh fake and pointing the environment at it.
    """

    def __init__(self) -> None:
        self._server: MockServer | None = None
        self._saved_env: dict[str, str | None] = {}

    @property
    def server(self) -> MockServer:
        if self._server is None:
            from mockfiles.server import MockServer

            self._server = MockServer()
            self._server.start()
            address = urlsplit(self._server.base_url)
            GUARD.fakes.add(f"{address.hostname}:{address.port}")
        return self._server

    def begin_test(self, options: Mapping[str, Any]) -> MockFiles:
        from mockfiles.facade import MockFiles

        mock = MockFiles(**options)
        self.server.attach(mock)
        self._saved_env = environment.snapshot()
        environment.point_at(mock.url, mock.api_key)
        from mockfiles import tls

        tls.reuse_verifying_contexts()  # user-built clients skip loading certificates again
        return mock

    def end_test(self, mock: MockFiles) -> None:
        """Detach the fake and restore the environment; then fail if the fake had a bug."""
        if self._server is not None:
            self._server.detach()
        environment.restore(self._saved_env)
        self._saved_env = {}
        from mockfiles import tls

        tls.stop_reusing_verifying_contexts()
        mock.close()
        mock.check()

    def close(self) -> None:
        if self._server is not None and self._server.is_running():
            self._server.stop()
        self._server = None


# -- options -------------------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("mockfiles", "mockfiles: a fake of OpenAI's Files API")
    for option in OPTIONS:
        if option.cli:
            group.addoption(
                option.flag,
                dest=f"mockfiles_{option.name}",
                default=None,
                metavar=option.name.upper(),
                help=f"{option.help} ({option.allowed})",
            )
        if option.ini:
            parser.addini(
                option.ini_name,
                f"{option.help} ({option.allowed})",
                type=option.ini_type,  # type: ignore[arg-type]
                default=option.ini_default,
            )


def _setting(config: pytest.Config, name: str) -> Any:
    """An option's value: the command line's, else the ini file's, else ``None``; validated."""
    option = BY_NAME[name]
    if option.cli:
        raw = config.getoption(f"mockfiles_{name}")
        if raw is not None:
            return option.value(raw, f"the command-line option {option.flag}")
    if option.ini:
        raw = config.getini(option.ini_name)
        raw = " ".join(raw) if isinstance(raw, list) else raw  # quoted as it was written
        if raw != "":
            return option.value(raw, f"the ini option {option.ini_name}")
    return None


def _settings(config: pytest.Config) -> Settings:
    settings = Settings()
    for option in OPTIONS:
        if option.cli or option.ini:
            value = _setting(config, option.name)
            if value is None and option.ini_default:
                value = option.value(option.ini_default, "the default")
            settings[option.name] = value
    worker_input = getattr(config, "workerinput", None)
    if settings["seed"] is None and worker_input is not None and "mockfiles_seed" in worker_input:
        settings["seed"] = int(worker_input["mockfiles_seed"])
    if settings["seed"] is None:
        settings["seed"] = int.from_bytes(os.urandom(4), "big")
    settings["real_api_hosts"] = settings["real_api_hosts"] or DEFAULT_HOSTS
    return settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", marker_line())
    try:
        settings = _settings(config)
    except OptionError as error:
        raise pytest.UsageError(str(error)) from None
    config.stash[_SETTINGS_KEY] = settings
    session = config.stash[_SESSION_KEY] = FixtureSession()
    install_guard()
    if settings["session_environment"]:
        # Clients built at import time (collection) read the environment then: point it at
        # the session's server before collection; each test's fake is attached to that server.
        from mockfiles.facade import DEFAULT_API_KEY

        config.stash[_SAVED_ENV_KEY] = environment.snapshot()
        environment.point_at(session.server.base_url, DEFAULT_API_KEY)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: every worker uses the controller's seed, so the header's seed is the
    one that reproduces a run."""
    node.workerinput["mockfiles_seed"] = node.config.stash[_SETTINGS_KEY].seed


def pytest_report_header(config: pytest.Config) -> str:
    settings = config.stash[_SETTINGS_KEY]
    header = f"mockfiles: seed {settings.seed} (reproduce with --mockfiles-seed={settings.seed})"
    return header + (f", chaos {settings.chaos:g}" if settings.chaos else "")


def pytest_unconfigure(config: pytest.Config) -> None:
    session = config.stash.get(_SESSION_KEY, None)
    if session is not None:
        session.close()
    saved = config.stash.get(_SAVED_ENV_KEY, None)
    if saved is not None:
        environment.restore(saved)


# -- the marker ------------------------------------------------------------------------------


def _raw_marker_options(item: pytest.Item) -> list[tuple[tuple[Any, ...], Mapping[str, Any]]]:
    # Closest marker first: a test's own marker wins over its class's and module's.
    return [(marker.args, marker.kwargs) for marker in item.iter_markers(MARKER)]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A marker pulls the fixture in (as time-machine's does): a test that says how its fake
    should be gets one, even if it only builds ``openai.OpenAI()`` itself. A marker that only
    sets ``block_real_api`` does not: it is about the guard, not the fake."""
    for item in items:
        if not isinstance(item, pytest.Function) or FIXTURE in item.fixturenames:
            continue
        raw = _raw_marker_options(item)
        if raw and any(set(kwargs) != {"block_real_api"} for _, kwargs in raw):
            item.fixturenames.append(FIXTURE)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Validate the marker once, before any fixture: a bad option fails this test alone, in
    one line naming the option, the value and what is allowed."""
    raw = _raw_marker_options(item)
    if not raw:
        return
    try:
        item.stash[_MARKER_OPTIONS_KEY] = marker_options(raw)
    except OptionError as error:
        problem = str(error)
    else:
        return
    pytest.fail(problem, pytrace=False)  # outside the except: no chained traceback


def _blocks_real_api(item: pytest.Item, settings: Settings) -> bool:
    if settings.get("target") == "live":
        return False  # asked for on the command line: the real API is the point
    for _, kwargs in _raw_marker_options(item):
        if "block_real_api" in kwargs:
            try:
                return bool(BY_NAME["block_real_api"].value(kwargs["block_real_api"], "marker"))
            except OptionError:
                break  # reported by pytest_runtest_setup; meanwhile the guard stays on
    return bool(settings["block_real_api"])


# -- around every test: the guard and the environment ------------------------------------------


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(
    item: pytest.Item, nextitem: pytest.Item | None
) -> Generator[None, object, object]:
    """Outermost around set-up, call and tear-down: the OpenAI variables are restored after
    every fixture's tear-down (whatever order they ran in and whatever they did with
    ``monkeypatch``), and the guard watches the whole test."""
    settings = item.config.stash[_SETTINGS_KEY]
    uses_fake = FIXTURE in getattr(item, "fixturenames", ())
    saved = environment.snapshot() if uses_fake else None
    if _blocks_real_api(item, settings):
        GUARD.begin(item.nodeid, settings["real_api_hosts"])
    try:
        return (yield)
    finally:
        GUARD.end()
        if saved is not None:
            environment.restore(saved)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A request the guard refused fails the test in one paragraph, even if the code under
    test caught it (or made it in a thread); a failing test that used the fake gets a
    "mockfiles" report section: its journal."""
    report = yield
    if report.when in ("setup", "call") and report.failed:
        item.stash[_FAILED_KEY] = True
    if call.excinfo is not None and call.excinfo.errisinstance(RealAPIRequestBlocked):
        report.longrepr = str(call.excinfo.value)
    elif call.when == "call" and report.passed and GUARD.blocked:
        report.outcome = "failed"
        report.longrepr = blocked_message(item.nodeid, GUARD.blocked[0])
    mock = item.stash.get(_MOCK_KEY, None)
    if mock is not None and report.failed:
        report.sections.append(("mockfiles: requests the fake answered", mock.journal.table()))
    return report


# -- fixtures ------------------------------------------------------------------------------


def test_seed(config: pytest.Config, nodeid: str) -> int:
    """The seed of one test's fake: fixed by the session seed and the test's id, so a test
    gets the same ids whether it runs alone, in a different order or on another worker."""
    digest = hashlib.sha256(f"{config.stash[_SETTINGS_KEY].seed}:{nodeid}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


test_seed.__test__ = False  # type: ignore[attr-defined]  # not a test, despite its name


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
    config = request.config
    settings = config.stash[_SETTINGS_KEY]
    given = request.node.stash.get(_MARKER_OPTIONS_KEY, {})
    if settings.get("target") == "live":
        from mockfiles.live import live_fixture

        yield from live_fixture(request, dict(given))
        return
    options = {name: value for name, value in given.items() if BY_NAME[name].facade}
    options.setdefault("seed", test_seed(config, request.node.nodeid))
    for name, value in settings.items():
        if BY_NAME[name].facade and value is not None:
            options.setdefault(name, value)
    session = config.stash[_SESSION_KEY]
    from mockfiles.errors import APIError

    try:
        mock = session.begin_test(options)
    except (APIError, ValueError, TypeError, LookupError) as error:  # a value the table let by
        problem = f"@pytest.mark.mockfiles: {error}"
    else:
        request.node.stash[_MOCK_KEY] = mock
        yield mock
        session.end_test(mock)
        # A test that failed already has its reason; its unfired rules would only add noise.
        if mock.strict_faults and not request.node.stash.get(_FAILED_KEY, False):
            unfired = None
            try:
                mock.faults.assert_all_fired()
            except AssertionError as error:
                unfired = str(error)
            if unfired is not None:  # failed outside the except: no chained traceback
                pytest.fail(f"strict_faults: {unfired}", pytrace=False)
        return
    pytest.fail(problem, pytrace=False)  # outside the except: no chained traceback
