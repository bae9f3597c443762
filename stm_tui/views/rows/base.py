"""What every row function shares: its context and the cell helpers.

One small row function per resource lives in the sibling modules, beside the columns it fills
(`*_COLUMNS`, in the same order); `stm_tui.views.resources` puts them in the registry. Cells are
plain `str` (never markup) or `rich.text.Text`; sort keys are typed (datetimes, numbers) so
sorting is by value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from rich.text import Text

from stm_tui.sanitize import CELL_LIMIT, clean_cell
from stm_tui.store.store import Store
from stm_tui.views import format as f
from stm_tui.views.table_model import Row


@dataclass(frozen=True)
class Context:
    """What a row function may look at besides its item: the store and the app's clock."""

    store: Store
    now: datetime


RowFn = Callable[[Any, Context], Row]


def when(value: datetime | None) -> float:
    """A sort key for an optional datetime (missing first)."""
    return value.timestamp() if value is not None else float("-inf")


def num(value: int | float | None) -> float:
    return float(value) if value is not None else float("-inf")


# Lists of 100,000 rows: a `Text` per cell costs time and memory many times over (the figures
# are in the README's Performance notes). Unstyled server text is a plain `str` cell instead
# (the table makes every `str` cell printable when it draws it), and the few distinct styled
# cells (statuses, day counts) are shared `Text` instances: the table copies a `Text` before
# it changes one.


def plain(value: object) -> str:
    """Server text for an unstyled cell: what `format.text` shows, without the `Text`.

    Printable text within the cell bound comes back as the same object, so the cell shares
    the model's string instead of holding a copy (100,000 rows are built and kept per list).
    """
    if value is None or value == "":
        return f.DASH
    if isinstance(value, str) and len(value) <= CELL_LIMIT and value.isprintable():
        return value
    return clean_cell(value)


@lru_cache(maxsize=256)
def status(value: str | None) -> Text:
    return f.status(value)


@lru_cache(maxsize=4096)
def days_left(days: int | None) -> Text:
    return f.days_left(days)
