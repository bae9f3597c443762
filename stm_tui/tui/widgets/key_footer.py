"""The footer of every screen: Textual's `Footer`, rebuilt only when what it shows changed,
and without keeping the keys it threw away.

Textual's footer rebuilds all of its keys (a widget each) on every `bindings_updated` signal,
and a screen coming back to the front sends several: six rebuilds of ~15 keys per area
switch. Each rebuilt key binds itself to the footer's `compact` reactive, and Textual keeps
that watcher, and so the discarded key with its styles and caches, until `compact` next
changes, which it never does (Textualize/textual#6666, open). The 30-minute soak grew from
105 MB to 831 MB that way: 1,148 dead keys after 64 area switches.

So the signals of one refresh are coalesced into one check, the keys are rebuilt only when
the bindings the footer would show (key, label, enabled, tooltip, palette entry) differ from
those on screen, and after a rebuild the watchers of keys no longer mounted are dropped.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._check_pending = False
        self._shown: tuple[Any, ...] | None = None

    def _what_it_shows(self) -> tuple[Any, ...]:
        active = self.screen.active_bindings
        shown = tuple(
            (binding.key, binding.action, binding.description, binding.group, enabled, tooltip)
            for (_node, binding, enabled, tooltip) in active.values()
            if binding.show
        )
        palette = active.get(self.app.COMMAND_PALETTE_BINDING)
        palette_state = (palette[2], palette[3]) if palette is not None else None
        return (shown, palette_state, self.show_command_palette, self.compact)

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._check_pending:
            self._check_pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._check_pending = False
        if not self.is_attached:
            return
        shown = self._what_it_shows()
        if shown == self._shown:
            return
        self._shown = shown
        await self.recompose()
        self._drop_dead_watchers()

    def _drop_dead_watchers(self) -> None:
        # Textual's own pruning (in `Reactive._check_watchers`) runs only when the watched
        # value changes; this is the same filter, run when keys were just replaced.
        watchers: dict[str, list[tuple[Any, Any]]] = getattr(self, "__watchers", {})
        for entries in watchers.values():
            entries[:] = [(node, cb) for node, cb in entries if node.is_attached]
