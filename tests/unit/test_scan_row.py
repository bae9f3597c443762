"""The Scans list says a scan is deleted (the service keeps listing it, flagged) instead of
showing its old result as if it still stood."""

from __future__ import annotations

from datetime import UTC, datetime

from stm_tui.api.models import Scan
from stm_tui.store.store import Store
from stm_tui.views.rows.activity import scan_row
from stm_tui.views.rows.base import Context

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def status_cell(raw: dict[str, object]) -> str:
    row = scan_row(Scan.model_validate({"id": "s1", **raw}), Context(store=Store(), now=NOW))
    cell = row.cells[4]
    return cell if isinstance(cell, str) else cell.plain


def test_a_deleted_scan_reads_deleted_and_a_live_one_its_status() -> None:
    assert status_cell({"status": "FAIL", "deleted": True}) == "DELETED"
    assert status_cell({"status": "FAIL"}) == "FAIL"
