"""Every key binding of the dashboard, declared once, by id.

Screens and widgets take their `BINDINGS` from here (`bindings("filter", "back")`), so each
binding has an id that a profile's keymap can remap (`[profiles.NAME.keymap]`, applied with
`App.set_keymap`), the help lists the keys actually in force, and the command palette offers
the actions marked for it under the key they are bound to now.

Kept light on purpose (Textual's binding type and the area table only): the list widget
imports it, and the 100,000-row table benchmark measures that widget alone. The write
actions and the keymap check, which need the whole view registry, are in `tui/actions.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from textual.binding import Binding, BindingType

from stm_tui.tui.areas import AREAS


@dataclass(frozen=True)
class Action:
    id: str
    keys: str  # default keys, comma-separated Textual key names
    action: str  # the Textual action string it runs
    description: str
    show: bool = False  # in the footer
    key_display: str | None = None
    priority: bool = False
    palette: str = ""  # its title in the command palette; empty: not offered there
    palette_help: str = ""
    on_app: bool = False  # the palette runs it on the app, not on the screen

    def binding(self, *, show: bool | None = None) -> Binding:
        return Binding(
            self.keys,
            self.action,
            self.description,
            show=self.show if show is None else show,
            key_display=self.key_display,
            priority=self.priority,
            id=self.id,
        )


def _area(area_index: int) -> Action:
    area = AREAS[area_index]
    return Action(
        f"area.{area.mode}", area.key, f"switch_mode('{area.mode}')", area.title,
        palette=f"Go to {area.title}", on_app=True,
    )


_DECLARED: tuple[Action, ...] = (
    # the app, on every screen
    *(_area(i) for i in range(len(AREAS))),
    Action("refresh", "r", "refresh", "Refresh", show=True, palette="Refresh now",
           palette_help="fetch every resource now (also while paused)", on_app=True),
    Action("pause", "p", "toggle_pause", "Pause", show=True, palette="Pause / resume polling",
           on_app=True),
    Action("write_mode", "W", "write_mode", "Write mode", palette="Enter / leave write mode",
           palette_help="asks first; leaving it never asks", on_app=True),
    Action("help", "question_mark,f1", "help", "Help", show=True, key_display="?",
           palette="Help: keys of this screen", on_app=True),
    Action("quit", "q", "quit", "Quit", show=True),
    Action("monitor", "M", "monitor", "Monitor releases", palette="Monitor releases",
           palette_help="every open release window, live", on_app=True),
    # issue 13: the setup checklist and the CertCentral integration, over any area
    Action("setup_checklist", "exclamation_mark", "setup_checklist", "Setup checklist",
           key_display="!", palette="Setup checklist",
           palette_help="the Lead guide's steps, live", on_app=True),
    # No description: the help at 80x24 has no line to spare; the palette names it.
    Action("certcentral", "Z", "certcentral", "",
           palette="CertCentral integration",
           palette_help="set up, validate, enable, disable or delete it", on_app=True),
    # issue 16: where each credential came from, over any area
    Action("connection", "I", "connection", "Connection",
           palette="Connection & credentials",
           palette_help="who, where, and where each credential came from (never a value)",
           on_app=True),
    # lists
    Action("filter", "slash", "open_filter", "Filter", show=True, key_display="/"),
    Action("back", "escape", "back", "Back"),
    Action("copy_name", "y", "copy_label", "Copy name"),
    Action("copy_id", "i", "copy_id", "Copy id"),
    Action("export_csv", "e", "export('csv')", "Export CSV", palette="Export list to CSV",
           palette_help="the current filtered list"),
    Action("export_json", "E", "export('json')", "Export JSON", palette="Export list to JSON",
           palette_help="the current filtered list"),
    Action("full_values", "v", "view_full", "Full values"),
    Action("copy_pem", "P", "copy_pem", "Copy PEM"),
    Action("load_older", "L", "load_older", "Load older"),
    # releases, scans (issue 13)
    Action("releases.new", "n", "new_release", "New window", show=True,
           palette="New release window",
           palette_help="the form; nothing is sent before the preview"),
    Action("scans.submit", "n", "submit_scan", "Scan a file", show=True,
           palette="Scan a file", palette_help="submit a file for threat detection"),
    Action("scans.compare", "d", "compare_scans", "Compare", show=True,
           palette="Compare two scans", palette_help="findings added and removed"),
    # the list widget
    Action("table.up", "up,k", "cursor_up", "Up"),
    Action("table.down", "down,j", "cursor_down", "Down"),
    Action("table.page_up", "pageup", "page_up", "Page up"),
    Action("table.page_down", "pagedown", "page_down", "Page down"),
    Action("table.half_page_up", "ctrl+u", "half_page_up", "Half page up"),
    Action("table.half_page_down", "ctrl+d", "half_page_down", "Half page down"),
    Action("table.first", "home,g", "cursor_home", "First"),
    Action("table.last", "end,G", "cursor_end", "Last"),
    Action("table.open", "enter", "select", "Open"),
    Action("sort", "s", "sort_next", "Sort", show=True),
    Action("sort_reverse", "S", "sort_reverse", "Reverse"),
    # the detail pane: the same descriptions as the arrow keys', so the help lists them together
    Action("pane.up", "k", "scroll_up", "Scroll Up"),
    Action("pane.down", "j", "scroll_down", "Scroll Down"),
    Action("pane.top", "g", "scroll_home", "Scroll Home"),
    Action("pane.bottom", "G", "scroll_end", "Scroll End"),
    # Releases and the Overview: the monitor for the selected window
    Action("release.monitor", "m", "monitor_selected", "Monitor", show=True),
    # the filter line
    Action("filter.clear", "escape", "clear_and_close", "Clear", show=True),
    Action("filter.done", "enter", "submit", "Done", show=True),
    Action("filter.to_list", "down", "close", "Back to list"),
    # the pager (v)
    Action("pager.close", "escape,q,v", "app.pop_screen", "Close", show=True),
    Action("pager.down", "j", "scroll('down')", "Down"),
    Action("pager.up", "k", "scroll('up')", "Up"),
    Action("pager.top", "g", "edge('home')", "Top"),
    Action("pager.bottom", "G", "edge('end')", "Bottom"),
    # the connection view (I)
    Action("connection.close", "escape,q", "close", "Close", show=True),
    # the help (?)
    Action("help.close", "escape,q,question_mark,f1", "app.pop_screen", "Close", show=True),
    # the start-failure screen
    Action("start.retry", "r", "choose('retry')", "Retry", show=True),
    Action("start.quit", "q,escape", "choose('quit')", "Quit", show=True),
    Action("start.open_anyway", "c", "choose('continue')", "Open anyway"),
    # the write-side modals
    Action("modal.cancel", "escape", "cancel", "Cancel", show=True),
    Action("confirm.cancel", "escape,n", "cancel", "Cancel", show=True),
    Action("confirm.yes", "y", "confirm", "Confirm", show=True),
    Action("approval.yes", "y", "confirm", "Approve", show=True),
    Action("write_mode.enter", "y", "enter", "Enter write mode", show=True),
    Action("form.submit", "ctrl+s", "submit", "Submit", show=True),
    Action("outcome.close", "escape", "close", "Close", show=True),
    Action("shown_once.copy", "c", "copy", "Copy", show=True),
    Action("shown_once.close", "escape", "close", "Close", show=True),
    Action("secret.delete", "backspace", "delete_left", "Delete"),
    Action("secret.clear", "ctrl+u", "clear", "Clear"),
    Action("secret.submit", "enter", "submit", "Submit"),
    Action("log.close", "escape,q", "close", "Close", show=True),
    Action("log.errors_only", "e", "toggle_errors", "Errors only", show=True),
    Action("log.up", "up", "scroll_up", "Up"),
    Action("log.down", "down", "scroll_down", "Down"),
    Action("log.page_up", "pageup", "page_up", "Page up"),
    Action("log.page_down", "pagedown", "page_down", "Page down"),
    Action("log.newest", "home", "scroll_home", "Newest"),
    Action("log.oldest", "end", "scroll_end", "Oldest"),
    # the release monitor (seek keys have priority: in a replay they seek before the stream
    # would scroll with them; live, the screen turns them off and the stream has them back)
    Action("monitor.ack", "a", "acknowledge", "Ack alert", show=True),
    Action("monitor.ack_all", "A", "acknowledge_all", "Ack all"),
    Action("monitor.next_window", "w", "window(1)", "Window", show=True),
    Action("monitor.prev_window", "W", "window(-1)", "Previous window"),
    Action("monitor.slower", "plus", "interval(1)", "Interval", show=True, key_display="+/-"),
    Action("monitor.faster", "minus", "interval(-1)", "Poll faster"),
    Action("monitor.pause", "space", "pause", "Pause", show=True),
    Action("monitor.speed_up", "f", "speed(1)", "Faster", show=True),
    Action("monitor.speed_down", "s", "speed(-1)", "Slower"),
    Action("monitor.seek_on", "right", "seek(30)", "Seek", show=True, key_display="←→",
           priority=True),
    Action("monitor.seek_back", "left", "seek(-30)", "Back 30 s", priority=True),
    Action("monitor.seek_start", "home", "seek_edge(0)", "Start", priority=True),
    Action("monitor.seek_end", "end", "seek_edge(1)", "End", priority=True),
    Action("monitor.budget", "b", "budget", "Budget", show=True),
    Action("monitor.export", "e", "export", "Export CSV"),
    Action("monitor.glyphs", "g", "glyphs", "Glyphs", show=True),
    Action("monitor.close", "q,escape", "close", "Close", show=True),
    # the monitor's alerts pane
    Action("monitor.prev_alert", "up,k", "move(-1)", "Previous alert"),
    Action("monitor.next_alert", "down,j", "move(1)", "Next alert"),
    # people and access (issue 12)
    Action("people.credentials", "t", "credentials", "My credentials", show=True),
    Action("matrix.up", "up,k", "move(-1, 0)", "Up"),
    Action("matrix.down", "down,j", "move(1, 0)", "Down"),
    Action("matrix.left", "left,h", "move(0, -1)", "Left"),
    Action("matrix.right", "right,l", "move(0, 1)", "Right"),
    Action("matrix.flip", "space", "flip", "Toggle", show=True),
    Action("creds.new_token", "n", "new_token", "New token", show=True),
    Action("creds.client_cert", "c", "client_cert", "Client certificate", show=True),
    Action("creds.revoke", "R", "revoke", "Revoke", show=True),
    Action("creds.close", "escape", "close", "Back", show=True),
    # keypair and certificate workflows (issue 11)
    Action("command_log", "l", "command_log", "Command log", palette="Command log",
           palette_help="every API call of this session: status, latency, retries",
           on_app=True),
    Action("cert.download", "d", "download", "Download"),
    Action("cert.copy_as", "c", "copy_as", "Copy as…"),
    Action("menu.close", "escape", "close", "Close", show=True),
)

# The monitor screen's own (the alerts pane binds its two itself).
MONITOR_KEYS = tuple(
    a.id for a in _DECLARED if a.id.startswith("monitor.") and not a.id.endswith("_alert")
)

ACTIONS: Mapping[str, Action] = {action.id: action for action in _DECLARED}

if len(ACTIONS) != len(_DECLARED):
    # A repeated id would make one keymap line remap two unrelated keys.
    raise RuntimeError("two actions share an id")


def bindings(*ids: str) -> list[BindingType]:
    """The bindings with these ids, for a class's `BINDINGS`."""
    return [ACTIONS[i].binding() for i in ids]


def shown(*ids: str) -> list[BindingType]:
    """The same bindings, in the footer of this screen (the detail screen's Esc and v)."""
    return [ACTIONS[i].binding(show=True) for i in ids]
