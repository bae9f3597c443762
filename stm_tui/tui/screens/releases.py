"""The Releases list adds a new-window form (n) and the live monitor for the selected window
(m); approve, reject and close early are the view's write actions
(`stm_tui.views.release_actions`)."""

from __future__ import annotations

from stm_tui.api.models import ReleaseWindow
from stm_tui.api.writes.releases import CreateRelease, create_release
from stm_tui.tui import keys
from stm_tui.tui.monitor_launch import open_monitor
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.release_form import create_release_form, form_inputs


class ReleaseListScreen(ListScreen):
    BINDINGS = keys.bindings("releases.new", "release.monitor")
    # No hint line: its keys (n, m, Enter, v, Esc) are in the help's columns, and with three
    # write actions the help must still fit 80x24.
    HELP = ""

    def action_new_release(self) -> None:
        state = self.host.creation_availability("release.create")
        if not state:
            self.notify(f"New window: {state.reason}", severity="warning", markup=False)
            return
        host = self.host
        spec = create_release_form(**form_inputs(host.session.store), now=host.now)

        def filled(request: CreateRelease | None) -> None:
            if request is not None:
                host.confirm_write(create_release(request))

        self.app.push_screen(RequestForm(CreateRelease, spec, id="release-form"), filled)

    def action_monitor_selected(self) -> None:
        item = self.selected_item()
        if not isinstance(item, ReleaseWindow):
            self.notify("select a release window to monitor", severity="warning", timeout=3)
            return
        open_monitor(self.app, [item.id])
