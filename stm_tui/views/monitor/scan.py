"""The state of a window's threat scan, and whether it blocks signing.

The latest scan that was not deleted stands for the window. A failed scan (FAIL), or one
that could not complete (ERROR), blocks signing when the window says `block_on_failed_scan`;
a window that keeps signing then is what the alerts engine calls out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from stm_tui.views.monitor.records import ScanState, Window

State = Literal["none", "passed", "failed", "error", "running", "unknown"]

_STATES: dict[str, State] = {
    "PASS": "passed",
    "FAIL": "failed",
    "ERROR": "error",
    "IN_PROGRESS": "running",
}

_EPOCH = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ScanSummary:
    state: State
    scan: ScanState | None
    blocks: bool  # the window's signing is blocked by this scan's result
    text: str

    @property
    def failing(self) -> bool:
        return self.state in ("failed", "error")


def latest(scans: Sequence[ScanState]) -> ScanState | None:
    live = [s for s in scans if not s.deleted]
    if not live:
        return None
    return max(live, key=lambda s: (s.created_on or _EPOCH, s.id))


def summarize(scans: Sequence[ScanState], window: Window) -> ScanSummary:
    scan = latest(scans)
    if scan is None:
        return ScanSummary("none", None, False, "no threat scan")
    state = _STATES.get(scan.status, "unknown")
    failing = state in ("failed", "error")
    blocks = failing and window.block_on_failed_scan
    risk = f", risk {scan.risk_level}" if scan.risk_level and scan.risk_level != "NONE" else ""
    what = f"scan {scan.alias or scan.id}: {scan.status or 'UNKNOWN'}{risk}"
    if blocks:
        return ScanSummary(state, scan, True, f"{what}; blocks signing")
    if failing:
        return ScanSummary(state, scan, False, f"{what}; does not block signing")
    return ScanSummary(state, scan, False, what)
