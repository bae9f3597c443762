"""What a release signed, and whether that meets expectations (`stm-tui release report`).

The check that would have caught a pipeline shipping unsigned installers for weeks because
its signing tool exited 0 on failure: fewer successful signatures than expected, any refused
attempt, or a failed scan makes the exit code non-zero.

Exit codes (besides the usual 2 usage, 3 auth, 4 not found, 5 unreachable): 0 when every
expectation holds, else 8 plus the sum of what failed:
    1  fewer successful signatures than --expect
    2  at least one failed attempt (unless --allow-failed)
    4  the window's latest threat scan failed (FAIL) or could not run (ERROR)
so 9 is "too few", 10 "failed attempts", 12 "failed scan", 15 all three.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from stm_tui.views.monitor.classify import failure_label, relation
from stm_tui.views.monitor.feed import MonitorSource
from stm_tui.views.monitor.model import Tally, WindowMonitor
from stm_tui.views.monitor.records import Attempt, ScanState, Window, iso
from stm_tui.views.monitor.scan import ScanSummary, summarize

EXIT_MET = 0
EXIT_BASE = 8
TOO_FEW = 1
FAILED_ATTEMPTS = 2
FAILED_SCAN = 4
# Failed attempts listed one by one; the count covers them all.
FAILURES_LISTED = 1000


@dataclass(frozen=True)
class Expectations:
    expect: int | None = None  # at least this many successful signatures
    allow_failed: bool = False  # failed attempts do not fail the report


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    detail: str
    bit: int


@dataclass
class ReleaseReport:
    window: Window
    success: int
    failed: int
    outside: int
    by_keypair: list[tuple[str, Tally]]
    by_signer: list[tuple[str, Tally]]
    failures: list[Attempt]
    first: Attempt | None
    last: Attempt | None
    scan: ScanSummary
    scans: Sequence[ScanState]
    checks: list[Check] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        bits = sum(c.bit for c in self.checks if not c.ok)
        return EXIT_BASE + bits if bits else EXIT_MET

    def as_dict(self) -> dict[str, Any]:
        def tallies(rows: list[tuple[str, Tally]], name_key: str) -> list[dict[str, Any]]:
            return [{"id": k, name_key: t.label, "success": t.success, "failed": t.failed,
                     "outside": t.outside} for k, t in rows]

        return {
            "release": self.window.as_dict(),
            "success": self.success,
            "failed": self.failed,
            "outside": self.outside,
            "by_keypair": tallies(self.by_keypair, "alias"),
            "by_signer": tallies(self.by_signer, "name"),
            "failed_attempts": [
                {**a.as_dict(), "reason": failure_label(a)} for a in self.failures
            ],
            "first_signature": self.first.as_dict() if self.first else None,
            "last_signature": self.last.as_dict() if self.last else None,
            "scan": {"state": self.scan.state, "blocks": self.scan.blocks,
                     "text": self.scan.text,
                     "latest": self.scan.scan.as_dict() if self.scan.scan else None},
            "scans": [s.as_dict() for s in self.scans],
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in self.checks],
            "exit_code": self.exit_code,
        }


def build_report(
    window: Window,
    attempts: Iterable[Attempt],
    scans: Sequence[ScanState],
    expectations: Expectations,
) -> ReleaseReport:
    wm = WindowMonitor(window, stream_limit=1)
    failures: list[Attempt] = []
    first: Attempt | None = None
    last: Attempt | None = None
    for attempt in attempts:
        rel = relation(attempt, window)
        if rel is None:
            continue
        wm.add(attempt, rel)
        if rel == "failed":
            if len(failures) < FAILURES_LISTED:
                failures.append(attempt)
        elif rel == "in" and attempt.created_on is not None:
            if first is None or first.created_on is None or attempt.created_on < first.created_on:
                first = attempt
            if last is None or last.created_on is None or attempt.created_on >= last.created_on:
                last = attempt
    failures.sort(key=lambda a: (a.created_on.timestamp() if a.created_on else 0.0, a.id))

    def ranked(table: dict[str, Tally]) -> list[tuple[str, Tally]]:
        return sorted(table.items(), key=lambda kv: (-(kv[1].success + kv[1].failed),
                                                      kv[1].label, kv[0]))

    report = ReleaseReport(
        window=window, success=wm.success, failed=wm.failed, outside=wm.outside,
        by_keypair=ranked(wm.by_keypair), by_signer=ranked(wm.by_signer),
        failures=failures, first=first, last=last, scan=summarize(scans, window), scans=scans,
    )
    if expectations.expect is not None:
        report.checks.append(Check(
            f"at least {expectations.expect} successful signatures",
            wm.success >= expectations.expect, f"{wm.success} successful", TOO_FEW))
    if not expectations.allow_failed:
        report.checks.append(Check(
            "no failed attempt", wm.failed == 0, f"{wm.failed} failed", FAILED_ATTEMPTS))
    report.checks.append(Check(
        "the threat scan did not fail", not report.scan.failing, report.scan.text, FAILED_SCAN))
    return report


async def _pages(source: MonitorSource, page_size: int, **filters: Any
                 ) -> AsyncIterator[list[Attempt]]:
    offset = 0
    while True:
        total, items = await source.signatures_page(offset=offset, limit=page_size, **filters)
        if not items:
            return
        yield items
        offset += len(items)
        if offset >= total:
            return


async def window_attempts(
    source: MonitorSource, window: Window, now: datetime, *, page_size: int = 100
) -> AsyncIterator[Attempt]:
    """Every attempt that concerns the window: those attributed to it, then the others on
    its keypairs during its times (refused attempts carry no release)."""
    async for page in _pages(source, page_size, release_id=window.id):
        for attempt in page:
            yield attempt
    end = window.effective_end
    until = min(end, now) if end is not None else now
    for keypair in window.keypairs:
        async for page in _pages(source, page_size, keypair_id=keypair.id,
                                 since=window.start_time, until=until):
            for attempt in page:
                if attempt.release_id != window.id:  # counted above
                    yield attempt


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip()


def _table(header: Sequence[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in [list(header), *rows]) for i in range(len(header))]
    return ["  " + _row(header, widths), *("  " + _row(r, widths) for r in rows)]


def report_text(report: ReleaseReport) -> str:
    w = report.window
    lines = [
        f"Release {w.name} ({w.release_type or '?'}, {w.status or '?'})  "
        f"{iso(w.start_time) or '?'} to {iso(w.end_time) or '?'}",
        f"Signatures: {report.success} successful"
        + (f" of at most {w.max_signatures}" if w.max_signatures is not None else "")
        + f", {report.failed} failed attempts"
        + (f", {report.outside} on its keypairs outside it" if report.outside else ""),
        f"First: {iso(report.first.created_on) if report.first else '-'}   "
        f"Last: {iso(report.last.created_on) if report.last else '-'}",
        "",
        "By keypair:",
        *_table(["keypair", "success", "failed", "outside"],
                [[t.label, str(t.success), str(t.failed), str(t.outside)]
                 for _, t in report.by_keypair] or [["-", "0", "0", "0"]]),
        "By signer:",
        *_table(["signer", "success", "failed", "outside"],
                [[t.label, str(t.success), str(t.failed), str(t.outside)]
                 for _, t in report.by_signer] or [["-", "0", "0", "0"]]),
    ]
    if report.failures:
        lines.append("Failed attempts:")
        lines += _table(
            ["time", "keypair", "signer", "reason"],
            [[iso(a.created_on) or "?", a.keypair_alias, a.user_name, failure_label(a)]
             for a in report.failures])
        if report.failed > len(report.failures):
            lines.append(f"  … and {report.failed - len(report.failures)} more")
    lines += ["", f"Threat scan: {report.scan.text}", "", "Checks:"]
    for check in report.checks:
        lines.append(f"  [{' ok ' if check.ok else 'FAIL'}] {check.name}: {check.detail}")
    lines.append(f"Exit code {report.exit_code}")
    return "\n".join(lines) + "\n"
