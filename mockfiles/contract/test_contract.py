"""The contract suite as pytest tests: ``pytest --pyargs mockfiles.contract``.

Options (registered by the mockfiles plugin): ``--mockfiles-target=in-process|socket|live``,
``--mockfiles-url=URL`` (socket: that server instead of a fresh ``mockfiles serve``),
``--mockfiles-live-url=URL`` (live: the API's base URL). The live target needs
``OPENAI_API_KEY``; without it nothing is sent and the run stops.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from mockfiles.contract.registry import Check, all_checks
from mockfiles.contract.runner import FAILED, SKIPPED, plan, run_check
from mockfiles.contract.targets import (
    DEFAULT_LIVE_URL,
    Target,
    TargetError,
    in_process,
    live,
    socket,
)

CHECKS = all_checks()


@pytest.fixture(scope="module")
def contract_target(pytestconfig: pytest.Config) -> Iterator[Target]:
    name = pytestconfig.getoption("mockfiles_target", None) or "in-process"
    try:
        if name == "live":
            target = live(pytestconfig.getoption("mockfiles_live_url", None) or DEFAULT_LIVE_URL)
            reporter = pytestconfig.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line("\n" + plan(CHECKS, target))
            yield target
            target.close()
        elif name == "socket":
            with socket(pytestconfig.getoption("mockfiles_url", None)) as target:
                yield target
        else:
            with in_process() as target:
                yield target
    except TargetError as error:
        pytest.exit(f"mockfiles contract: {error}", returncode=pytest.ExitCode.USAGE_ERROR)


@pytest.mark.parametrize("check", CHECKS, ids=[c.name for c in CHECKS])
def test_contract(check: Check, contract_target: Target) -> None:
    result = run_check(check, contract_target)
    if result.outcome == SKIPPED:
        pytest.skip(result.reason)
    if result.outcome == FAILED:
        pytest.fail(f"{check.fact} [{check.source}: {check.note}]\n{result.reason}", pytrace=False)
