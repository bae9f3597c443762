"""Regenerate the screenshots in this folder from the demo: `python screenshots/generate.py`.

Starts the emulator in-process (demo seed, fixed clock, no activity, so every run draws the same
pictures), runs the dashboard headless, saves an SVG of every area at 120x40 plus a few more
views, and converts each SVG to PNG with `rsvg-convert` (Debian package `librsvg2-bin`).
"""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from textual.pilot import Pilot

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.provenance import for_demo
from stm_tui.session import Session
from stm_tui.store.store import Freshness
from stm_tui.tui.app import StmApp
from stm_tui.tui.areas import AREAS

HERE = Path(__file__).resolve().parent
FROZEN = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)

# (file name, terminal size, keys pressed once the data has loaded)
SHOTS: list[tuple[str, tuple[int, int], Sequence[str]]] = [
    *((f"{i:02d}-{a.mode}", (120, 40), (a.key,)) for i, a in enumerate(AREAS, start=1)),
    ("overview-80x24", (80, 24), ()),
    ("certificate-detail", (120, 40), ("3", "enter")),
    ("release-detail-80x24", (80, 24), ("4", "enter")),
    ("threat-report", (120, 40), ("5", "enter")),
    ("filter-80x24", (80, 24), ("2", "slash", *"ecdsa")),
    ("help", (120, 40), ("question_mark",)),
    ("connection-80x24", (80, 24), ("I",)),
]


def make_app(server: EmulatorServer) -> StmApp:
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=True)
    client.host = "https://stm.demo.example"  # shown in the identity bar instead of the port
    session = Session(client, profile_name="demo", clock=lambda: FROZEN, local="you@jump-host",
                      provenance=for_demo())
    return StmApp(session)  # the session holds the one clock


async def _settle(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, StmApp)
    store = app.session.store
    for _ in range(300):
        if app.session.identity is not None and all(
            store.collection(n).status.state is not Freshness.LOADING for n in store.names
        ):
            break
        await pilot.pause(0.05)
    await pilot.pause(0.2)


def shoot(server: EmulatorServer, name: str, size: tuple[int, int], keys: Sequence[str]) -> Path:
    app = make_app(server)
    target = HERE / f"{name}.svg"

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await pilot.press(*keys)
        await _settle(pilot)  # a detail may fetch a report
        app.save_screenshot(str(target.name), path=str(HERE))
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return target


def to_png(svg: Path) -> Path | None:
    converter = shutil.which("rsvg-convert")
    if converter is None:
        return None
    # rsvg collapses the non-breaking spaces Textual writes at span starts; plain spaces with
    # xml:space="preserve" keep the columns where the terminal has them.
    text = svg.read_text(encoding="utf-8").replace("&#160;", " ")
    text = re.sub(r"<svg ", '<svg xml:space="preserve" ', text, count=1)
    png = svg.with_suffix(".png")
    with tempfile.NamedTemporaryFile("w", suffix=".svg", encoding="utf-8") as tmp:
        tmp.write(text)
        tmp.flush()
        subprocess.run([converter, "--zoom", "1", tmp.name, "-o", str(png)], check=True)
    return png


Shoot = Callable[[EmulatorServer, str, tuple[int, int], Any], Path]


def shoot_all(shots: Sequence[tuple[str, tuple[int, int], Any]], shoot_one: Shoot) -> int:
    """Every shot against one demo emulator on the fixed clock, each as SVG and PNG."""
    with tempfile.TemporaryDirectory(prefix="stm-tui-shots-") as data:
        server = EmulatorServer(data_dir=Path(data), seed="demo", clock=lambda: FROZEN)
        server.start()
        try:
            for name, size, how in shots:
                svg = shoot_one(server, name, size, how)
                png = to_png(svg)
                print(svg.name, png.name if png else "(no rsvg-convert: SVG only)")
        finally:
            server.stop()
    return 0


def main() -> int:
    return shoot_all(SHOTS, shoot)


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
