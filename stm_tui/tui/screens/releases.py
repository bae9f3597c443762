"""The release windows list adds the live monitor for the selected window (`m`)."""

from __future__ import annotations

from stm_tui.api.models import ReleaseWindow
from stm_tui.tui import keys
from stm_tui.tui.monitor_launch import open_monitor
from stm_tui.tui.screens.list_screen import ListScreen


class ReleaseListScreen(ListScreen):
    BINDINGS = keys.bindings("release.monitor")

    HELP = ListScreen.HELP + " m monitors the selected window live (Esc comes back)."

    def action_monitor_selected(self) -> None:
        item = self.selected_item()
        if not isinstance(item, ReleaseWindow):
            self.notify("select a release window to monitor", severity="warning", timeout=3)
            return
        open_monitor(self.app, [item.id])
