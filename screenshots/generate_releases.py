"""The release window form and the approvals inbox at 120x40 and 80x24:
`python screenshots/generate_releases.py` (same emulator, clock and PNG conversion as
`generate.py`)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from textual.pilot import Pilot
from textual.widgets import Input, RadioButton, RadioSet

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.app import StmApp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import FROZEN, HERE, _settle, shoot_all

Steps = Callable[[Pilot[Any]], Awaitable[None]]


def make_app(server: EmulatorServer) -> StmApp:
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=True)
    client.host = "https://stm.demo.example"
    session = Session(client, profile_name="demo", clock=lambda: FROZEN, local="you@jump-host")
    return StmApp(session)


async def release_form(pilot: Pilot[Any]) -> None:
    """Write mode, the form, an online window whose keypair is already in an open one."""
    await pilot.press("W", "y", "4", "n")
    await pilot.pause(0.3)
    screen = pilot.app.screen
    list(screen.query_one("#field-release_type", RadioSet).query(RadioButton))[1].value = True
    for name, value in (("name", "platform-q4-hotfix-2"), ("version", "4.2.1"),
                        ("max_signatures", "200"), ("start_time", "2026-11-27T13:00Z"),
                        ("duration_minutes", "240")):
        field = screen.query_one(f"#field-{name}", Input)
        field.focus()
        field.value = value
        await pilot.pause()
    line = screen.query_one("#field-keypair_ids").query_one(".picker-filter", Input)
    line.focus()
    line.value = "platform-container"
    await pilot.pause()
    line.focus()
    await pilot.press("enter", "space")
    await pilot.pause(0.3)


async def inbox(pilot: Pilot[Any]) -> None:
    await pilot.press("0")
    await pilot.pause(0.3)
    if pilot.app.size.width >= 110:
        await pilot.press("enter")
        await pilot.pause(0.3)


SHOTS: list[tuple[str, tuple[int, int], Steps]] = [
    ("release-form", (120, 40), release_form),
    ("release-form-80x24", (80, 24), release_form),
    ("approvals-inbox", (120, 40), inbox),
    ("approvals-inbox-80x24", (80, 24), inbox),
]


def shoot(server: EmulatorServer, name: str, size: tuple[int, int], steps: Steps) -> Path:
    app = make_app(server)
    target = HERE / f"{name}.svg"

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await steps(pilot)
        app.save_screenshot(str(target.name), path=str(HERE))
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return target


def main() -> int:
    return shoot_all(SHOTS, shoot)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
