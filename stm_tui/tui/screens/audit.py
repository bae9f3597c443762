"""The audit log's list says how much history it holds, and `L` loads older entries.

The dashboard loads only the last 30 days of a log that can reach back years; the line
above the table says so, so "107/107" is never mistaken for the whole log.
"""

from __future__ import annotations

from rich.text import Text

from stm_tui.store.history import History
from stm_tui.tui import keys
from stm_tui.tui.screens.list_screen import ListScreen

EVERYTHING = "for everything: stm-tui get audit -o csv, or the console's CSV export"


def history_note(history: History | None) -> str:
    """The words after the count: what part of the log is loaded, and how to get more."""
    if history is None or not history.loaded:
        return ""
    if history.complete:
        return " · whole log loaded"
    if history.older_loaded and history.loaded_from is not None:
        return f" · since {history.loaded_from:%Y-%m-%d} loaded · L loads older"
    return f" · {history.window.days} days loaded · L loads older"


class AuditListScreen(ListScreen):
    BINDINGS = keys.bindings("load_older")

    HELP = ListScreen.HELP + " L loads older audit history (30 days load at start)."

    def set_view_info(self, info: Text) -> None:
        note = history_note(self.host.session.history(self.view.resource))
        if note:
            info.append(note, style="dim")
        super().set_view_info(info)

    def action_load_older(self) -> None:
        self.run_worker(self._load_older(), name="load older audit", exit_on_error=False)

    async def _load_older(self) -> None:
        session = self.host.session
        resource = self.view.resource
        before = session.history(resource)
        if before is not None and before.complete:
            self.notify(f"the whole audit log is loaded; {EVERYTHING}", timeout=6, markup=False)
            return
        self.notify("loading older audit entries…", timeout=2, markup=False)
        try:
            added = await session.load_older(resource, pages=5)
        except Exception as exc:  # a server failure must not end the dashboard
            kind = getattr(exc, "kind", type(exc).__name__)
            self.notify(
                f"older entries not loaded ({kind}); {EVERYTHING}",
                severity="error",
                timeout=8,
                markup=False,
            )
            return
        history = session.history(resource)
        if history is not None and history.complete:
            what = f"{added} older entries loaded: the whole log is loaded now"
        elif history is not None and history.loaded_from is not None:
            what = f"{added} older entries loaded (since {history.loaded_from:%Y-%m-%d})"
        else:
            what = f"{added} older entries loaded"
        self.notify(f"{what}; {EVERYTHING}", timeout=8, markup=False)
        self._update_view_info()
