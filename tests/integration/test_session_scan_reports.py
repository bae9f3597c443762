"""Scan reports reach the store like every other collection: the session reads the full
scans (findings included) of the failed ones on its own, and of one a view asks for."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from stm_tui.api import models as m
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from tests.integration._emu import client_for, reset_stats, stats

ITEM = "GET /signingmanager/api/v1/scans/{scan_id}"


async def until(check: Callable[[], bool], what: str) -> None:
    deadline = asyncio.get_running_loop().time() + 10.0
    while not check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for: {what}")
        await asyncio.sleep(0.02)


def report_reads(server: EmulatorServer) -> int:
    return stats(server).get(ITEM, 0)


async def test_failed_scans_and_asked_for_ones_get_their_findings(
    fresh_emulator: EmulatorServer,
) -> None:
    reset_stats(fresh_emulator)
    session = Session(
        client_for(fresh_emulator),
        resources=("scans", "scan_reports"),
        intervals={"scans": 0.05, "scan_reports": 0.05},
    )
    await session.start()
    try:
        scans = session.store.collection("scans")
        reports = session.store.collection("scan_reports")
        await until(lambda: scans.loaded and reports.loaded, "the first loads")
        failed = {i for i, s in scans.items.items() if s.status == "FAIL"}
        assert failed
        await until(lambda: failed <= set(reports.items), "the failed scans' reports")
        assert set(reports.items) == failed  # passing scans are not read unasked
        assert all(isinstance(r.findings, list) for r in reports.items.values())

        passing = next(i for i, s in scans.items.items() if s.status != "FAIL")
        session.want_scan_report(passing)
        await until(lambda: passing in reports.items, "the asked-for report")
        report = reports.get(passing)
        assert isinstance(report, m.Scan) and report.findings is not None

        # Many polls later, no report was read twice: nothing changed.
        reads = report_reads(fresh_emulator)
        await asyncio.sleep(0.5)
        assert report_reads(fresh_emulator) == reads == len(failed) + 1
    finally:
        await session.stop()
