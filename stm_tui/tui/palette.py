"""Command palette providers: area and app actions, and jump-to-resource by name.

The jump provider searches the store in memory (a snapshot taken when the palette opens);
it never calls the API per keystroke.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.markup import escape

from stm_tui.sanitize import clean_cell
from stm_tui.tui.areas import AREAS

if TYPE_CHECKING:
    from stm_tui.tui.app import StmApp

# Resources worth jumping to by name, with the word shown before the name.
JUMP_KINDS = {
    "keypairs": "keypair",
    "certificates": "certificate",
    "releases": "release",
    "scans": "scan",
    "users": "user",
    "teams": "team",
    "accounts": "account",
    "keypair_profiles": "keypair profile",
    "certificate_profiles": "certificate profile",
}
MAX_HITS = 50


def _app(provider: Provider) -> StmApp:
    from stm_tui.tui.app import StmApp

    app = provider.app
    assert isinstance(app, StmApp)
    return app


class AreaCommands(Provider):
    def _commands(self) -> list[tuple[str, str, object]]:
        app = _app(self)
        out: list[tuple[str, str, object]] = [
            (f"Go to {area.title}", f"key {area.key}", partial(app.switch_mode, area.mode))
            for area in AREAS
        ]
        out += [
            ("Refresh now", "key r: fetch every resource now (also while paused)",
             app.action_refresh),
            ("Pause / resume polling", "key p", app.action_toggle_pause),
            ("Export list to CSV", "key e: the current filtered list", partial(
                app.run_screen_action, "export('csv')")),
            ("Export list to JSON", "key E: the current filtered list", partial(
                app.run_screen_action, "export('json')")),
            ("Help: keys of this screen", "key ? or F1", app.action_help),
        ]
        return out

    async def discover(self) -> Hits:
        for name, help_text, command in self._commands():
            yield DiscoveryHit(name, command, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, help_text, command in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), command, text=name,  # type: ignore[arg-type]
                          help=help_text)


class JumpCommands(Provider):
    async def startup(self) -> None:
        app = _app(self)
        self._targets: list[tuple[str, str, str]] = []
        for resource, kind in JUMP_KINDS.items():
            collection = app.session.store.collection(resource)
            for key, item in collection.items.items():
                # Cleaned and bounded: the matcher runs over every target on each keystroke.
                label = clean_cell(app.label_of(resource, item))
                self._targets.append((f"{kind}: {label}", resource, key))

    async def search(self, query: str) -> Hits:
        app = _app(self)
        matcher = self.matcher(query)
        hits = []
        for text, resource, key in self._targets:
            score = matcher.match(text)
            if score > 0:
                hits.append((score, text, resource, key))
        hits.sort(key=lambda h: -h[0])
        for score, text, resource, key in hits[:MAX_HITS]:
            # Names come from the server: escape them so the highlighter never reads markup.
            yield Hit(score, matcher.highlight(escape(text)), partial(app.jump_soon, resource, key),
                      text=text, help="jump to it")
