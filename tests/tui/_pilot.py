"""Driving the dashboard in Pilot as a user would: what the screen shows, the toasts, a list
with its cursor on an item, write mode, a request form's fields; typed, so a test gets an
`StmApp`, a `ListScreen` or the item's model rather than `Any`.

Every step that opens a screen waits for it (bounded, `wait_until`): on a loaded machine a
key pressed before its screen is up lands on the one below.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, Input, Select, Static

from stm_tui.tui.app import StmApp
from stm_tui.tui.areas import AREAS
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.widgets.detail_pane import DetailPane
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.mode import WriteModeScreen
from tests.tui.conftest import wait_until

S = TypeVar("S", bound=Screen[Any])
T = TypeVar("T")

_LISTED_BY_KEY = {area.key: area.collection for area in AREAS if area.collection is not None}


def app_of(pilot: Pilot[Any]) -> StmApp:
    app = pilot.app
    assert isinstance(app, StmApp)
    return app


def top(app: App[Any], kind: type[S]) -> S:
    """The screen on top, which must be a `kind`.

    Narrowing a local rather than `app.screen` itself: mypy would keep `app.screen` narrowed
    across the next key press, when the top screen has changed.
    """
    screen = app.screen
    assert isinstance(screen, kind), f"{type(screen).__name__} on top, not {kind.__name__}"
    return screen


def top_screen(app: App[Any]) -> Screen[Any]:
    """The screen on top, for an identity check (`top_screen(app) is modal`): mypy narrows
    `app.screen` on `app.screen is x` and would hold it narrowed after the next key."""
    return app.screen


def selected(screen: AreaScreen, kind: type[T]) -> T:
    """The item the screen's write actions act on, which must be a `kind`."""
    item = screen.selected_item()
    assert isinstance(item, kind), f"{type(item).__name__} selected, not {kind.__name__}"
    return item


def screen_text(app: App[Any]) -> str:
    """The top screen as the terminal shows it, one line per row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def detail_text(app: App[Any]) -> str:
    """What the detail pane on the top screen shows, as plain text 100 columns wide."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(app.screen.query_one(DetailPane).renderable)
    return console.export_text()


def footer(app: App[Any]) -> str:
    return screen_text(app).splitlines()[-1]


def recording(app: App[Any]) -> list[str]:
    """Every toast from now on, as text (the toast is still shown)."""
    notes: list[str] = []
    original = app.notify

    def notify(message: Any, **kw: Any) -> None:
        notes.append(str(message))
        original(message, **kw)

    app.notify = notify  # type: ignore[method-assign]
    return notes


async def open_list(pilot: Pilot[Any], key: str) -> ListScreen:
    """The list of area `key`, once it is up (a key pressed during the switch is lost)."""
    app = app_of(pilot)
    await pilot.press(key)
    resource = _LISTED_BY_KEY[key]
    await wait_until(pilot, lambda: isinstance(app.screen, ListScreen)
                     and app.screen.view.resource == resource and app.screen.is_mounted)
    return top(app, ListScreen)


async def open_list_on(
    pilot: Pilot[Any], key: str, wanted: Callable[[object], bool]
) -> ListScreen:
    """The list of area `key`, its cursor on the first row whose item `wanted` accepts."""
    screen = await open_list(pilot, key)
    items = app_of(pilot).session.store.collection(screen.view.resource).items
    target = next(k for k in screen.table.visible_keys() if wanted(items[k]))
    assert screen.focus_key(target)
    await pilot.pause()
    return screen


async def enter_write_mode(pilot: Pilot[Any]) -> None:
    """W, then y on the question: the session is in write mode once this returns."""
    app = app_of(pilot)
    assert app.session.read_only, "already in write mode: W would leave it"
    await pilot.press("W")
    await wait_until(pilot, lambda: isinstance(app.screen, WriteModeScreen))
    await pilot.press("y")
    await wait_until(
        pilot, lambda: not app.session.read_only and not isinstance(app.screen, WriteModeScreen)
    )


def audit_lines(app: StmApp) -> list[dict[str, Any]]:
    """The session's audit file, one JSON object per line."""
    return [json.loads(line) for line in app.session.audit_path.read_text().splitlines()]


def files_under_user_dirs() -> str:
    """Every file under the test's private XDG config, data, cache and state directories
    (the audit file, logs, exports, screenshots), as text."""
    return "\n".join(
        path.read_text(errors="replace")
        for name in ("CONFIG", "DATA", "CACHE", "STATE")
        for path in Path(os.environ[f"XDG_{name}_HOME"]).rglob("*")
        if path.is_file()
    )


# -- a request form on top -------------------------------------------------------------------


def message(app: App[Any], name: str) -> str | None:
    """The message shown under field `name` (None: no message shown)."""
    line = app.screen.query_one(f"#msg-{name}", Static)
    return str(line.render()) if line.display else None


def submit_disabled(app: App[Any]) -> bool:
    return bool(app.screen.query_one("#submit", Button).disabled)


async def retype(pilot: Pilot[Any], name: str, text: str) -> None:
    """Replace a text field's value (posts the same `Input.Changed` as typing, key by key
    typing costs a pilot round trip per character) and leave the field, as a user would."""
    field = pilot.app.screen.query_one(f"#field-{name}", Input)
    field.focus()
    field.value = text
    await pilot.pause()


async def type_into(pilot: Pilot[Any], form: RequestForm[Any], name: str, text: str) -> None:
    """Clear a text field and type `text` into it key by key."""
    control = form.query_one(f"#field-{name}", Input)
    control.value = ""
    control.focus()
    await pilot.press(*text) if text else await pilot.pause()
    await pilot.pause()


async def put(pilot: Pilot[Any], form: RequestForm[Any], **values: Any) -> None:
    """Set controls as a user would leave them (a pick in a Select, a switch flipped)."""
    for name, value in values.items():
        form._write(form.state.by_name[name], value)
        await pilot.pause()


async def choose(pilot: Pilot[Any], name: str, label: str) -> None:
    """Open the Select, move to `label` with the arrow keys, Enter."""
    select: Select[Any] = pilot.app.screen.query_one(f"#field-{name}", Select)
    select.focus()
    prompts = [str(prompt) for prompt, _ in select._options]
    values = [value for _, value in select._options]
    here = values.index(select.value) if select.value in values else 0
    there = prompts.index(label)
    moves = ["down"] * (there - here) if there >= here else ["up"] * (here - there)
    await pilot.press("enter", *moves, "enter")
    await pilot.pause()
    assert select.value == values[there], f"{name}: {label} was not chosen"
