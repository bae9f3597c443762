"""The people-and-access screenshots: `python screenshots/people.py`.

Authenticator enrolment (the QR code; the secret only at 80x24), the user and service-user
forms, the token shown once and a team's permission matrix, each at 120x40 and 80x24. The
secret and the token in the pictures are fixed demo values that belong to nobody, so every
run draws the same pictures and no real credential ever reaches a screenshot.
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from textual.pilot import Pilot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from screenshots.generate import FROZEN, HERE, _settle, to_png
from stm_tui.api.client import STMClient
from stm_tui.emulator.server import EmulatorServer
from stm_tui.session import Session
from stm_tui.tui.app import StmApp
from stm_tui.tui.people.enrol import EnrolScreen
from stm_tui.tui.writes.shown_once import ShownOnceScreen

DEMO_SECRET = SecretStr("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
DEMO_URI = SecretStr(
    "otpauth://totp/DigiCert%20ONE%20%28stm-tui%20emulator%29%3Adana.whitfield%40acme.example"
    "?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=DigiCert+ONE+%28stm-tui+emulator%29"
    "&algorithm=SHA1&digits=6&period=30"
)
DEMO_TOKEN = SecretStr("0123456789abcdef0123456789_" + "d3m0" * 16)

Steps = Callable[[Pilot[Any]], Awaitable[None]]


def make_app(server: EmulatorServer) -> StmApp:
    key = server.credentials["users"]["lead"]["api_key"]
    client = STMClient(server.url, SecretStr(key), read_only=True)
    client.host = "https://stm.demo.example"
    session = Session(client, profile_name="demo", clock=lambda: FROZEN, local="you@jump-host")
    return StmApp(session)


async def _write_mode(pilot: Pilot[Any]) -> None:
    await pilot.press("W", "y")
    await pilot.pause()


async def enrolment(pilot: Pilot[Any]) -> None:
    await pilot.app.push_screen(
        EnrolScreen(DEMO_SECRET, DEMO_URI, account="dana.whitfield@acme.example")
    )


async def user_form(pilot: Pilot[Any]) -> None:
    await _write_mode(pilot)
    await pilot.press("7", "a", *"new.person", "at", *"acme", "full_stop", *"example")
    await pilot.press("tab", *"New", "space", *"Person")


async def service_user_form(pilot: Pilot[Any]) -> None:
    await _write_mode(pilot)
    await pilot.press("7", "A", *"release", "minus", *"bot", "tab", *"Signs", "space",
                      *"installers")


async def token_once(pilot: Pilot[Any]) -> None:
    await pilot.press("7")
    await pilot.app.push_screen(
        ShownOnceScreen(
            DEMO_TOKEN,
            title="The service user's API token",
            what="Give it to the pipeline that uses this service user (as SM_API_KEY).",
            hint="Revoking the service user's token later: stm-tui token revoke",
        )
    )


async def team_matrix(pilot: Pilot[Any]) -> None:
    await _write_mode(pilot)
    await pilot.press("8", "P", "down", "right", "right")


SHOTS: list[tuple[str, Steps]] = [
    ("people-enrol-qr", enrolment),
    ("people-user-form", user_form),
    ("people-service-user-form", service_user_form),
    ("people-token-once", token_once),
    ("people-team-matrix", team_matrix),
]


def shoot(server: EmulatorServer, name: str, size: tuple[int, int], steps: Steps) -> Path:
    app = make_app(server)
    target = HERE / f"{name}-{size[0]}x{size[1]}.svg"

    async def auto_pilot(pilot: Pilot[Any]) -> None:
        await _settle(pilot)
        await steps(pilot)
        await pilot.pause(0.3)
        # Toasts are timed: whether one is still up depends on the machine's speed.
        app.clear_notifications()
        await pilot.pause()
        app.save_screenshot(target.name, path=str(HERE))
        app.exit()

    app.run(headless=True, size=size, auto_pilot=auto_pilot)
    return target


def main(only: str | None = None) -> int:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stm-tui-people-shots-") as data:
        server = EmulatorServer(data_dir=Path(data), seed="demo", activity=False,
                                clock=lambda: FROZEN)
        server.start()
        try:
            for name, steps in SHOTS:
                if only and only not in name:
                    continue
                for size in ((120, 40), (80, 24)):
                    svg = shoot(server, name, size, steps)
                    png = to_png(svg)
                    print(svg.name, png.name if png else "(no rsvg-convert: SVG only)")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else None))
