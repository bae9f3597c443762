"""The CertCentral integration: its state (never the key: only the service's hint), and the
actions that set it up, update, validate, enable, disable and delete it.

A screen of its own on top of the current area (palette "CertCentral", key Z, or Enter on the
checklist's CertCentral step); Esc goes back. Its actions are the account settings view's
(`views/profile_actions.CERTCENTRAL_ACTIONS`), so the footer, help and palette dim them with
the same reason as everywhere else.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from stm_tui.sanitize import clean_cell, clean_message
from stm_tui.store.store import Diff
from stm_tui.tui import keys
from stm_tui.tui.areas import BY_MODE
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.views import format as f
from stm_tui.views.profile_actions import certcentral_of
from stm_tui.views.resources import VIEWS

REGIONS = {"GLOBAL": "CertCentral global", "EUROPE": "CertCentral Europe"}


def _when(value: Any) -> str:
    """An ISO time from the settings' plain dict, shown as every time is; else as sent."""
    try:
        return f.dt(datetime.fromisoformat(str(value).replace("Z", "+00:00")), zone=True)
    except ValueError:
        return clean_cell(str(value))


def describe(settings: Any, public_profiles: list[str]) -> Text:
    """The integration in words; server text cleaned, never markup."""
    out = Text()
    cc = certcentral_of(settings)
    account = getattr(getattr(settings, "account", None), "name", None)
    out.append("CertCentral integration", style="bold")
    if account:
        out.append(f" · {clean_cell(account)}")
    out.append("\n\n")
    if settings is None:
        out.append("The account settings are not loaded yet (or not readable).", style="dim")
        return out
    if not cc.get("configured"):
        out.append("State    ", style="dim")
        out.append("not set up", style="yellow")
        out.append("\n\nPublic (CertCentral) certificates need it: press s to set it up with "
                   "the region and a CertCentral API key.")
    else:
        enabled = cc.get("enabled", True) is not False
        connected = bool(cc.get("connected"))
        out.append("State    ", style="dim")
        out.append("enabled" if enabled else "disabled", style="" if enabled else "yellow")
        out.append(" · ")
        out.append("connected" if connected else "not connected",
                   style="green" if connected else "red")
        region = REGIONS.get(str(cc.get("region")), clean_cell(str(cc.get("region") or "?")))
        out.append(f"\nRegion   {region}")
        out.append("\nAPI key  ")
        out.append(clean_cell(str(cc.get("api_key_hint") or "?")))
        out.append("  (only this hint is kept; the key is never shown)", style="dim")
        if cc.get("configured_on"):
            out.append(f"\nSet up   {_when(cc['configured_on'])}")
        if cc.get("validated_on"):
            out.append(f"\nChecked  {_when(cc['validated_on'])}")
        if cc.get("connection_error") and not connected:
            out.append("\nProblem  ", style="dim")
            out.append(clean_message(str(cc["connection_error"])), style="red")
    if public_profiles:
        names = ", ".join(clean_cell(n) for n in public_profiles[:4])
        more = f" and {len(public_profiles) - 4} more" if len(public_profiles) > 4 else ""
        works = bool(cc.get("connected")) and cc.get("enabled", True) is not False
        out.append("\n\nCertCentral profiles: ", style="dim")
        out.append(names + more)
        if not works:
            out.append(" (cannot issue until it is connected)", style="yellow")
    return out


class CertCentralScreen(AreaScreen):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("back")
    HELP = "The CertCentral integration of the account. Esc goes back."

    def __init__(self) -> None:
        super().__init__(BY_MODE["accounts"], id="certcentral", view=VIEWS["account_settings"])
        self._unsubscribe: Callable[[], None] | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="certcentral-body"):
            yield Static("", id="certcentral-state", markup=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.set_view_info(Text("CertCentral", style="bold"))
        self._unsubscribe = self.host.session.store.subscribe(
            self._on_diff, ("account_settings", "certificate_profiles")
        )
        self.show_state()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _on_diff(self, diff: Diff) -> None:
        self.show_state()
        self.refresh_write_keys()

    def selected_item(self) -> Any | None:
        items = self.host.session.store.collection("account_settings").items
        return next(iter(items.values()), None)

    def show_state(self) -> None:
        store = self.host.session.store
        public = sorted(
            p.name or p.id
            for p in store.collection("certificate_profiles").items.values()
            if (p.hierarchy or "").upper() == "PUBLIC"
        )
        self.query_one("#certcentral-state", Static).update(
            describe(self.selected_item(), public)
        )

    def action_back(self) -> None:
        self.app.pop_screen()
