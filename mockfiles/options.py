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

from mockfiles import option_values as values


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


#: Every option, in the order ``pytest --markers`` and ``--help`` list them.
OPTIONS: tuple[Option, ...] = (
    Option(
        "seed",
        "a whole number",
        "seeds the file ids (and random faults), so they reproduce; printed in the header",
        values.whole_number,
        cli=True,
        ini=True,
    ),
    Option(
        "chaos",
        "a number from 0 to 1",
        "the share of first attempts to fail with a random retryable error (0 = off)",
        values.share,
        cli=True,
        ini=True,
        ini_default="0",
    ),
    Option(
        "block_real_api",
        "true or false",
        "fail any request to a real OpenAI host at once (on by default)",
        values.switch,
        ini=True,
        facade=False,
        ini_default="true",
    ),
    Option(
        "real_api_hosts",
        "host names, '*.' wildcards, each with an optional ':port'",
        "the hosts the guard refuses (default: api.openai.com *.openai.azure.com)",
        values.hosts,
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
        values.switch,
        ini=True,
        marker=False,
        facade=False,
        ini_default="false",
    ),
    Option(
        "organization",
        "non-empty printable ASCII text",
        "the organization answered by default",
        values.header_text,
    ),
    Option(
        "project",
        "non-empty printable ASCII text",
        "the project requests act in by default",
        values.header_text,
    ),
    Option(
        "api_key",
        "non-empty printable ASCII text",
        "the key client() presents and OPENAI_API_KEY holds",
        values.header_text,
    ),
    Option(
        "now",
        "a datetime, epoch seconds or ISO 8601 text",
        "where the fake's clock starts",
        values.time,
    ),
    Option(
        "limits",
        "a Limits or a mapping of its fields to positive integers",
        "the limits to enforce",
        values.limits,
    ),
    Option(
        "keys",
        "a mapping of keys to a project or to {'project': ..., 'organization': ...}",
        "keys to register",
        values.keys,
    ),
    Option(
        "faults",
        "a list of fault specs ('files.create:rate_limit:times=2') or mappings",
        "fault rules to start with",
        values.faults,
    ),
    Option(
        "strict_faults",
        "true or false",
        "fail a test at teardown when a fault rule it added never fired",
        values.switch,
        ini=True,
        ini_default="false",
    ),
    Option(
        "journal_size",
        "a whole number of at least 1, or None",
        "keep only the last N calls in the journal (all by default)",
        values.size_or_none,
    ),
    Option(
        "control_token",
        "non-empty printable ASCII text",
        "require 'Authorization: Bearer <token>' on the control plane",
        values.header_text,
    ),
    Option(
        "batch_timing",
        "a BatchTiming or a mapping of validating, in_progress, finalizing, cancelling to seconds",
        "how many seconds of the fake's clock each batch phase lasts",
        values.batch_timing,
    ),
    Option(
        "batch_responder",
        "'default', 'fail' or a function of the request line",
        "what batch requests answer unless the test says otherwise",
        values.batch_responder,
    ),
    # The live target: mockfiles.live (the fixture) and mockfiles.contract (the suite).
    Option(
        "target",
        "in-process, socket or live",
        "live: the fixture and mockfiles.contract use the real API (needs OPENAI_API_KEY)",
        values.choice("in-process", "socket", "live"),
        cli=True,
        marker=False,
        facade=False,
    ),
    Option(
        "url",
        "an http(s) URL",
        "mockfiles.contract's socket target: this server instead of a fresh mockfiles serve",
        values.url,
        cli=True,
        marker=False,
        facade=False,
    ),
    Option(
        "live_url",
        "an http(s) URL",
        "the real API's base URL for the live target (default https://api.openai.com/v1)",
        values.url,
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
