"""Command palette providers: the actions of the registry, and jump-to-resource by name.

`AreaCommands` lists what `tui.actions` marks for the palette, under the key each is bound to
now (a profile's keymap included), and the write actions of the screen underneath with the
reason a disabled one may not run. The jump provider searches the store in memory (a
snapshot taken when the palette opens); it never calls the API per keystroke.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from stm_tui.sanitize import clean_cell
from stm_tui.tui import keys
from stm_tui.tui.host import ScreenHost
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.views.resources import VIEWS

MAX_HITS = 50

Command = tuple[str, str, Callable[[], object]]


def _host(provider: Provider) -> ScreenHost:
    app = provider.app
    if not isinstance(app, ScreenHost):
        raise TypeError("the palette needs an app that is a ScreenHost")
    return app


class AreaCommands(Provider):
    def _commands(self) -> list[Command]:
        host = _host(self)
        app = self.app
        out: list[Command] = []
        for action in keys.ACTIONS.values():
            if not action.palette:
                continue
            key = f"key {host.key_for(action.id)}"
            help_text = f"{key}: {action.palette_help}" if action.palette_help else key
            run = app.run_action if action.on_app else host.run_screen_action
            out.append((action.palette, help_text, partial(run, action.action)))
        screen = self.screen
        if isinstance(screen, AreaScreen):
            for state in screen.write_states():
                title = f"{state.action.label} {state.target}".strip()
                if state.availability:
                    help_text = f"key {state.key}"
                else:
                    help_text = f"key {state.key}: {state.availability.reason}"
                # What its key does: confirm and run it, or say why it may not run now.
                out.append((title, help_text, partial(screen.action_write, state.action.id)))
        return out

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                # Names may come from the server (the selected item's): never markup.
                yield Hit(score, matcher.highlight(escape(name)), command, text=name,
                          help=help_text)


class JumpCommands(Provider):
    async def startup(self) -> None:
        host = _host(self)
        self._targets: list[tuple[str, str, str]] = []
        for view in VIEWS.values():
            if view.palette is None:
                continue
            collection = host.session.store.collection(view.resource)
            for key, item in collection.items.items():
                # Cleaned and bounded: the matcher runs over every target on each keystroke.
                label = clean_cell(view.label(item))
                self._targets.append((f"{view.palette}: {label}", view.resource, key))

    async def search(self, query: str) -> Hits:
        host = _host(self)
        matcher = self.matcher(query)
        hits = []
        for text, resource, key in self._targets:
            score = matcher.match(text)
            if score > 0:
                hits.append((score, text, resource, key))
        hits.sort(key=lambda h: -h[0])
        for score, text, resource, key in hits[:MAX_HITS]:
            # Names come from the server: escape them so the highlighter never reads markup.
            jump = partial(host.jump_soon, resource, key)
            yield Hit(score, matcher.highlight(escape(text)), jump, text=text, help="jump to it")
