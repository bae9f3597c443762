"""The `/` filter line under a list: live filtering, Esc clears and closes."""

from __future__ import annotations

from textual.message import Message
from textual.widgets import Input

from stm_tui.tui import keys


class FilterInput(Input):
    BINDINGS = keys.bindings("filter.clear", "filter.done", "filter.to_list")

    class Closed(Message):
        """The user left the filter line (the query stays unless it was cleared)."""

    def __init__(self) -> None:
        super().__init__(
            placeholder="filter: words, field:value, !exclude, \"quoted words\"",
            id="filter",
        )
        # No blinking cursor: it redraws twice a second (bandwidth over SSH) and makes
        # snapshots flaky.
        self.cursor_blink = False

    def action_clear_and_close(self) -> None:
        self.value = ""
        self.post_message(self.Closed())

    def action_close(self) -> None:
        self.post_message(self.Closed())

    async def action_submit(self) -> None:
        self.post_message(self.Closed())
