"""The contract suite: what mockfiles promises about the Files and Uploads APIs, as checks
that run against the fake (in-process or over a socket) or the live API.

Run it with ``mockfiles verify [--target in-process|socket|live]`` or
``pytest --pyargs mockfiles.contract [--mockfiles-target=...]``; diff the fake against another
target with ``mockfiles verify --compare live|URL``. See ``docs/contract.md``.
"""

from __future__ import annotations

from mockfiles.contract.registry import Check, all_checks
from mockfiles.contract.runner import Result, run_check, run_checks

__all__ = ["Check", "Result", "all_checks", "run_check", "run_checks"]
