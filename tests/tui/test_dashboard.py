"""Pilot tests: drive every area of the dashboard against the emulator, at 80x24 and 120x40."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from stm_tui.tui.app import StmApp
from stm_tui.tui.areas import AREAS
from stm_tui.tui.screens.detail_screen import DetailScreen
from stm_tui.tui.screens.help import HelpScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.overview import OverviewScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from stm_tui.views.table_model import plain as plain_cell
from tests.tui._pilot import detail_text, screen_text, top_screen
from tests.tui.conftest import loaded, wait_until

SIZES = [(80, 24), (120, 40)]


def label(app: StmApp, selector: str) -> str:
    widget = app.screen.query_one(selector, Static)
    return str(widget.render())


@pytest.mark.parametrize("size", SIZES)
async def test_every_area_opens_on_its_key_with_the_store_rows(
    app_factory: Callable[..., StmApp], size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen, OverviewScreen)
        assert app.screen.table.row_count > 0  # the demo seed has things to triage
        # What the top line shows, as drawn: at 80 columns the account and host are cut, the
        # mode, who and where from never are.
        top = screen_text(app).splitlines()[0]
        identity = app.session.identity
        assert identity is not None
        for shown in ("READ-ONLY", identity.user_name, "(Lead", "tester@jump-host"):
            assert shown in top, (size, shown, top)
        if size[0] >= 120:
            assert "@ Acme Software" in top and "stm.demo.test" in top, top
        for area in AREAS[1:]:
            await pilot.press(area.key)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, ListScreen), area.mode
            assert screen.area is area
            assert area.collection is not None
            expected = len(app.session.store.collection(area.collection).items)
            assert screen.table.total_count == expected, area.mode
            assert f"{expected}/{expected}" in label(app, "#view-info")
        await pilot.press("1")
        assert isinstance(app.screen, OverviewScreen)


@pytest.mark.parametrize("size", SIZES)
async def test_filter_narrows_the_list_and_escape_clears_it(
    app_factory: Callable[..., StmApp], size: tuple[int, int]
) -> None:
    app = app_factory()
    async with app.run_test(size=size) as pilot:
        await loaded(pilot)
        await pilot.press("3")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        total = screen.table.total_count
        await pilot.press("slash", *"status:revoked")
        await pilot.pause()
        revoked = [
            c
            for c in app.session.store.collection("certificates").items.values()
            if c.certificate_status == "REVOKED"
        ]
        assert 0 < screen.table.row_count == len(revoked) < total
        assert "/status:revoked" in label(app, "#view-info")
        await pilot.press("enter")  # leaves the filter line, keeps the filter
        assert screen.table.has_focus and screen.table.row_count == len(revoked)
        await pilot.press("slash", "escape")
        assert screen.table.row_count == total
        # An unknown field is reported, not fatal.
        await pilot.press("slash", *"nosuchfield:x")
        assert screen.table.row_count == 0
        assert "nosuchfield" in label(app, "#view-info")


async def test_sort_cycles_columns_and_reverses(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        table = screen.table

        def shown(column: str) -> list[str]:
            index = [c.key for c in table.columns].index(column)
            return [plain_cell(table.get_row(k).cells[index]) for k in table.visible_keys()]

        # The keypairs open sorted by alias.
        assert (table.sort_column, table.sort_reverse) == ("alias", False)
        aliases = [a.lower() for a in shown("alias")]
        assert aliases == sorted(aliases) and len(set(aliases)) > 1
        by_alias = table.visible_keys()
        await pilot.press("s")  # the next column
        assert (table.sort_column, table.sort_reverse) == ("alg", False)
        algorithms = shown("alg")
        assert algorithms == sorted(algorithms) and table.visible_keys() != by_alias
        await pilot.press("S")
        assert (table.sort_column, table.sort_reverse) == ("alg", True)
        assert shown("alg") == sorted(algorithms, reverse=True)


async def test_enter_opens_the_detail_beside_the_list_at_120_columns(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("3", "enter")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        pane = screen.query_one(DetailPane)
        assert pane.display
        key = screen.table.cursor_key
        assert key is not None
        cert = app.session.store.collection("certificates").items[key]
        body = detail_text(app)
        assert cert.alias is not None and cert.alias in body
        assert "SHA-256" in body and "Chain" in body
        # The list opens on the soonest expiry: an expired certificate, said as such.
        assert cert.certificate_status == "EXPIRED"
        assert "expired" in body and "days left" not in body
        await pilot.press("down")  # the pane follows the cursor
        assert screen.detail_key == screen.table.cursor_key
        await pilot.press("escape")
        assert not pane.display


async def test_enter_pushes_a_detail_screen_at_80_columns(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("4")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        open_ids = [
            r.id
            for r in app.session.store.collection("releases").items.values()
            if r.status == "OPEN"
        ]
        assert open_ids, "the demo seed has an open release"
        assert screen.focus_key(open_ids[0])
        await pilot.press("enter")
        assert isinstance(app.screen, DetailScreen)
        assert "Signature log" in detail_text(app)
        await pilot.press("escape")
        assert top_screen(app) is screen


async def test_overview_rows_jump_to_their_resource(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        overview = app.screen
        assert isinstance(overview, OverviewScreen)
        key = overview.table.cursor_key
        assert key is not None
        resource, ident = key.split(":", 1)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ListScreen))
        screen = app.screen
        assert isinstance(screen, ListScreen)
        assert screen.area.collection == resource
        assert screen.table.cursor_key == ident


async def test_threat_report_groups_findings_by_severity(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("5")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        failed = [
            s for s in app.session.store.collection("scans").items.values() if s.status == "FAIL"
        ]
        assert failed
        assert screen.focus_key(failed[0].id)
        await pilot.press("enter")
        reports = app.session.store.collection("scan_reports")
        await wait_until(pilot, lambda: failed[0].id in reports.items)
        await pilot.pause()
        body = detail_text(app)
        severities = [s for s in ("CRITICAL (", "HIGH (", "MEDIUM (", "LOW (") if s in body]
        assert severities, body
        positions = [body.index(s) for s in severities]
        assert positions == sorted(positions)


async def test_pause_refresh_and_help(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        assert "updated" in label(app, "#freshness")
        await pilot.press("p")
        assert app.session.poller.paused
        assert "paused" in label(app, "#freshness")
        await pilot.press("p")
        assert not app.session.poller.paused
        await pilot.press("r")
        await pilot.pause()
        assert "updated" in label(app, "#freshness")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, OverviewScreen)


async def test_copy_and_export_the_filtered_list(
    app_factory: Callable[..., StmApp], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("2", "slash", *"rsa", "enter")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        shown = screen.table.visible_keys()
        assert shown
        await pilot.press("y")
        assert app.clipboard == app.session.store.collection("keypairs").items[shown[0]].alias
        await pilot.press("i")
        assert app.clipboard == shown[0]
        await pilot.press("e", "E")
        check_exports(tmp_path, shown)


def check_exports(folder: Path, shown: list[str]) -> None:
    csv_files = list(folder.glob("stm-keypairs-*.csv"))
    json_files = list(folder.glob("stm-keypairs-*.json"))
    assert len(csv_files) == 1 and len(json_files) == 1
    with csv_files[0].open() as handle:
        rows = list(csv.reader(handle))
    assert rows[0][0] == "Alias" and len(rows) == len(shown) + 1
    data: list[dict[str, Any]] = json.loads(json_files[0].read_text())
    assert [item["id"] for item in data] == shown
    assert csv_files[0].stat().st_mode & 0o077 == 0


async def test_certificate_pem_is_copied(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("3", "P")
        assert app.clipboard.startswith("-----BEGIN CERTIFICATE-----")
        assert app.clipboard.count("BEGIN CERTIFICATE") >= 2  # leaf and chain


async def test_palette_jumps_to_a_resource_by_alias(app_factory: Callable[..., StmApp]) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        alias, ident = min(
            (k.alias, k.id)
            for k in app.session.store.collection("keypairs").items.values()
            if k.alias is not None
        )
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"keypair: {alias}")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_until(
            pilot,
            lambda: isinstance(app.screen, ListScreen) and app.screen.area.mode == "keypairs",
        )
        screen = app.screen
        assert isinstance(screen, ListScreen)
        await wait_until(pilot, lambda: screen.table.cursor_key == ident)
