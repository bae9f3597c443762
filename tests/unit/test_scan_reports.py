"""`ScanReportFetcher`: which full scans are read, in what order, how many a poll, and when a
report is dropped or read again."""

from __future__ import annotations

import pytest

from stm_tui.api import errors
from stm_tui.api import models as m
from stm_tui.store.store import Store
from stm_tui.store.sync import ScanReportFetcher


class Reports:
    """Full scans by id, as `GET /scans/{id}` answers; records what was asked."""

    def __init__(self, scans: list[m.Scan]) -> None:
        self.scans = {s.id: s for s in scans}
        self.asked: list[str] = []
        self.fail_after: int | None = None

    async def get_item(self, resource: str, item_id: str) -> m.Resource:
        assert resource == "scans"
        if self.fail_after is not None and len(self.asked) >= self.fail_after:
            raise errors.ServerError("down", status=503)
        self.asked.append(item_id)
        if item_id not in self.scans:
            raise errors.NotFound("not found (404)", status=404)
        listed = self.scans[item_id]
        return listed.model_copy(update={"findings": [m.Finding(severity="HIGH", title="x")]})


def scan(ident: str, status: str = "PASS", risk: str | None = None) -> m.Scan:
    return m.Scan(id=ident, status=status, risk_level=risk)


def store_with(scans: list[m.Scan]) -> Store:
    store = Store(resources=("scans", "scan_reports"))
    store.replace_all("scans", scans)
    return store


async def apply(store: Store, fetcher: ScanReportFetcher) -> None:
    result = await fetcher()
    assert not result.complete
    store.upsert("scan_reports", result.items)
    store.remove("scan_reports", result.removed)


async def test_failed_scans_get_their_report_and_passing_ones_only_when_asked() -> None:
    scans = [scan("ok-1"), scan("bad-1", "FAIL", "HIGH"), scan("bad-2", "FAIL", "LOW")]
    store, source = store_with(scans), Reports(scans)
    fetcher = ScanReportFetcher(source, store)
    await apply(store, fetcher)
    reports = store.collection("scan_reports")
    assert set(reports.items) == {"bad-1", "bad-2"}
    assert all(r.findings for r in reports.items.values())
    fetcher.want("ok-1")
    await apply(store, fetcher)
    assert set(reports.items) == {"bad-1", "bad-2", "ok-1"}
    assert source.asked.count("bad-1") == 1  # an unchanged report is not read again


async def test_reads_are_bounded_per_poll_and_what_a_view_asked_for_goes_first() -> None:
    scans = [scan(f"bad-{i}", "FAIL") for i in range(5)] + [scan("ok-1")]
    store, source = store_with(scans), Reports(scans)
    fetcher = ScanReportFetcher(source, store, per_poll=2)
    fetcher.want("ok-1")
    await apply(store, fetcher)
    assert source.asked[0] == "ok-1" and len(source.asked) == 2
    await apply(store, fetcher)
    await apply(store, fetcher)
    assert len(store.collection("scan_reports")) == 6


async def test_a_changed_scan_is_read_again_and_a_gone_one_loses_its_report() -> None:
    scans = [scan("bad-1", "FAIL", "HIGH"), scan("bad-2", "FAIL")]
    store, source = store_with(scans), Reports(scans)
    fetcher = ScanReportFetcher(source, store)
    await apply(store, fetcher)
    rescanned = scan("bad-1", "FAIL", "CRITICAL")
    source.scans["bad-1"] = rescanned
    store.replace_all("scans", [rescanned])  # bad-2 is gone from the list
    await apply(store, fetcher)
    reports = store.collection("scan_reports")
    assert sorted(source.asked[:2]) == ["bad-1", "bad-2"] and source.asked[2:] == ["bad-1"]
    assert set(reports.items) == {"bad-1"}
    report = reports.get("bad-1")
    assert report is not None and report.risk_level == "CRITICAL"


async def test_a_failure_keeps_what_arrived_and_raises_only_when_nothing_did() -> None:
    scans = [scan(f"bad-{i}", "FAIL") for i in range(3)]
    store, source = store_with(scans), Reports(scans)
    fetcher = ScanReportFetcher(source, store)
    source.fail_after = 1
    await apply(store, fetcher)
    assert len(store.collection("scan_reports")) == 1
    with pytest.raises(errors.ServerError):
        await fetcher()


async def test_a_report_that_is_not_found_is_no_longer_wanted() -> None:
    store, source = store_with([scan("ok-1")]), Reports([])
    fetcher = ScanReportFetcher(source, store)
    fetcher.want("ok-1")
    await apply(store, fetcher)
    await apply(store, fetcher)
    assert source.asked == ["ok-1"]
