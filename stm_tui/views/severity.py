"""The one severity order, worst first: scan risk levels and finding severities alike."""

from __future__ import annotations

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "NONE")

_RANK = {name: index for index, name in enumerate(SEVERITIES)}


def rank(value: str | None) -> int:
    """0 for the worst; a value the order does not know comes after every known one."""
    return _RANK.get((value or "").upper(), len(SEVERITIES))


def at_least(value: str | None, floor: str) -> bool:
    """`value` is known and as bad as `floor` or worse."""
    return rank(value) <= rank(floor)
