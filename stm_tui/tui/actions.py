"""The action registry: every key binding (`tui/keys.py`) plus the write actions of the
resource views, and the check of a profile's keymap against them.

Write actions are declared on their resource's view (`stm_tui.views.actions`); `write_binding`
turns one into a binding whose action is `write('<id>')`, so a screen's `check_action` can dim
it with a reason while it may not run.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import chain
from typing import Any

from textual.app import App
from textual.binding import Binding

from stm_tui.config import suggest
from stm_tui.tui.keys import ACTIONS
from stm_tui.tui.people.actions import PEOPLE_WRITE_ACTIONS
from stm_tui.views.actions import WriteAction
from stm_tui.views.resources import VIEWS

# Write actions by id, from every resource view.
WRITE_ACTIONS: Mapping[str, WriteAction] = {
    action.id: action for view in VIEWS.values() for action in view.actions
}

# A repeated id would make one keymap line remap two unrelated keys: refuse it at import.
_WRITES_DECLARED = sum(len(view.actions) for view in VIEWS.values())
if len(WRITE_ACTIONS) != _WRITES_DECLARED or ACTIONS.keys() & WRITE_ACTIONS.keys():
    raise RuntimeError("two actions share an id")

# People and access (issue 12): declared on their own list screens, remappable all the same.
if PEOPLE_WRITE_ACTIONS.keys() & (WRITE_ACTIONS.keys() | ACTIONS.keys()):
    raise RuntimeError("two actions share an id")
WRITE_ACTIONS = {**WRITE_ACTIONS, **PEOPLE_WRITE_ACTIONS}


def write_binding(action: WriteAction) -> Binding:
    return Binding(
        action.key, f"write('{action.id}')", action.label, show=action.footer, id=action.id
    )


def default_keys(action_id: str) -> str:
    if action_id in ACTIONS:
        return ACTIONS[action_id].keys
    return WRITE_ACTIONS[action_id].key


def key_for(app: App[Any], keymap: Mapping[str, str], action_id: str) -> str:
    """The key an action is bound to in `app` under `keymap`, as the footer shows it."""
    declared = ACTIONS.get(action_id)
    if action_id not in keymap and declared is not None and declared.key_display:
        return declared.key_display
    keys = keymap.get(action_id) or default_keys(action_id)
    return app.get_key_display(Binding(keys.split(",")[0].strip(), ""))


def known_ids() -> list[str]:
    return sorted(chain(ACTIONS, WRITE_ACTIONS))


class KeymapError(ValueError):
    """A keymap names an action that does not exist, or gives it no key."""


def check_keymap(keymap: Mapping[str, object]) -> dict[str, str]:
    """The keymap as `App.set_keymap` takes it, or KeymapError saying what is wrong."""
    known = known_ids()
    problems: list[str] = []
    checked: dict[str, str] = {}
    for action_id, keys in keymap.items():
        if action_id not in ACTIONS and action_id not in WRITE_ACTIONS:
            problems.append(f"unknown action id {action_id!r}{suggest(action_id, known)}")
        elif not isinstance(keys, str) or not all(k.strip() for k in keys.split(",")):
            problems.append(f"{action_id}: give one key or several separated by commas")
        else:
            checked[action_id] = ",".join(k.strip() for k in keys.split(","))
    if problems:
        raise KeymapError(
            "keymap: " + "; ".join(problems) + ". Action ids: " + ", ".join(known)
        )
    return checked
