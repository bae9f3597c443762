"""The keypair and certificate workflows' screenshots: `python screenshots/generate_writes.py`
(all of them) or `... generate_writes.py NAME ...` (those shots only).

Each form, its preview and its confirmation at 120x40 and at 80x24 (`*-80x24`), drawn from
the demo seed on a fixed clock, in write mode, one dashboard per size. Nothing is confirmed:
every shot stops at the screen it names, then Esc backs out of it. Same conversion to PNG
as `generate.py` (`rsvg-convert`).
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).resolve().parent))
from generate import FROZEN, HERE, _settle, to_png

from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.app import StmApp

# (file name, keys pressed once the data has loaded); each is shot at both sizes.
WRITE_SHOTS: list[tuple[str, Sequence[str]]] = [
    ("keypair-generate-form", ("2", "N", *"build-key-2027")),
    ("keypair-generate-preview", ("2", "N", *"build-key-2027", "ctrl+s")),
    ("keypair-update-form", ("2", "m")),
    ("keypair-update-preview", ("2", "m", "ctrl+u", *"desktop-driver-kit-2", "ctrl+s")),
    ("keypair-delete-confirm", ("2", "D")),
    ("certificate-generate-form", ("2", "A", *"desktop-driver-kit-2027")),
    ("certificate-set-default-confirm", ("3", "slash", *"second-cert", "enter", "F")),
    ("certificate-download-form", ("3", "d")),
    ("certificate-download-preview", ("3", "d", "ctrl+s")),
    ("certificate-copy-as", ("3", "c")),
    ("command-log", ("l",)),
]
SIZES = {"": (120, 40), "-80x24": (80, 24)}
ONLY = set(sys.argv[1:])  # shot names to redo; none: all of them


def make_app(server: EmulatorServer) -> StmApp:
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=False)
    client.host = "https://stm.demo.example"
    session = Session(client, profile_name="demo", clock=lambda: FROZEN, local="you@jump-host",
                      read_only=False)
    return StmApp(session)


def add_second_certificate(server: EmulatorServer) -> None:
    """A non-default certificate, so "Make default" has something to offer."""
    key = server.credentials["users"]["lead"]["api_key"]
    api = f"{server.url}/signingmanager/api/v1"
    with httpx.Client(headers={"x-api-key": key}) as http:
        kp = next(k for k in http.get(f"{api}/keypairs").json()["items"]
                  if k["alias"] == "desktop-driver-kit")
        profile = next(p for p in http.get(f"{api}/certificate-profiles").json()["items"]
                       if p["name"].startswith("Private"))
        http.post(f"{api}/keypairs/{kp['id']}/certificates",
                  json={"alias": "second-cert", "certificate_profile_id": profile["id"],
                        "set_as_default_cert": False}).raise_for_status()


def shoot_all(server: EmulatorServer, suffix: str, size: tuple[int, int]) -> list[Path]:
    """Every shot at one size from one dashboard: loading the demo once, not per shot."""
    app = make_app(server)
    shots: list[Path] = []

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        for name, keys in WRITE_SHOTS:
            if ONLY and name not in ONLY:
                continue
            for key in keys:  # one at a time: a form must have the focus before typing
                await pilot.press(key)
                await pilot.pause()
            await pilot.pause(0.5)
            target = HERE / f"{name}{suffix}.svg"
            app.save_screenshot(target.name, path=str(HERE))
            shots.append(target)
            # Esc closes a preview (the form comes back), then the form, a menu, a filter.
            await pilot.press("escape", "escape", "escape", "escape", "1")
            await pilot.pause(0.3)
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return shots


def main() -> int:
    # The download form offers the current directory: a short path that says nothing of here.
    os.chdir(tempfile.gettempdir())
    with tempfile.TemporaryDirectory(prefix="stm-tui-shots-") as data:
        server = EmulatorServer(data_dir=Path(data), seed="demo", clock=lambda: FROZEN,
                                activity=False)
        server.start()
        try:
            add_second_certificate(server)
            for suffix, size in SIZES.items():
                for svg in shoot_all(server, suffix, size):
                    png = to_png(svg)
                    print(svg.name, png.name if png else "(no rsvg-convert: SVG only)")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    sys.exit(main())
