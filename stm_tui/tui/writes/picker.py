"""Pick several items from a long list: a filter line over a `SelectionList`.

Picks survive filtering (typing "ali" and picking Alice, then "bob" and picking Bob keeps
both); the line under the list says how many are picked, including those filtered out of
view. Labels are server text, so they are drawn as `Text`, never as markup.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, SelectionList, Static

from stm_tui.sanitize import clean_cell
from stm_tui.tui.writes.spec import Choice


class Picker(Vertical):
    DEFAULT_CSS = """
    Picker {
        height: auto;
        width: 1fr;
    }
    Picker > SelectionList {
        height: auto;
        max-height: 6;
    }
    Picker > .picker-count {
        color: $text-muted;
    }
    """

    class Changed(Message):
        def __init__(self, picker: Picker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> Picker:
            return self.picker

    def __init__(
        self,
        choices: Sequence[Choice],
        selected: Iterable[Hashable] = (),
        *,
        id: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(id=id, disabled=disabled)
        self._choices = tuple(choices)
        allowed = {c.value for c in self._choices}
        self._selected = [v for v in selected if v in allowed]
        self._query = ""

    def compose(self) -> ComposeResult:
        filter_line = Input(placeholder="filter…", compact=True, classes="picker-filter")
        filter_line.cursor_blink = False
        yield filter_line
        yield SelectionList[Hashable](*self._options(), compact=True)
        yield Static(self._count(), classes="picker-count", markup=False)

    # value -------------------------------------------------------------------------------

    @property
    def value(self) -> tuple[Hashable, ...]:
        """The picked values, in the order of the choices."""
        picked = set(self._selected)
        return tuple(c.value for c in self._choices if c.value in picked)

    def set_value(self, values: Iterable[Hashable]) -> None:
        allowed = {c.value for c in self._choices}
        wanted = [v for v in values if v in allowed]
        if set(wanted) == set(self._selected):
            return
        self._selected = wanted
        self._rebuild()

    def set_choices(self, choices: Sequence[Choice]) -> None:
        choices = tuple(choices)
        if choices == self._choices:
            return
        self._choices = choices
        allowed = {c.value for c in choices}
        self._selected = [v for v in self._selected if v in allowed]
        self._rebuild()

    # drawing -----------------------------------------------------------------------------

    def _options(self) -> list[tuple[Text, Hashable, bool]]:
        words = self._query.lower().split()
        picked = set(self._selected)
        return [
            (Text(clean_cell(c.label)), c.value, c.value in picked)
            for c in self._choices
            if all(w in c.label.lower() for w in words)
        ]

    def _count(self) -> Text:
        shown = len(self._options())
        total = len(self._choices)
        text = f"{len(self._selected)} picked"
        if shown < total:
            text += f" · {shown} of {total} shown"
        return Text(text)

    def _rebuild(self) -> None:
        if not self.is_mounted:
            return
        listing = self.query_one(SelectionList)
        listing.clear_options()
        listing.add_options(self._options())
        if listing.option_count:
            listing.highlighted = 0  # so that space picks the first match at once
        self.query_one(".picker-count", Static).update(self._count())

    # events ------------------------------------------------------------------------------

    @on(Input.Changed, ".picker-filter")
    def _filter(self, event: Input.Changed) -> None:
        event.stop()
        self._query = event.value
        self._rebuild()

    @on(Input.Submitted, ".picker-filter")
    def _to_list(self, event: Input.Submitted) -> None:
        event.stop()
        listing = self.query_one(SelectionList)
        if listing.option_count and listing.highlighted is None:
            listing.highlighted = 0
        listing.focus()

    @on(SelectionList.SelectionToggled)
    def _toggled(self, event: SelectionList.SelectionToggled[Hashable]) -> None:
        event.stop()
        value = event.selection.value
        if value in self._selected:
            self._selected.remove(value)
        else:
            self._selected.append(value)
        self.query_one(".picker-count", Static).update(self._count())
        self.post_message(self.Changed(self))

    @on(SelectionList.SelectedChanged)
    @on(SelectionList.SelectionHighlighted)
    def _quiet(self, event: Message) -> None:
        event.stop()
