"""The connection view (`I`, or "Connection & credentials" in the palette): who and where the
dashboard acts and where each credential came from, for real credential sources resolved
the way the dashboard resolves them, and never the key itself."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from pydantic import SecretStr
from rich.console import Console
from textual.containers import VerticalScroll

from stm_tui.api.client import STMClient
from stm_tui.config import Profile, app_paths
from stm_tui.credentials import ResolvedCredentials, resolve_credentials, store_secret
from stm_tui.provenance import for_profile
from stm_tui.session import Session
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.connection import ConnectionScreen, render_sections
from tests.tui.conftest import LOCAL, frozen, loaded, wait_until


def screen_text(app: StmApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def whole_view(screen: ConnectionScreen) -> str:
    """Everything the view holds, scrolled or not, as an 80-column terminal would get it."""
    console = Console(width=78, record=True, file=None, color_system=None)
    with console.capture():
        console.print(render_sections(screen.sections()))
    return console.export_text()


def shown_rows(screen: ConnectionScreen) -> dict[str, str]:
    return {label: value for section in screen.sections() for label, value in section.rows}


def app_with(server: Any, credentials: ResolvedCredentials, env: dict[str, str]) -> StmApp:
    """The dashboard as `stm-tui` builds it: a profile, its resolved credentials, and the
    session's provenance made from both."""
    profile = Profile(name="ops", host=server.url, source="environment")
    assert credentials.api_key is not None
    client = STMClient(server.url, credentials.api_key, read_only=True)
    session = Session(
        client, profile_name=profile.name, clock=frozen, local=LOCAL,
        provenance=for_profile(profile, credentials, env=env),
    )
    return StmApp(session)


def lead_key(server: Any) -> str:
    key = server.credentials["users"]["lead"]["api_key"]
    assert isinstance(key, str)
    return key


def never_shown(app: StmApp, key: str) -> None:
    screen = app.screen
    assert isinstance(screen, ConnectionScreen)
    for text in (screen_text(app), whole_view(screen)):
        assert key not in text and key[:12] not in text


@pytest.mark.parametrize("source", ["env", "file store"])
async def test_key_I_opens_the_view_naming_where_the_api_key_came_from(
    emulator: Any, source: str
) -> None:
    key = lead_key(emulator)
    profile = Profile(name="ops", host=emulator.url)
    if source == "env":
        env = {"SM_API_KEY": key}
        expected = "environment variable SM_API_KEY"
    else:
        env = {}
        store_secret(profile, "api_key", SecretStr(key), store="file")
        expected = f"file store (plain text) {app_paths().secrets_file}"
    creds = resolve_credentials(profile, env=env, use_keyring=False)
    app = app_with(emulator, creds, env)
    async with app.run_test(size=(80, 24)) as pilot:
        await loaded(pilot)
        await pilot.press("I")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectionScreen))
        screen = app.screen
        assert isinstance(screen, ConnectionScreen)
        text = screen_text(app)
        assert "Connection & credentials" in text
        assert "Dana Whitfield (Lead" in text  # the identity bar's user and role
        assert "read-only: every write is refused (W enters write mode)" in text
        assert "none: plain HTTP" in text  # the emulator on loopback: no TLS
        rows = shown_rows(screen)
        assert rows["API key"] == expected
        assert rows["OS keyring"] == "not checked"
        # On screen too, not only in the data (a path may wrap onto the next line).
        assert expected.partition(" /")[0] in text
        never_shown(app, key)
        # 80x24 does not hold it all: the end of it is a scroll away.
        body = screen.query_one("#connection-body", VerticalScroll)
        assert body.max_scroll_y > 0 and "Inventory cache" not in screen_text(app)
        await pilot.press("end")
        await wait_until(pilot, lambda: "Inventory cache" in screen_text(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConnectionScreen))


class MemoryKeyring:
    name = "SecretService Keyring"

    def __init__(self) -> None:
        self.store: dict[tuple[str, str], str] = {}


async def test_the_palette_opens_it_and_it_names_the_keyring_and_the_mode(
    emulator: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = lead_key(emulator)
    backend = MemoryKeyring()
    backend.store[("stm-tui", "ops:api_key")] = key
    module = types.ModuleType("keyring")
    module.get_keyring = lambda: backend  # type: ignore[attr-defined]
    module.get_password = lambda s, u: backend.store.get((s, u))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    profile = Profile(name="ops", host=emulator.url)
    creds = resolve_credentials(profile, env={})
    assert creds.api_key_source == "keyring"
    app = app_with(emulator, creds, {})
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        await pilot.press("ctrl+p", *"Connection")
        await wait_until(pilot, lambda: "Connection & credentials" in screen_text(app))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConnectionScreen))
        text = screen_text(app)
        assert "OS keyring (SecretService Keyring), entry stm-tui / ops:api_key" in text
        assert "available (SecretService Keyring)" in text
        assert "Inventory cache" in text  # 120x40 holds all of it
        never_shown(app, key)
        # The mode it shows follows the session's, as the identity bar's does.
        app.session.read_only = False
        await wait_until(pilot, lambda: "WRITE: writes are sent once confirmed" in screen_text(app))
        await pilot.press("I")  # the same key closes it
        await wait_until(pilot, lambda: not isinstance(app.screen, ConnectionScreen))
