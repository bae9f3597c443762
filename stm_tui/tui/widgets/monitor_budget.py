"""The signature budget view: this month per keypair, signer and release, the burn rate and
when the monthly budget runs out."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from stm_tui.views.monitor.budget import BudgetReport, budget_lines


def budget_text(report: BudgetReport | None, note: str = "") -> Text:
    if report is None:
        return Text(note or "Signature budget", style="dim")
    lines = budget_lines(report)
    text = Text()
    text.append(lines[0], "bold")
    if note:
        text.append(f"\n{note}", style="dim")
    for line in lines[1:]:
        text.append("\n")
        text.append(line, "bold" if line and not line.startswith(" ") else "")
    return text


class BudgetView(VerticalScroll):
    DEFAULT_CSS = """
    BudgetView {
        height: 1fr;
    }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="budget-body", markup=False)

    def show(self, report: BudgetReport | None, note: str = "") -> None:
        self.query_one("#budget-body", Static).update(budget_text(report, note))
