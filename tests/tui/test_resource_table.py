"""ResourceTable in a tiny app: keys, mouse, cursor by key, quiet diffs, narrow screens."""

from __future__ import annotations

from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.message import Message

from stm_tui.tui.widgets.resource_table import Column, ResourceTable, Row

COLUMNS = [
    Column("alias", "Alias"),
    Column("status", "Status", width=8),
    Column("subject", "Subject", width=40, priority=3),
    Column("serial", "Serial", width=18, priority=2),
    Column("days", "Days", width=5, align="right", priority=1),
]
STATUSES = ("active", "revoked", "expired")


def cert(i: int, status: str | None = None, subject: Any = None) -> Row:
    return Row(
        key=f"id-{i}",
        cells=(
            f"cert-{i:04d}",
            status or STATUSES[i % 3],
            subject if subject is not None else f"CN=host{i}.example.com",
            f"{i * 7919:018X}",
            str(i % 365),
        ),
    )


class TableApp(App[None]):
    def __init__(self, rows: list[Row]) -> None:
        super().__init__()
        self.rows = rows
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield ResourceTable(COLUMNS, id="certs")

    def on_mount(self) -> None:
        table = self.query_one(ResourceTable)
        table.set_rows(self.rows)
        table.focus()

    def on_resource_table_row_selected(self, message: ResourceTable.RowSelected) -> None:
        self.messages.append(message)

    def on_resource_table_row_highlighted(self, message: ResourceTable.RowHighlighted) -> None:
        self.messages.append(message)

    def on_resource_table_view_changed(self, message: ResourceTable.ViewChanged) -> None:
        self.messages.append(message)


