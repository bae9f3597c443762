"""What the screens and the command palette need from the application, as a Protocol.

Screens used to import the App class to reach its session and helpers, and the App imports
every screen: a circle. They now ask for a `ScreenHost` (the App is one; a test may pass any
other), so the import graph goes one way: app -> screens -> host.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from rich.console import RenderableType

from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.permissions import Availability
from stm_tui.session import Session
from stm_tui.views.actions import WriteAction
from stm_tui.views.row_cache import RowCache
from stm_tui.views.rows.base import Context


@runtime_checkable
class ScreenHost(Protocol):
    # Read-only to screens (properties, so the App's dicts satisfy the Mappings).
    @property
    def session(self) -> Session: ...

    @property
    def row_caches(self) -> Mapping[str, RowCache]: ...

    @property
    def keymap(self) -> Mapping[str, str]:  # the profile's, checked: action id -> keys
        ...

    def now(self) -> datetime: ...

    def context(self) -> Context: ...

    def label_of(self, resource: str, item: Any) -> str: ...

    def detail_renderable(
        self, resource: str, key: str, on_more: Callable[[], None]
    ) -> RenderableType: ...

    def show_full_values(self, resource: str, key: str) -> None: ...

    def copy_text(self, value: str, what: str) -> None: ...

    async def jump_to(self, resource: str, key: str, *, detail: bool = True) -> None: ...

    def jump_soon(self, resource: str, key: str) -> None: ...

    def go_back(self, mode: str) -> None: ...

    def run_screen_action(self, action: str) -> None:
        """Run a Textual action string on the screen on top (soon, not now)."""
        ...

    def key_for(self, action_id: str) -> str:
        """The key an action is bound to now (after the profile's keymap), for display."""
        ...

    def write_availability(self, action: WriteAction, item: Any | None) -> Availability:
        """Whether `action` may run on `item` now, for this user in this mode."""
        ...

    def request_write(self, action: WriteAction, item: Any) -> None:
        """Build the action's call for `item`, confirm it, then send it."""
        ...

    def creation_availability(self, action_id: str) -> Availability:
        """Whether a write on no selected item (a creation from a form) may start now."""
        ...

    def confirm_write(
        self,
        call: WriteCall,
        *,
        impact: list[str] | None = None,
        then: Callable[[WriteOutcome], None] | None = None,
    ) -> None:
        """The tier's confirmation for a call a form built, then send it."""
        ...
