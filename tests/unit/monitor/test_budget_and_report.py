"""The signature budget and the release report's expectations, against hand-built logs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from stm_tui.views.monitor.budget import (
    BudgetConfig,
    BudgetTally,
    budget_report,
    csv_rows,
    month_start,
    next_month,
)
from stm_tui.views.monitor.records import Attempt, Named, ScanState
from stm_tui.views.monitor.report import Expectations, ReleaseReport, build_report, report_text
from tests.unit.monitor._log import BOT, EVE, KP, KP2, SIGNER, T0, attempt, failed, scan, window

DAY = timedelta(days=1)


def november(per_day: int, days: int) -> BudgetTally:
    """`per_day` signatures a day from Nov 1st for `days` days, alternating keypairs."""
    tally = BudgetTally(month_start(T0))
    n = 0
    for day in range(days):
        for i in range(per_day):
            at = datetime(2026, 11, 1, 9, tzinfo=UTC) + day * DAY + timedelta(minutes=i)
            tally.add(attempt(n, at, keypair=KP if i % 2 else KP2, user=SIGNER))
            n += 1
    return tally


def test_month_bounds() -> None:
    assert month_start(T0) == datetime(2026, 11, 1, tzinfo=UTC)
    assert next_month(datetime(2026, 12, 1, tzinfo=UTC)) == datetime(2027, 1, 1, tzinfo=UTC)


def test_only_this_months_successful_signatures_count() -> None:
    tally = BudgetTally(month_start(T0))
    assert tally.add(attempt(1, T0))
    assert not tally.add(failed(2, T0))  # refused attempts are not billed
    assert not tally.add(attempt(3, datetime(2026, 10, 31, 23, 59, tzinfo=UTC)))
    assert not tally.add(attempt(4, datetime(2026, 12, 1, tzinfo=UTC)))
    assert tally.total == 1


@pytest.mark.parametrize(
    ("budget", "runs_out", "exhausted", "text"),
    [
        # 26 days in, 100 a day: 2600 so far, 100/day.
        (None, None, None, "2026-11: 2600 signatures, 100.0/day; no monthly budget set"),
        (5000, None, None,
         "2026-11: 2600 signatures, 100.0/day; 2400 of 5000 left, enough for the month at "
         "this rate"),
        (2900, date(2026, 11, 30), None,
         "2026-11: 2600 signatures, 100.0/day; 300 of 2900 left, at this rate they run out "
         "on 2026-11-30"),
        (2050, None, date(2026, 11, 21),
         "2026-11: 2600 signatures, 100.0/day; the budget of 2050 ran out on 2026-11-21"),
    ],
)
def test_burn_rate_and_when_the_budget_runs_out(
    budget: int | None, runs_out: date | None, exhausted: date | None, text: str
) -> None:
    now = datetime(2026, 11, 27, tzinfo=UTC)
    report = budget_report(november(100, 26), now, BudgetConfig(monthly=budget))
    assert (report.total, report.per_day) == (2600, 100.0)
    assert (report.runs_out_on, report.exhausted_on, report.text) == (runs_out, exhausted, text)


def test_budget_rows_per_keypair_signer_and_release_and_csv() -> None:
    tally = BudgetTally(month_start(T0))
    hostile = Named("u-h", "=HYPERLINK(\"http://x\")")
    tally.add_all([attempt(1, T0), attempt(2, T0, user=BOT), attempt(3, T0, keypair=KP2,
                   user=hostile, release=None)])
    report = budget_report(tally, T0 + 12 * DAY, BudgetConfig(monthly=10))
    rows = [(r.scope, r.name, r.signatures) for r in report.rows]
    assert rows == [
        ("keypair", "desktop-installer-ev", 2), ("keypair", "desktop-driver-kit", 1),
        ("signer", "=HYPERLINK(\"http://x\")", 1), ("signer", "Sam Signer", 1),
        ("signer", "ci-release-bot", 1),
        ("release", "desktop-4.3.0", 2), ("release", "(no release)", 1),
    ]
    text = io.StringIO()
    csv.writer(text).writerows(csv_rows(report))
    parsed = list(csv.reader(io.StringIO(text.getvalue())))
    assert parsed[0] == ["month", "scope", "id", "name", "signatures", "per_day"]
    assert parsed[3][3] == "'=HYPERLINK(\"http://x\")"  # a spreadsheet shows it as text
    assert parsed[-1][:5] == ["2026-11", "total", "", "", "3"]


def report_for(attempts: list[Attempt], scans: list[ScanState], **expect: Any) -> ReleaseReport:
    return build_report(window(), attempts, scans, Expectations(**expect))


GOOD = [attempt(i, T0 - timedelta(minutes=i), user=SIGNER if i % 2 else BOT) for i in range(5)]


@pytest.mark.parametrize(
    ("attempts", "scans", "expect", "code"),
    [
        (GOOD, [scan("PASS")], {"expect": 5}, 0),
        (GOOD, [], {}, 0),  # no scan: nothing failed
        (GOOD, [scan("PASS")], {"expect": 6}, 9),  # too few
        ([*GOOD, failed(9, T0)], [scan("PASS")], {"expect": 5}, 10),  # a failed attempt
        ([*GOOD, failed(9, T0)], [scan("PASS")], {"expect": 5, "allow_failed": True}, 0),
        (GOOD, [scan("FAIL")], {"expect": 5}, 12),  # a failed scan
        (GOOD, [scan("ERROR")], {}, 12),  # a scan that could not run
        ([failed(9, T0)], [scan("FAIL")], {"expect": 1}, 15),  # all three
    ],
)
def test_report_exit_codes(
    attempts: list[Attempt], scans: list[ScanState], expect: dict[str, Any], code: int
) -> None:
    assert report_for(attempts, scans, **expect).exit_code == code


def test_report_contents() -> None:
    attempts = [*GOOD, failed(9, T0 - timedelta(minutes=2)),
                attempt(10, T0, user=EVE, release=None),  # on its keypair, not attributed
                attempt(11, T0, keypair=KP2, release=None)]  # unrelated keypair
    report = report_for(attempts, [scan("FAIL")], expect=5)
    assert (report.success, report.failed, report.outside) == (5, 1, 1)
    assert report.first is not None and report.first.id == "sig-000004"
    assert report.last is not None and report.last.id == "sig-000000"
    assert [(t.label, t.success, t.failed, t.outside) for _, t in report.by_signer] == [
        ("ci-release-bot", 3, 0, 0), ("Sam Signer", 2, 0, 0), ("Eve Outsider", 0, 1, 1)]
    text = report_text(report)
    assert "Failed attempts:" in text and "not a listed signer" in text
    assert "[FAIL] the threat scan did not fail: scan desktop-client-4.3.0-scan: FAIL" in text
    assert "[ ok ] at least 5 successful signatures: 5 successful" in text
    assert text.rstrip().endswith("Exit code 14")
    data = report.as_dict()
    assert data["exit_code"] == 14 and data["failed_attempts"][0]["reason"] == "not a listed signer"
