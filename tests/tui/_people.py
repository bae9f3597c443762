"""Helpers for the people-and-access dashboard tests."""

from __future__ import annotations

from typing import Any

import pyotp
from textual.pilot import Pilot

from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.people.enrol import EnrolScreen
from stm_tui.tui.writes.shown_once import ShownOnceScreen
from tests.conftest import AM, FROZEN_NOW, STM, api_client

# Keys Pilot sends for characters that are not their own key name.
_KEYS = {" ": "space", "@": "at", ".": "full_stop", "-": "minus", "_": "underscore",
         ",": "comma", ":": "colon"}


async def type_text(pilot: Pilot[Any], text: str) -> None:
    await pilot.press(*(_KEYS.get(ch, ch) for ch in text))


def shown_secret(screen: EnrolScreen | ShownOnceScreen) -> str:
    """The secret a shown-once screen holds while it is up (it drops it when it closes)."""
    secret = screen._secret
    assert secret is not None, "the screen has dropped its secret already"
    return secret.get_secret_value()


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The code the emulator's frozen clock accepts now (or a step either side)."""
    return pyotp.TOTP(secret).at(FROZEN_NOW.timestamp() + 30 * offset_steps)


def full_width(code: str) -> str:
    return "".join(chr(0xFF10 + int(d)) for d in code)


def main_account(server: EmulatorServer) -> dict[str, Any]:
    with api_client(server) as c:
        me = c.get(f"{AM}/user/me").json()
        return dict(c.get(f"{AM}/account/{me['primary_account_id']}").json())


def set_mfa(server: EmulatorServer, status: str) -> None:
    account = main_account(server)
    lead_secret = server.credentials["users"]["lead"]["totp_secret"]
    with api_client(server) as c:
        c.put(
            f"{AM}/account/{account['id']}",
            json={"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": status}]},
            headers={"x-totp-code": code_at(lead_secret, -1)},
        ).raise_for_status()


def users_on_server(server: EmulatorServer) -> list[dict[str, Any]]:
    with api_client(server) as c:
        return list(c.get(f"{AM}/user").json())


def teams_on_server(server: EmulatorServer) -> list[dict[str, Any]]:
    with api_client(server) as c:
        return list(c.get(f"{STM}/teams", params={"limit": 100}).json()["items"])
