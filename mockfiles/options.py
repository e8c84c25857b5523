"""The plugin's options, as one table: command line, ini file and marker.

Every option is one ``Option`` entry: where it may be given, what is allowed (the text every
error quotes) and a parser that turns a value (text from the ini file or the command line, any
object from the marker) into what the plugin uses, raising ``ValueError`` otherwise. Adding an
option is adding an entry; the plugin registers, validates and documents them from this table:
``--mockfiles-<name>`` (``cli``), ``mockfiles_<name>`` (``ini``) and the marker (``marker``);
an option the facade takes (``facade``) set on the command line or in the ini file becomes the
default of every test's ``MockFiles``, which a marker overrides.

No pytest here and nothing heavy: the marker options that need the domain (``limits``,
``faults``...) import it inside their parser, when a marker actually uses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any


class OptionError(ValueError):
    """A bad value; ``str()`` is one line naming the option, the value and what is allowed."""


class Option:
    """One option. A plain class, not a dataclass: building dataclasses at import costs
    milliseconds, and this module is imported by every pytest run where mockfiles is
    installed."""

    __slots__ = (
        "name", "allowed", "help", "parse", "cli", "ini", "marker", "facade", "ini_default",
        "ini_type",
    )  # fmt: skip

    def __init__(
        self,
        name: str,
        allowed: str,
        help: str,
        parse: Callable[[Any], Any],
        *,
        cli: bool = False,
        ini: bool = False,
        marker: bool = True,
        facade: bool = True,
        ini_default: str = "",
        ini_type: str = "string",
    ) -> None:
        #: The name in the marker and in ``MockFiles(...)``; ``--mockfiles-<name>`` and
        #: ``mockfiles_<name>`` (dashes for underscores on the command line) when those are on.
        self.name = name
        #: What is allowed, as the error messages and the help say it.
        self.allowed = allowed
        self.help = help
        self.parse = parse
        self.cli, self.ini, self.marker = cli, ini, marker
        #: Passed on to ``MockFiles`` (else the plugin itself uses it).
        self.facade = facade
        #: The ini value when the ini file does not set it, and the ini type.
        self.ini_default, self.ini_type = ini_default, ini_type

    @property
    def flag(self) -> str:
        return "--mockfiles-" + self.name.replace("_", "-")

    @property
    def ini_name(self) -> str:
        return "mockfiles_" + self.name

    def value(self, raw: Any, where: str) -> Any:
        """``raw`` parsed, or ``OptionError`` saying ``where`` it came from."""
        try:
            return self.parse(raw)
        except (ValueError, TypeError, LookupError) as error:
            detail = str(error).strip()
            because = f" ({detail})" if detail and detail != self.allowed else ""
            raise OptionError(
                f"{where}: {raw!r} is not allowed for {self.name}; allowed: {self.allowed}{because}"
            ) from None


# -- parsers -------------------------------------------------------------------------------


def _whole_number(value: Any) -> int:
    if isinstance(value, bool):
        raise ValueError("")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    raise ValueError("")


def _share(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("")
    rate = float(value.strip()) if isinstance(value, str) else value
    if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError("")
    return float(rate)


_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


def _switch(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise ValueError("")


def _size_or_none(value: Any) -> int | None:
    if value is None:
        return None
    size = _whole_number(value)
    if size < 1:
        raise ValueError("")
    return size


def _choice(*allowed: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if not isinstance(value, str) or value.strip() not in allowed:
            raise ValueError("")
        return value.strip()

    return parse


def _url(value: Any) -> str:
    if not isinstance(value, str) or not value.strip().startswith(("http://", "https://")):
        raise ValueError("")
    return value.strip()


def _batch_timing(value: Any) -> Any:
    from mockfiles.batches import BatchTiming
    from mockfiles.errors import APIError

    if isinstance(value, BatchTiming):
        return value
    if not isinstance(value, Mapping):
        raise ValueError("")
    try:
        BatchTiming().replace(value)
    except APIError as error:  # an unknown phase or a bad number
        raise ValueError(error.message) from None
    return value


def _batch_responder(value: Any) -> Any:
    from mockfiles.batch_responses import NAMED_RESPONDERS

    if callable(value) or (isinstance(value, str) and value in NAMED_RESPONDERS):
        return value
    raise ValueError("")


def _hosts(value: Any) -> tuple[str, ...]:
    items = value.split() if isinstance(value, str) else list(value)
    hosts = tuple(item.strip() for item in items if str(item).strip())
    for host in hosts:
        name, _, port = host.partition(":")
        if not name or any(c.isspace() or c == "/" for c in name) or (port and not port.isdigit()):
            raise ValueError(f"{host!r} is not a host")
    return hosts


def _header_text(value: Any) -> str:
    """Text that can travel in an HTTP header (keys, organizations and projects do)."""
    from mockfiles.errors import APIError
    from mockfiles.keys import header_safe

    if not isinstance(value, str):
        raise ValueError("")
    try:
        return header_safe(value, "value")
    except APIError:
        raise ValueError("") from None


def _time(value: Any) -> Any:
    from datetime import datetime

    from mockfiles.clock import Clock

    if isinstance(value, bool) or not isinstance(value, (datetime, int, float, str)):
        raise ValueError("")
    Clock(value)  # raises ValueError for a string that is not a time, or a time out of range
    return value


def _limits(value: Any) -> Any:
    from mockfiles.errors import APIError
    from mockfiles.limits import Limits

    if isinstance(value, Limits):
        return value
    if not isinstance(value, Mapping):
        raise ValueError("")
    try:
        Limits().replace(value)
    except APIError as error:
        raise ValueError(error.message) from None
    return value


def _keys(value: Any) -> Any:
    from mockfiles.errors import APIError
    from mockfiles.keys import KeyRing

    if not isinstance(value, Mapping):
        raise ValueError("")
    ring = KeyRing()
    for key, grant in value.items():
        if not isinstance(key, str) or not isinstance(grant, (str, Mapping)):
            raise ValueError(f"key {key!r}")
        project = grant if isinstance(grant, str) else grant.get("project", "proj_x")
        organization = "org-x" if isinstance(grant, str) else grant.get("organization", "org-x")
        unknown = set() if isinstance(grant, str) else set(grant) - {"project", "organization"}
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)} for key {key!r}")
        try:
            ring.add(key, project, organization)
        except APIError as error:
            raise ValueError(error.message) from None
    return value


def _faults(value: Any) -> Any:
    from mockfiles.errors import APIError
    from mockfiles.faults import FaultPlan

    if isinstance(value, (str, Mapping)) or not isinstance(value, Sequence):
        raise ValueError("")
    plan = FaultPlan(0)
    for rule in value:
        try:
            if isinstance(rule, str):
                plan.add_spec(rule)
            elif isinstance(rule, Mapping):
                plan.add(**rule)
            else:
                raise ValueError("")
        except APIError as error:
            raise ValueError(error.message) from None
        except TypeError as error:
            raise ValueError(str(error)) from None
    return value


#: Every option, in the order ``pytest --markers`` and ``--help`` list them.
OPTIONS: tuple[Option, ...] = (
    Option(
        "seed",
        "a whole number",
        "seeds the file ids (and random faults), so they reproduce; printed in the header",
        _whole_number,
        cli=True,
        ini=True,
    ),
    Option(
        "chaos",
        "a number from 0 to 1",
        "the share of first attempts to fail with a random retryable error (0 = off)",
        _share,
        cli=True,
        ini=True,
        ini_default="0",
    ),
    Option(
        "block_real_api",
        "true or false",
        "fail any request to a real OpenAI host at once (on by default)",
        _switch,
        ini=True,
        facade=False,
        ini_default="true",
    ),
    Option(
        "real_api_hosts",
        "host names, '*.' wildcards, each with an optional ':port'",
        "the hosts the guard refuses (default: api.openai.com *.openai.azure.com)",
        _hosts,
        ini=True,
        marker=False,
        facade=False,
        ini_default="",
        ini_type="args",
    ),
    Option(
        "session_environment",
        "true or false",
        "point OPENAI_BASE_URL and OPENAI_API_KEY at the session's server from start-up, "
        "for clients built at import time",
        _switch,
        ini=True,
        marker=False,
        facade=False,
        ini_default="false",
    ),
    Option(
        "organization",
        "non-empty printable ASCII text",
        "the organization answered by default",
        _header_text,
    ),
    Option(
        "project",
        "non-empty printable ASCII text",
        "the project requests act in by default",
        _header_text,
    ),
    Option(
        "api_key",
        "non-empty printable ASCII text",
        "the key client() presents and OPENAI_API_KEY holds",
        _header_text,
    ),
    Option(
        "now",
        "a datetime, epoch seconds or ISO 8601 text",
        "where the fake's clock starts",
        _time,
    ),
    Option(
        "limits",
        "a Limits or a mapping of its fields to positive integers",
        "the limits to enforce",
        _limits,
    ),
    Option(
        "keys",
        "a mapping of keys to a project or to {'project': ..., 'organization': ...}",
        "keys to register",
        _keys,
    ),
    Option(
        "faults",
        "a list of fault specs ('files.create:rate_limit:times=2') or mappings",
        "fault rules to start with",
        _faults,
    ),
    Option(
        "strict_faults",
        "true or false",
        "fail a test at teardown when a fault rule it added never fired",
        _switch,
        ini=True,
        ini_default="false",
    ),
    Option(
        "journal_size",
        "a whole number of at least 1, or None",
        "keep only the last N calls in the journal (all by default)",
        _size_or_none,
    ),
    Option(
        "control_token",
        "non-empty printable ASCII text",
        "require 'Authorization: Bearer <token>' on the control plane",
        _header_text,
    ),
    Option(
        "batch_timing",
        "a BatchTiming or a mapping of validating, in_progress, finalizing, cancelling to seconds",
        "how many seconds of the fake's clock each batch phase lasts",
        _batch_timing,
    ),
    Option(
        "batch_responder",
        "'default', 'fail' or a function of the request line",
        "what batch requests answer unless the test says otherwise",
        _batch_responder,
    ),
    # The live target: mockfiles.live (the fixture) and mockfiles.contract (the suite).
    Option(
        "target",
        "in-process, socket or live",
        "live: the fixture and mockfiles.contract use the real API (needs OPENAI_API_KEY)",
        _choice("in-process", "socket", "live"),
        cli=True,
        marker=False,
        facade=False,
    ),
    Option(
        "url",
        "an http(s) URL",
        "mockfiles.contract's socket target: this server instead of a fresh mockfiles serve",
        _url,
        cli=True,
        marker=False,
        facade=False,
    ),
    Option(
        "live_url",
        "an http(s) URL",
        "the real API's base URL for the live target (default https://api.openai.com/v1)",
        _url,
        cli=True,
        marker=False,
        facade=False,
    ),
)

BY_NAME: Mapping[str, Option] = {option.name: option for option in OPTIONS}
MARKER_OPTIONS: Mapping[str, Option] = {o.name: o for o in OPTIONS if o.marker}


def marker_line() -> str:
    """The ``pytest --markers`` line: every marker option and what it takes."""
    names = ", ".join(f"{o.name}=<{o.allowed}>" for o in MARKER_OPTIONS.values())
    return (
        f"mockfiles({names}): options for this test's MockFiles fake; the marker pulls in the "
        "`mockfiles` fixture (unless it sets only block_real_api). See mockfiles.MockFiles."
    )


def marker_options(markers: Sequence[tuple[tuple[Any, ...], Mapping[str, Any]]]) -> dict[str, Any]:
    """The options of a test's markers, closest first (a test's own marker wins over its
    class's and module's), each validated; ``OptionError`` for the first bad one."""
    options: dict[str, Any] = {}
    for args, kwargs in markers:
        if args:
            raise OptionError(
                f"@pytest.mark.mockfiles takes keyword arguments only, got {args!r}; "
                f"allowed: {', '.join(MARKER_OPTIONS)}"
            )
        for name, raw in kwargs.items():
            if name in options:
                continue
            option = MARKER_OPTIONS.get(name)
            if option is None:
                raise OptionError(
                    f"@pytest.mark.mockfiles: unknown option {name!r}; "
                    f"allowed: {', '.join(MARKER_OPTIONS)}"
                )
            options[name] = option.value(raw, f"@pytest.mark.mockfiles({name}=...)")
    return options
