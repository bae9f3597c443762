"""The footer: it follows the bindings (the mode, the selected item) and keeps no key it
replaced, however often areas are switched (Textual's own footer kept every one: the
30-minute soak grew from 105 MB to 831 MB; stm_tui/tui/widgets/key_footer.py)."""

from __future__ import annotations

import gc
import weakref

from textual.widgets._footer import FooterKey

from stm_tui.api.models import Keypair
from stm_tui.emulator.server import EmulatorServer
from stm_tui.tui.widgets.key_footer import KeyFooter
from tests.tui._pilot import app_of, enter_write_mode, footer, open_list, open_list_on
from tests.tui.conftest import loaded, make_app, wait_until


def footer_keys() -> list[FooterKey]:
    gc.collect()
    return [o for o in gc.get_objects() if isinstance(o, FooterKey)]


def dead_footer_keys(before: weakref.WeakSet[FooterKey]) -> int:
    """Detached footer keys still alive, other than those that were alive at `before`
    (earlier tests' apps in the same process may still hold theirs)."""
    return sum(1 for o in footer_keys() if not o.is_attached and o not in before)


async def test_switching_areas_and_moving_the_cursor_leaves_no_discarded_footer_key_alive(
    fresh_emulator: EmulatorServer,
) -> None:
    before = weakref.WeakSet(footer_keys())
    app = make_app(fresh_emulator)
    async with app.run_test(size=(120, 40)) as pilot:
        await loaded(pilot)
        assert isinstance(app.screen.query_one(KeyFooter), KeyFooter)
        await enter_write_mode(pilot)  # the footer's keys change: suspend, revoke enabled
        for _ in range(15):
            await open_list(pilot, "2")
            for _ in range(3):  # a new selection may enable other actions
                await pilot.press("j")
                await pilot.pause()
            await pilot.press("4")
            await pilot.pause()
            await pilot.press("1")
            await pilot.pause()
        await pilot.pause(0.2)
        assert dead_footer_keys(before) == 0


async def test_the_footer_follows_the_mode_and_the_selected_item(
    fresh_emulator: EmulatorServer,
) -> None:
    """Fewer rebuilds, the same footer: an action is offered as the mode and the item allow."""
    app = make_app(fresh_emulator)
    async with app.run_test(size=(160, 40)) as pilot:
        await loaded(pilot)
        await open_list_on(pilot, "2", lambda kp: isinstance(kp, Keypair)
                           and kp.key_status == "ONLINE" and not kp.suspended)
        shown = app_of(pilot).screen.query_one(KeyFooter)
        dimmed = {k.key: k.has_class("-disabled") for k in shown.query(FooterKey)}
        assert dimmed.get("X") is True, dimmed  # suspend: shown, dimmed in read-only mode
        await enter_write_mode(pilot)
        await wait_until(pilot, lambda: {k.key: k.has_class("-disabled")
                                         for k in shown.query(FooterKey)}.get("X") is False)
        assert "Suspend" in footer(app)
