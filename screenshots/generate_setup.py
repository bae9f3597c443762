"""The setup checklist, a profile form and the CertCentral screen, from the demo:
`python screenshots/generate_setup.py` (new files only; `generate.py` draws the areas).

Same fixed clock and demo seed as `generate.py`, so every run draws the same pictures.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from textual.pilot import Pilot

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.app import StmApp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import FROZEN, HERE, _settle, to_png

# (file name, terminal size, keys pressed once the data has loaded)
SHOTS: list[tuple[str, tuple[int, int], Sequence[str]]] = [
    ("setup-checklist", (120, 40), ("0",)),
    ("setup-checklist-80x24", (80, 24), ("0",)),
    ("keypair-profile-form", (120, 40), ("W", "y", "K", "n", *"ci-release-keys")),
    ("keypair-profile-form-80x24", (80, 24), ("W", "y", "K", "n", *"ci-release-keys")),
    ("certcentral", (120, 40), ("Z",)),
]


def make_app(server: EmulatorServer) -> StmApp:
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=True)
    client.host = "https://stm.demo.example"  # shown in the identity bar instead of the port
    session = Session(client, profile_name="demo", clock=lambda: FROZEN, local="you@jump-host")
    return StmApp(session)


def shoot(server: EmulatorServer, name: str, size: tuple[int, int], keys: Sequence[str]) -> Path:
    app = make_app(server)
    target = HERE / f"{name}.svg"

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press(*keys)
        await _settle(pilot)
        app.save_screenshot(str(target.name), path=str(HERE))
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return target


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="stm-tui-shots-") as data:
        server = EmulatorServer(data_dir=Path(data), seed="demo", clock=lambda: FROZEN)
        server.start()
        try:
            for name, size, keys in SHOTS:
                svg = shoot(server, name, size, keys)
                png = to_png(svg)
                print(svg.name, png.name if png else "(no rsvg-convert: SVG only)")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