def screen_lines(table: ResourceTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


def selected(app: TableApp) -> list[str]:
    return [m.key for m in app.messages if isinstance(m, ResourceTable.RowSelected)]


def rows(count: int) -> list[Row]:
    return [cert(i) for i in range(count)]


async def test_keyboard_moves_the_cursor_and_enter_selects() -> None:
    app = TableApp(rows(200))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        assert table.cursor_key == "id-0"
        await pilot.press("down", "down")
        assert table.cursor_key == "id-2"
        await pilot.press("pagedown")
        page = table.scrollable_content_region.height - 1
        assert table.cursor_key == f"id-{2 + page}"
        await pilot.press("end")
        assert table.cursor_key == "id-199"
        assert "cert-0199" in screen_lines(table)[-1]
        await pilot.press("pageup", "home", "up")
        assert table.cursor_key == "id-0"
        await pilot.press("enter")
        await pilot.pause()
        assert selected(app) == ["id-0"]
        highlighted = [m for m in app.messages if isinstance(m, ResourceTable.RowHighlighted)]
        assert highlighted[-1].key == "id-0"


async def test_s_cycles_the_sort_column_and_shift_s_reverses() -> None:
    app = TableApp(rows(30))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        await pilot.press("s")
        assert table.sort_column == "alias" and not table.sort_reverse
        assert "Alias ▲" in screen_lines(table)[0]
        await pilot.press("S")
        assert table.sort_reverse
        assert table.visible_keys()[0] == "id-29"
        assert "Alias ▼" in screen_lines(table)[0]
        await pilot.press("s")
        assert table.sort_column == "status"


async def test_mouse_click_moves_cursor_then_selects_and_header_sorts() -> None:
    app = TableApp(rows(50))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        await pilot.click(ResourceTable, offset=(3, 4))  # line 4 = fourth data row
        assert table.cursor_key == "id-3"
        assert selected(app) == []
        await pilot.click(ResourceTable, offset=(3, 4))
        await pilot.pause()
        assert selected(app) == ["id-3"]
        await pilot.click(ResourceTable, offset=(2, 0))  # header: the Alias title
        assert table.sort_column == "alias" and not table.sort_reverse
        await pilot.click(ResourceTable, offset=(2, 0))
        assert table.sort_reverse
        assert table.cursor_key == "id-3"  # the cursor stays on its row across the sort


async def test_cursor_stays_on_its_key_across_diffs_filters_sorts_and_replace() -> None:
    app = TableApp(rows(500))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        assert table.move_cursor_to_key("id-249")
        table.apply_diff([cert(-1), cert(-2)], ["id-0", "id-1", "id-2"])
        assert table.cursor_key == "id-249"
        table.sort_by("days", reverse=True)
        assert table.cursor_key == "id-249"
        table.set_filter("active")
        assert table.cursor_key == "id-249"
        table.set_rows([cert(i) for i in range(200, 600)])
        assert table.cursor_key == "id-249"
        table.sort_by(None)
        index = table.cursor_row
        table.set_filter("!id-249 !cert-0249")  # the cursor row is filtered out
        assert table.cursor_key is not None and table.cursor_key != "id-249"
        assert table.cursor_row == min(index, table.row_count - 1)  # the nearest row
        await pilot.pause()
        lines = screen_lines(table)
        cursor_line = table.cursor_row - round(table.scroll_y) + 1
        assert 1 <= cursor_line < len(lines)  # kept on screen
        assert not table.move_cursor_to_key("id-249")


async def test_diff_keeps_the_cursor_row_at_its_place_on_screen() -> None:
    app = TableApp(rows(1000))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        table.move_cursor_to_key("id-500")
        await pilot.pause()
        line_before = table.cursor_row - round(table.scroll_y)
        table.apply_diff([], [f"id-{i}" for i in range(10)])  # rows above the cursor go
        await pilot.pause()
        assert table.cursor_key == "id-500"
        assert table.cursor_row - round(table.scroll_y) == line_before


async def test_identical_diff_calls_no_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    app = TableApp(rows(300))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        await pilot.pause()
        calls: list[Any] = []
        monkeypatch.setattr(table, "refresh", lambda *a, **k: calls.append(a))
        messages = len(app.messages)
        table.apply_diff([cert(i) for i in range(300)], ["not-there"])
        await pilot.pause()
        assert calls == []
        assert len(app.messages) == messages  # no ViewChanged either


async def test_diff_outside_the_viewport_repaints_no_visible_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = TableApp(rows(300))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        await pilot.pause()
        calls: list[Any] = []
        monkeypatch.setattr(table, "refresh", lambda *a, **k: calls.append(a))
        table.apply_diff([cert(250, status="revoked!"), cert(999)], ["id-260"])
        assert calls == []  # rows 250, 260 and the new one are far below the screen
        table.apply_diff([cert(3, status="revoked!")], [])
        assert len(calls) == 1  # just the line of row 3
        (region,) = calls[0]
        assert region.y == 4 and region.height == 1
        await pilot.pause()
        counts = [m for m in app.messages if isinstance(m, ResourceTable.ViewChanged)]
        assert (counts[-1].row_count, counts[-1].total_count) == (300, 300)


@pytest.mark.parametrize(
    ("width", "shown", "dropped"),
    [
        (120, ["Alias", "Status", "Subject", "Serial", "Days"], []),
        (80, ["Alias", "Status", "Serial", "Days"], ["Subject"]),
        (40, ["Alias", "Status", "Days"], ["Subject", "Serial"]),
    ],
)
async def test_narrow_screens_drop_low_priority_columns(
    width: int, shown: list[str], dropped: list[str]
) -> None:
    app = TableApp(rows(40))
    async with app.run_test(size=(width, 24)):
        table = app.query_one(ResourceTable)
        header = screen_lines(table)[0]
        assert [title for title in shown if title in header] == shown
        assert not [title for title in dropped if title in header]
        assert all(
            len(line) == table.scrollable_content_region.width for line in screen_lines(table)
        )
        assert "cert-0000" in screen_lines(table)[1]


async def test_server_text_that_looks_like_markup_is_shown_literally() -> None:
    data = [
        cert(0, subject="[bold]x[/]"),
        cert(1, subject="CN=foo [test]"),
        cert(2, subject=Text("[red]styled[/red] O=Org", style="italic")),
        cert(3, subject="bell\x07 esc\x1b[31m"),
    ]
    app = TableApp(data)
    async with app.run_test(size=(120, 24)):
        lines = screen_lines(app.query_one(ResourceTable))
        assert "[bold]x[/]" in lines[1]
        assert "CN=foo [test]" in lines[2]
        assert "[red]styled[/red] O=Org" in lines[3]
        assert "\x1b" not in lines[4] and "\x07" not in lines[4]
        assert "bell\u2407 esc\u241b[31m" in lines[4]  # shown, not acted on


async def test_filter_updates_counts_and_reports_unknown_fields() -> None:
    app = TableApp(rows(90))
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one(ResourceTable)
        table.set_filter("status:revoked")
        await pilot.pause()
        assert (table.row_count, table.total_count) == (30, 90)
        assert table.filter_query == "status:revoked"
        counts = [m for m in app.messages if isinstance(m, ResourceTable.ViewChanged)]
        assert (counts[-1].row_count, counts[-1].total_count) == (30, 90)
        table.set_filter("owner:bob")
        assert table.row_count == 0 and table.cursor_key is None
        assert table.filter_error is not None and "owner" in table.filter_error
        assert screen_lines(table)[1].strip() == ""


async def test_long_cells_are_cut_with_an_ellipsis() -> None:
    app = TableApp([cert(0, subject="CN=" + "x" * 200)])
    async with app.run_test(size=(80, 24)):
        line = screen_lines(app.query_one(ResourceTable))[1]
        assert "…" in line and "CN=xxx" in line
