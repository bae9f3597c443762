"""The setup checklist: the Lead guide's steps in order, each judged from the live store
(`stm_tui.views.setup_checklist`), and Enter opens what completes the selected step.

Key 0 (or the palette's "Setup checklist") opens it over the current area; Esc closes it.
A step's state follows the store: completing a step in its workflow turns it done here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from stm_tui.store.store import Diff
from stm_tui.tui import keys
from stm_tui.tui.areas import Area
from stm_tui.tui.screens.base import AreaScreen
from stm_tui.views import setup_checklist as sc

AREA = Area("setup", "Setup checklist", "Setup", "0", sc.COLLECTIONS)
STYLES = {
    sc.State.DONE: "green",
    sc.State.TODO: "red",
    sc.State.OPTIONAL: "yellow",
    sc.State.UNKNOWN: "magenta",
}


def step_text(number: int, result: sc.Result, width: int) -> Text:
    """Two lines: mark, number, title and state; the reason under it (already cleaned)."""
    style = STYLES[result.state]
    line = Text()
    line.append(f"{sc.MARKS[result.state]} ", style=style)
    line.append(f"{number:>2}. ")
    title_width = max(20, width - 20)
    title = result.step.title
    line.append(f"{title[:title_width]:<{title_width}}", style="bold")
    line.append(f" {result.state.value}", style=style)
    line.append("\n      ")
    room = max(10, width - 7)
    reason = result.reason if len(result.reason) <= room else result.reason[: room - 1] + "…"
    line.append(reason, style="dim")
    return line


def summary(results: list[sc.Result]) -> Text:
    left = sc.blocking(results)
    done = sum(1 for r in results if r.state is sc.State.DONE)
    out = Text()
    out.append("Setup checklist", style="bold")
    out.append(f"  {done}/{len(results)} done")
    if left:
        out.append(f" · {len(left)} required to do", style="red")
    else:
        out.append(" · every required step is done", style="green")
    return out


class SetupChecklistScreen(AreaScreen):
    BINDINGS: ClassVar[list[BindingType]] = keys.bindings("back")
    HELP = "The Lead guide's steps, judged on the live account. Enter opens what completes " \
        "the selected step; Esc closes."

    def __init__(self) -> None:
        super().__init__(AREA, id="setup-checklist")
        self.results: list[sc.Result] = []
        self._unsubscribe: Callable[[], None] | None = None
        self._loaded: frozenset[str] | None = None

    def compose_body(self) -> ComposeResult:
        yield OptionList(id="steps")
        yield Static("", id="step-hint", markup=False)

    @property
    def steps(self) -> OptionList:
        return self.query_one("#steps", OptionList)

    def on_mount(self) -> None:
        super().on_mount()
        self._unsubscribe = self.host.session.store.subscribe(self._on_diff, sc.COLLECTIONS)
        self.recompute()
        self.steps.focus()

    def on_unmount(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def on_resize(self) -> None:
        if self.is_mounted and self.results:
            self.recompute()  # the reasons are cut to the width

    def _on_diff(self, diff: Diff) -> None:
        self.recompute()

    def update_freshness(self) -> None:
        super().update_freshness()
        # A collection that loads (or fails) changes a step from unknown without a diff.
        store = self.host.session.store
        loaded = frozenset(n for n in sc.COLLECTIONS if store.collection(n).loaded)
        if self.is_mounted and loaded != self._loaded:
            self.recompute()

    def recompute(self) -> None:
        store = self.host.session.store
        self._loaded = frozenset(n for n in sc.COLLECTIONS if store.collection(n).loaded)
        identity = self.host.session.identity
        inputs = sc.inputs_from_store(store, identity.account_id if identity else None)
        self.results = sc.evaluate(inputs)
        steps = self.steps
        keep = steps.highlighted
        width = max(40, self.size.width - 6)  # padding and the scrollbar
        steps.clear_options()
        steps.add_options(
            [
                Option(step_text(n, r, width), id=r.step.id)
                for n, r in enumerate(self.results, 1)
            ]
        )
        if self.results:
            steps.highlighted = keep if keep is not None and keep < len(self.results) else 0
        self.set_view_info(summary(self.results))
        self._show_hint()

    def result(self, step_id: str) -> sc.Result:
        return next(r for r in self.results if r.step.id == step_id)

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._show_hint()

    def _selected_step(self) -> str | None:
        index = self.steps.highlighted
        if index is None or not 0 <= index < len(self.results):
            return None
        return self.results[index].step.id

    def _show_hint(self) -> None:
        step = self._selected_step()
        if step is None:
            return
        flow = sc.WORKFLOWS[step]
        if flow.action or flow.screen:
            text = f"Enter: {flow.hint}"
        else:
            text = f"Enter opens the area. {flow.hint}"
        self.query_one("#step-hint", Static).update(Text(text, style="italic"))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.open_step(event.option.id)

    def open_step(self, step_id: str) -> None:
        """Open what completes `step_id` (the one mapping is `views.setup_checklist.WORKFLOWS`)."""
        flow = sc.WORKFLOWS[step_id]
        if flow.screen == "certcentral":
            from stm_tui.tui.screens.certcentral import CertCentralScreen

            self.app.push_screen(CertCentralScreen())
            return
        self.app.run_worker(self._go(flow), exit_on_error=False)

    async def _go(self, flow: sc.Workflow) -> None:
        app: Any = self.app
        host = self.host
        app.pop_screen()
        await app.switch_mode(flow.area)
        if flow.action:
            host.run_screen_action(f"write('{flow.action}')")
        else:
            app.notify(flow.hint, title="Setup checklist", timeout=8, markup=False)

    def action_back(self) -> None:
        self.app.pop_screen()
