"""Screenshots of the release monitor: `python screenshots/monitor_shots.py`.

The monitor during an active release: platform-fw-7.1 at 32 of 40 signatures (the gauge
amber at 80%), with the quota alert and a refused attempt in the alerts pane, at 120x40 and
80x24. Drawn from the hand-built scene the snapshot tests use (tests/tui/_monitor_scene.py),
so every run draws the same pictures; PNGs as in generate.py (`rsvg-convert`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from generate import to_png  # noqa: E402

from stm_tui.tui.monitor_app import MonitorApp  # noqa: E402
from stm_tui.tui.screens.monitor import MonitorScreen  # noqa: E402
from tests.tui._monitor_scene import scene_model  # noqa: E402

SHOTS = [("monitor-120x40", (120, 40)), ("monitor-80x24", (80, 24))]


def shoot(name: str, size: tuple[int, int]) -> Path:
    model = scene_model()
    app = MonitorApp(lambda: MonitorScreen(model))
    target = HERE / f"{name}.svg"

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await pilot.pause()
        await pilot.pause(0.2)
        app.save_screenshot(target.name, path=str(HERE))
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return target


def main() -> int:
    for name, size in SHOTS:
        svg = shoot(name, size)
        png = to_png(svg)
        print(svg.name, png.name if png else "(no rsvg-convert: SVG only)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
