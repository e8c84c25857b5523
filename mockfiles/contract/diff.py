"""The fidelity diff: the same exchanges against the fake and another target, compared.

Per exchange it reports every difference in the status, the JSON key set and key order, the
value types, the values (error type, code, param and message among them) and the headers the
SDKs read. Ids are compared by the name of their first appearance (``{file1}``), so what must
differ does not: ids, timestamps (type only), request ids and processing times (presence only).
A difference in a check whose fact is *chosen* "resolves an unknown"; any other is a failure.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from mockfiles.contract.registry import Check
from mockfiles.contract.runner import SKIPPED, Result
from mockfiles.contract.session import COMPARED_HEADER_VALUES, SDK_HEADERS, Exchange

FAILURE = "failure"
RESOLVES = "resolves an unknown"
#: Values that differ by nature: compared by type only.
TIMESTAMP_KEYS = frozenset(
    {
        "created_at",
        "expires_at",
        # A Batch's.
        "in_progress_at",
        "finalizing_at",
        "completed_at",
        "failed_at",
        "expired_at",
        "cancelling_at",
        "cancelled_at",
    }
)


@dataclass
class Difference:
    check: str
    exchange: int
    request: str
    where: str
    fake: Any
    other: Any
    kind: str

    def line(self) -> str:
        return (
            f"  [{self.kind}] #{self.exchange} {self.request}: {self.where}: "
            f"fake {self.fake!r}, other {self.other!r}"
        )


def compare_results(fake: list[Result], other: list[Result]) -> list[Difference]:
    """Every difference between two runs of the same checks (checks skipped on either side
    are not compared)."""
    others = {result.check.name: result for result in other}
    found: list[Difference] = []
    for mine in fake:
        theirs = others.get(mine.check.name)
        if theirs is None or SKIPPED in (mine.outcome, theirs.outcome):
            continue
        found.extend(compare_exchanges(mine.check, mine.exchanges, theirs.exchanges))
    return found


def compare_exchanges(
    check: Check, fake: list[Exchange], other: list[Exchange]
) -> list[Difference]:
    kind = RESOLVES if check.chosen else FAILURE
    found: list[Difference] = []
    for index in range(max(len(fake), len(other))):
        if index >= len(fake) or index >= len(other):
            present = fake[index] if index < len(fake) else other[index]
            found.append(
                Difference(
                    check.name,
                    index + 1,
                    present.request,
                    "exchange",
                    "made" if index < len(fake) else "not made",
                    "made" if index < len(other) else "not made",
                    kind,
                )
            )
            continue
        mine, theirs = fake[index], other[index]

        def add(where: str, a: Any, b: Any, mine: Exchange = mine, number: int = index + 1) -> None:
            found.append(Difference(check.name, number, mine.request, where, a, b, kind))

        if mine.request != theirs.request:
            add("request", mine.request, theirs.request)
            continue
        if (mine.status, mine.error) != (theirs.status, theirs.error):
            add("status", mine.status or mine.error, theirs.status or theirs.error)
        for name in SDK_HEADERS:
            a, b = mine.headers.get(name), theirs.headers.get(name)
            if (a is None) != (b is None):
                add(f"header {name}", _presence(a), _presence(b))
            elif (
                name in COMPARED_HEADER_VALUES
                and a is not None
                and b is not None
                and _header_value(name, a) != _header_value(name, b)
            ):
                add(f"header {name}", a, b)
        ignored = set(mine.ignore) | set(theirs.ignore)
        _compare_values("body", mine.body, theirs.body, ignored, add)
    return found


def _presence(value: str | None) -> str:
    return "absent" if value is None else "present"


def _header_value(name: str, value: str) -> str:
    if name == "content-type":  # media type only: parameter spelling is no difference
        return value.split(";")[0].strip().lower()
    return value


def _compare_values(path: str, a: Any, b: Any, ignored: set[str], add: Any) -> None:
    if path in ignored:
        return
    if _type_name(a) != _type_name(b):
        add(f"{path} type", _type_name(a), _type_name(b))
        return
    if isinstance(a, dict):
        if list(a) != list(b):
            if set(a) != set(b):
                add(f"{path} keys", sorted(set(a) - set(b)), sorted(set(b) - set(a)))
            else:
                add(f"{path} key order", list(a), list(b))
        for key in a:
            if key in b:
                child = f"{path}.{key}"
                if key in TIMESTAMP_KEYS:
                    if _type_name(a[key]) != _type_name(b[key]) and child not in ignored:
                        add(f"{child} type", _type_name(a[key]), _type_name(b[key]))
                    continue
                _compare_values(child, a[key], b[key], ignored, add)
    elif isinstance(a, list):
        if len(a) != len(b):
            add(f"{path} length", len(a), len(b))
        for position, (x, y) in enumerate(zip(a, b, strict=False)):
            _compare_values(f"{path}[{position}]", x, y, ignored, add)
    elif a != b:
        add(path, a, b)


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number" if isinstance(value, float) else "integer"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


# -- saving, reading back and reporting ---------------------------------------------------


def as_json(
    fake_name: str, other_name: str, fake: list[Result], other: list[Result]
) -> dict[str, Any]:
    differences = compare_results(fake, other)
    others = {r.check.name: r for r in other}
    return {
        "fake": fake_name,
        "other": other_name,
        "checks": [
            {
                **result.check.describe(),
                "fake": {"outcome": result.outcome, "reason": result.reason},
                "other": {
                    "outcome": others[result.check.name].outcome,
                    "reason": others[result.check.name].reason,
                },
                "exchanges": {
                    "fake": [e.as_json() for e in result.exchanges],
                    "other": [e.as_json() for e in others[result.check.name].exchanges],
                },
            }
            for result in fake
            if result.check.name in others
        ],
        "differences": [asdict(d) for d in differences],
    }


def text(saved: dict[str, Any]) -> str:
    """The diff for a terminal: per check, its differences."""
    lines = [f"fidelity diff: {saved['fake']} (fake) against {saved['other']}"]
    by_check: dict[str, list[dict[str, Any]]] = {}
    for difference in saved["differences"]:
        by_check.setdefault(difference["check"], []).append(difference)
    for entry in saved["checks"]:
        differences = by_check.get(entry["name"], [])
        if SKIPPED in (entry["fake"]["outcome"], entry["other"]["outcome"]):
            reason = entry["other"]["reason"] or entry["fake"]["reason"]
            lines.append(f"SKIP {entry['name']}: {reason}")
            continue
        lines.append(f"{'DIFF' if differences else 'SAME'} {entry['name']} ({entry['source']})")
        lines.extend(Difference(**d).line() for d in differences)
    lines.append(summary_line(saved))
    return "\n".join(lines)


def summary_line(saved: dict[str, Any]) -> str:
    kinds = [d["kind"] for d in saved["differences"]]
    return f"{kinds.count(FAILURE)} failures, {kinds.count(RESOLVES)} resolving an unknown"


def failures(saved: dict[str, Any]) -> int:
    return sum(d["kind"] == FAILURE for d in saved["differences"])


def markdown(saved: dict[str, Any]) -> str:
    """A report to attach to an issue: what differed, which unknowns it settles."""
    out = [
        "# mockfiles fidelity diff",
        "",
        f"The fake ({saved['fake']}) against `{saved['other']}`: {summary_line(saved)}.",
        "",
        "| check | fact | source | result |",
        "| --- | --- | --- | --- |",
    ]
    by_check: dict[str, list[dict[str, Any]]] = {}
    for difference in saved["differences"]:
        by_check.setdefault(difference["check"], []).append(difference)
    for entry in saved["checks"]:
        if SKIPPED in (entry["fake"]["outcome"], entry["other"]["outcome"]):
            result = "skipped"
        elif entry["name"] in by_check:
            result = "**resolves an unknown**" if entry["source"] == "chosen" else "**differs**"
        else:
            result = "same"
        source = f"{entry['source']} ({entry['note']})"
        out.append(f"| `{entry['name']}` | {entry['fact']} | {source} | {result} |")
    for name, differences in by_check.items():
        out += [
            "",
            f"## `{name}`",
            "",
            "| # | request | where | fake | other |",
            "| --- | --- | --- | --- | --- |",
        ]
        for d in differences:
            cells = [
                str(d["exchange"]),
                f"`{d['request']}`",
                d["where"],
                _cell(d["fake"]),
                _cell(d["other"]),
            ]
            out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out) + "\n"


def _cell(value: Any) -> str:
    return "`" + json.dumps(value, ensure_ascii=False).replace("|", "\\|") + "`"
