"""Values a hostile server could send the dashboard: huge strings, formulas, escape codes in
what gets copied, exported or shown in a toast."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Log

from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.screens.pager import PAGER_LIMIT, PagerScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from tests.hostile import FORBIDDEN, HOSTILE, HostileProxy, items_of
from tests.tui._pilot import detail_text, recording
from tests.tui.conftest import app_at, loaded, wait_until


@pytest.mark.parametrize("megabytes", [1, 6])
async def test_a_huge_user_name_renders_cut_can_be_read_whole_and_q_still_quits(
    emulator: EmulatorServer, megabytes: int
) -> None:
    huge = "N" * (megabytes * 1_000_000)

    def enormous(path: str, data: Any) -> Any:
        if path.endswith("/user/me") and isinstance(data, dict):
            data["name"] = huge
        if path.endswith("/user"):
            for item in items_of(data):
                if (item.get("email") or "").startswith("dana"):
                    item["name"] = huge
        return data

    key = emulator.credentials["users"]["lead"]["api_key"]
    with HostileProxy(emulator, enormous) as proxy:
        app = app_at(proxy.url, key)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await pilot.press("7")
            screen = app.screen
            assert isinstance(screen, ListScreen)
            target = next(
                k for k, u in app.session.store.collection("users").items.items() if u.name == huge
            )
            screen.focus_key(target)
            await pilot.press("enter")
            await wait_until(pilot, lambda: "more characters" in detail_text(app))
            shown = detail_text(app)
            assert len(shown) < 20_000  # a few kB of the name, then how much was left out
            # The pager has the whole value (up to its own bound), folded into lines.
            await pilot.press("v")
            await wait_until(pilot, lambda: isinstance(app.screen, PagerScreen))
            log = app.screen.query_one(Log)
            await wait_until(pilot, lambda: log.line_count > 1000)
            in_pager = "".join(line.strip() for line in log.lines if set(line.strip()) == {"N"})
            if len(huge) < PAGER_LIMIT - 10_000:  # the other fields fit beside it
                assert in_pager == huge
            else:  # bounded too, and it says so
                assert PAGER_LIMIT // 2 < len(in_pager) < PAGER_LIMIT
                assert any("more characters" in line for line in log.lines)
            await pilot.press("escape")
            assert app.screen is screen
            await pilot.press("q")
        assert app.return_code == 0


async def test_exports_are_spreadsheet_safe_and_toasts_say_one_row(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    def formula(path: str, data: Any) -> Any:
        if path.endswith("/keypairs"):
            for item in items_of(data):
                if (item.get("alias") or "").startswith("desktop-driver"):
                    item["alias"] = '=HYPERLINK("http://evil.example","x")' + HOSTILE
        return data

    key = emulator.credentials["users"]["lead"]["api_key"]
    with HostileProxy(emulator, formula) as proxy:
        app = app_at(proxy.url, key)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            messages = recording(app)
            await pilot.press("2", "slash", *"HYPERLINK", "enter")
            screen = app.screen
            assert isinstance(screen, ListScreen) and screen.table.row_count == 1
            await pilot.press("e")
            await pilot.pause()
            await pilot.press("y")  # copy the name: the clipboard and the toast get it cleaned
            await pilot.pause()
            clipboard = app.clipboard
    check_csv_export(tmp_path)
    assert not any(ch in clipboard for ch in "\x1b\x07\x9b")
    assert any(m.startswith("1 row written to ") for m in messages), messages
    copied = [m for m in messages if m.startswith("copied name")]
    assert copied and all("\x1b" not in m and "\x07" not in m for m in copied)
    assert "=HYPERLINK" in clipboard and "\u241b]52;" in clipboard


def check_csv_export(folder: Path) -> None:
    written = next(folder.glob("stm-keypairs-*.csv"))
    with written.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[1][0].startswith("'=HYPERLINK(")
    raw = written.read_bytes()
    for forbidden in FORBIDDEN:
        assert forbidden not in raw


async def test_the_detail_pane_shows_server_text_cleaned(emulator: EmulatorServer) -> None:
    def poison(path: str, data: Any) -> Any:
        for item in items_of(data):
            if path.endswith("/teams"):
                item["description"] = f"line one\nline two {HOSTILE}"
        return data

    key = emulator.credentials["users"]["lead"]["api_key"]
    with HostileProxy(emulator, poison) as proxy:
        app = app_at(proxy.url, key)
        async with app.run_test(size=(120, 40)) as pilot:
            await loaded(pilot)
            await pilot.press("8", "enter")
            await pilot.pause()
            pane = app.screen.query_one(DetailPane)
            assert pane.display
            text = detail_text(app)
    assert re.search(r"line one\s*\n\s*line two", text)  # a description keeps its lines
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    assert "\u241b]52;c;" in text
