"""The signature budget: signatures this month per keypair, signer and release, the burn
rate, and when a monthly budget runs out.

Signing is billed per signature, so only successful signatures count. The month is the
calendar month in UTC. The burn rate is this month's signatures per day so far (over at
least one hour, so the first minutes of a month do not project wildly); at that rate the
budget runs out on `runs_out_on` (None when it lasts the month), or it ran out on
`exhausted_on`, the day its last signature was made.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

from stm_tui.sanitize import spreadsheet_cell
from stm_tui.views.monitor.cursor import LogCursor
from stm_tui.views.monitor.feed import MonitorSource
from stm_tui.views.monitor.records import Attempt, iso

Scope = Literal["keypair", "signer", "release"]
NO_RELEASE = "(no release)"
# Distinct names per scope counted one by one; beyond, "(other)".
MAX_ROWS = 2000


@dataclass(frozen=True)
class BudgetConfig:
    """`monthly`: signatures a month the account budgets for (None: no budget)."""

    monthly: int | None = None


def month_start(now: datetime) -> datetime:
    at = now.astimezone(UTC)
    return datetime(at.year, at.month, 1, tzinfo=UTC)


def next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


class BudgetTally:
    def __init__(self, start: datetime) -> None:
        self.start = start
        self.end = next_month(start)
        self.total = 0
        self.per_day: dict[date, int] = {}
        self._rows: dict[Scope, dict[str, list[Any]]] = {"keypair": {}, "signer": {},
                                                          "release": {}}

    def _count(self, scope: Scope, key: str, label: str) -> None:
        table = self._rows[scope]
        row = table.get(key)
        if row is None:
            if len(table) >= MAX_ROWS:
                key = label = "(other)"
                row = table.get(key)
            if row is None:
                row = table[key] = [label, 0]
        row[1] += 1

    def add(self, attempt: Attempt) -> bool:
        when = attempt.created_on
        if not attempt.ok or when is None or not self.start <= when < self.end:
            return False
        self.total += 1
        day = when.date()
        self.per_day[day] = self.per_day.get(day, 0) + 1
        kp = attempt.keypair_id or "?"
        self._count("keypair", kp, attempt.keypair_alias or kp)
        user = attempt.user_id or "?"
        self._count("signer", user, attempt.user_name or user)
        release = attempt.release_id or NO_RELEASE
        self._count("release", release, attempt.release_name or release)
        return True

    def add_all(self, attempts: Iterable[Attempt]) -> None:
        for attempt in attempts:
            self.add(attempt)

    def rows(self, scope: Scope) -> list[tuple[str, str, int]]:
        """(id, name, signatures), most first."""
        items = [(k, v[0], v[1]) for k, v in self._rows[scope].items()]
        return sorted(items, key=lambda r: (-r[2], r[1], r[0]))


@dataclass(frozen=True, slots=True)
class BudgetRow:
    scope: Scope
    id: str
    name: str
    signatures: int
    per_day: float


@dataclass(frozen=True)
class BudgetReport:
    month: str  # 2026-11
    as_of: datetime
    total: int
    per_day: float  # the burn rate
    budget: int | None
    left: int | None
    runs_out_on: date | None
    exhausted_on: date | None
    rows: tuple[BudgetRow, ...]

    @property
    def text(self) -> str:
        head = f"{self.month}: {self.total} signatures, {self.per_day:.1f}/day"
        if self.budget is None:
            return f"{head}; no monthly budget set"
        if self.exhausted_on is not None:
            return (f"{head}; the budget of {self.budget} ran out on "
                    f"{self.exhausted_on.isoformat()}")
        if self.runs_out_on is not None:
            return (f"{head}; {self.left} of {self.budget} left, at this rate they run out "
                    f"on {self.runs_out_on.isoformat()}")
        return f"{head}; {self.left} of {self.budget} left, enough for the month at this rate"

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "as_of": iso(self.as_of),
            "total": self.total,
            "per_day": round(self.per_day, 3),
            "budget": self.budget,
            "left": self.left,
            "runs_out_on": self.runs_out_on.isoformat() if self.runs_out_on else None,
            "exhausted_on": self.exhausted_on.isoformat() if self.exhausted_on else None,
            "rows": [
                {"scope": r.scope, "id": r.id, "name": r.name, "signatures": r.signatures,
                 "per_day": round(r.per_day, 3)}
                for r in self.rows
            ],
        }


def budget_report(tally: BudgetTally, now: datetime, config: BudgetConfig) -> BudgetReport:
    elapsed_days = max((now - tally.start).total_seconds(), 3600.0) / 86400
    per_day = tally.total / elapsed_days
    rows = tuple(
        BudgetRow(scope, ident, name, count, count / elapsed_days)
        for scope in ("keypair", "signer", "release")
        for ident, name, count in tally.rows(scope)
    )
    budget = config.monthly
    left = None if budget is None else max(0, budget - tally.total)
    exhausted_on = runs_out_on = None
    if budget is not None and tally.total >= budget:
        running = 0
        for day in sorted(tally.per_day):
            running += tally.per_day[day]
            if running >= budget:
                exhausted_on = day
                break
    elif budget is not None and per_day > 0:
        runs_out = now + timedelta(days=(budget - tally.total) / per_day)
        if runs_out < tally.end:
            runs_out_on = runs_out.date()
    return BudgetReport(
        month=f"{tally.start.year:04d}-{tally.start.month:02d}",
        as_of=now,
        total=tally.total,
        per_day=per_day,
        budget=budget,
        left=left,
        runs_out_on=runs_out_on,
        exhausted_on=exhausted_on,
        rows=rows,
    )


_TITLES = {"keypair": "Keypairs", "signer": "Signers", "release": "Releases"}


def budget_lines(report: BudgetReport, rows: int = 50) -> list[str]:
    """The report as text lines: the summary, then each scope's busiest `rows`."""
    lines = [f"Signature budget  {report.text}"]
    for scope in ("keypair", "signer", "release"):
        scoped = [r for r in report.rows if r.scope == scope]
        lines += ["", f"{_TITLES[scope]} ({len(scoped)})"]
        for row in scoped[:rows]:
            lines.append(f"  {(row.name or row.id)[:40]:<40}  {row.signatures:>8}  "
                         f"{row.per_day:>8.1f}/day")
        if len(scoped) > rows:
            lines.append(f"  … and {len(scoped) - rows} more (in the CSV export)")
    return lines


CSV_HEADER = ["month", "scope", "id", "name", "signatures", "per_day"]


def csv_rows(report: BudgetReport) -> list[list[str]]:
    """The report as CSV rows (header first), every cell safe for a spreadsheet."""
    out = [CSV_HEADER]
    for row in report.rows:
        out.append([spreadsheet_cell(v) for v in (
            report.month, row.scope, row.id, row.name, row.signatures,
            f"{row.per_day:.2f}")])
    out.append([spreadsheet_cell(v) for v in (
        report.month, "total", "", "", report.total, f"{report.per_day:.2f}")])
    return out


async def load_budget(
    source: MonitorSource, now: datetime, config: BudgetConfig, *, page_size: int = 100
) -> BudgetReport:
    """Read this month's signatures (page by page, counted as they come) into a report."""
    start = month_start(now)
    tally = BudgetTally(start)

    async def read(offset: int, limit: int) -> tuple[int, list[Attempt]]:
        return await source.signatures_page(offset=offset, limit=limit, since=start)

    await LogCursor(read, page_size=page_size).load(tally.add_all, since=start)
    return budget_report(tally, now, config)

