"""Every binding has an id a profile's keymap can use; a remapped key works everywhere the
action is shown; an unknown id stops the dashboard before it starts."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import Static

import stm_tui.tui
from stm_tui.config import load_profile
from stm_tui.tui import actions
from stm_tui.tui.app import StmApp
from stm_tui.tui.screens.help import HelpScreen
from stm_tui.tui.screens.list_screen import ListScreen
from tests.tui._pilot import recording, screen_text
from tests.tui.conftest import loaded, wait_until


def tui_classes() -> list[type[DOMNode]]:
    found: list[type[DOMNode]] = []
    for info in pkgutil.walk_packages(stm_tui.tui.__path__, "stm_tui.tui."):
        module = importlib.import_module(info.name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, DOMNode) and cls.__module__ == module.__name__:
                found.append(cls)
    return found


def test_every_binding_of_every_screen_and_widget_has_a_known_id() -> None:
    classes = tui_classes()
    names = {c.__name__ for c in classes}
    assert {"StmApp", "ListScreen", "ResourceTable", "ConfirmScreen"} <= names
    known = set(actions.known_ids())
    for cls in classes:
        for binding in cls.__dict__.get("BINDINGS", []):
            assert isinstance(binding, Binding), (cls, binding)
            assert binding.id in known, (cls.__name__, binding.key, binding.id)


def test_the_write_actions_of_a_list_are_bound_with_their_own_ids() -> None:
    ids = {a.id for a in actions.WRITE_ACTIONS.values()}
    assert {"keypair.suspend", "keypair.unsuspend", "certificate.revoke"} <= ids
    assert ids <= set(actions.known_ids())


def test_an_unknown_id_is_refused_naming_the_nearest_one() -> None:
    with pytest.raises(actions.KeymapError) as caught:
        actions.check_keymap({"keypair.suspnd": "ctrl+x", "refresh": "f5"})
    message = str(caught.value)
    assert "unknown action id 'keypair.suspnd'" in message
    assert "did you mean 'keypair.suspend'" in message
    assert "refresh" in message  # the valid ids are listed


@pytest.mark.parametrize("keys", ["", " , ", 5])
def test_an_action_given_no_key_is_refused(keys: Any) -> None:
    with pytest.raises(actions.KeymapError, match="refresh: give one key"):
        actions.check_keymap({"refresh": keys})


def write_config(home: Path, profile: str) -> None:
    folder = home / "stm-tui"
    folder.mkdir(parents=True, mode=0o700)
    path = folder / "config.toml"
    path.write_text(profile)
    path.chmod(0o600)


def test_a_dotted_id_written_as_a_toml_table_is_one_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(tmp_path, (
        '[profiles.default]\nhost = "https://stm.example.test"\n'
        '[profiles.default.keymap]\nkeypair.suspend = "ctrl+x"\n"area.keypairs" = "k"\n'
        'refresh = "f5"\n'
    ))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    profile = load_profile("default", env={})
    assert profile.keymap == {"keypair.suspend": "ctrl+x", "area.keypairs": "k", "refresh": "f5"}
    assert actions.check_keymap(profile.keymap) == profile.keymap


def test_the_dashboard_does_not_start_with_an_unknown_id(tmp_path: Path) -> None:
    write_config(tmp_path / "config", (
        '[profiles.default]\nhost = "https://stm.example.test"\n'
        '[profiles.default.keymap]\n"keypair.suspnd" = "ctrl+x"\n'
    ))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "SM_API_KEY": "k-not-used-123456",
    }
    ran = subprocess.run(
        [sys.executable, "-m", "stm_tui"], env=env, capture_output=True, text=True, timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert ran.returncode == 2, ran.stderr
    assert "profile 'default': keymap: unknown action id 'keypair.suspnd'" in ran.stderr
    assert "did you mean 'keypair.suspend'" in ran.stderr


async def test_a_remapped_key_runs_the_action_and_the_footer_help_and_palette_say_so(
    app_factory: Callable[..., StmApp],
) -> None:
    app = app_factory(keymap={"refresh": "f5", "filter": "f", "keypair.suspend": "ctrl+x"})
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        notes = recording(app)
        await pilot.press("2")
        screen = app.screen
        assert isinstance(screen, ListScreen)
        await pilot.press("j", "j")  # desktop-legacy-signer: ONLINE, so Suspend applies
        await pilot.pause()
        footer = screen_text(app).splitlines()[-1]
        assert "f5 Refresh" in footer and "f Filter" in footer and "^x Suspend" in footer
        await pilot.press("r")
        await pilot.press("f5")
        assert notes == ["refreshing every area"]  # r no longer refreshes, f5 does
        await pilot.press("ctrl+x")  # read-only: says why instead of doing nothing
        assert notes[-1] == "Suspend: read-only: press W to enter write mode"
        await pilot.press("f")
        assert screen.query_one("#filter").has_focus
        await pilot.press("escape", "question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        help_text = screen_text(app)
        assert "f5   Refresh" in help_text
        # The actions refused for one reason share a line (wrapped if long): the remapped key
        # is on it.
        writes = app.screen.query_one("#help-writes", Static).content
        assert isinstance(writes, Text)
        (shared,) = [line for line in writes.plain.splitlines() if "^x Suspend" in line]
        assert shared.endswith("read-only: press W to enter write mode")
        await pilot.press("escape", "ctrl+p", *"Refresh")
        await wait_until(pilot, lambda: "key f5" in screen_text(app))
