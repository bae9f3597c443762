"""Rendering resources for `stm-tui get`: stable JSON, CSV with a header, a readable table.

The table prints the columns the resource's view names for it (`stm_tui.views.resources`):
list columns with the dashboard's own text and heading, and API fields the list does not
show. JSON and CSV keep the API's field names and values, for scripts.

Server text is data and goes through `stm_tui.sanitize`: table cells are cleaned and cut,
CSV cells are cleaned and never spreadsheet formulas, JSON keeps every value exactly but
writes the characters a terminal would act on as `\\uXXXX` escapes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from stm_tui.api import models as m
from stm_tui.sanitize import clean_cell, escape_json, spreadsheet_cell
from stm_tui.store.store import Store
from stm_tui.views import format as f
from stm_tui.views.resources import CliColumn, Field, ResourceView, view_of
from stm_tui.views.rows.base import Context
from stm_tui.views.table_model import plain

_MAX_CELL = 60

Getter = Callable[[m.Resource, dict[str, Any]], Any]


def dump(item: m.Resource) -> dict[str, Any]:
    """The item as the API sent it (field names and values), secrets masked."""
    return item.model_dump(mode="json", exclude_unset=True)


def field_path(dotted: str) -> Getter:
    parts = dotted.split(".")

    def get(_item: m.Resource, data: dict[str, Any]) -> Any:
        value: Any = data
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return get


def _time(value: Any) -> Any:
    """An API time as a datetime, so it is shown in the chosen zone (text it cannot read
    is shown as it came)."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    return value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f.dt(value)
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = clean_cell(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def _heading(view: ResourceView, column: CliColumn) -> str:
    # Times carry their zone in the heading: `EXPIRES (UTC)`.
    if isinstance(column, Field):
        return f"{column.header} ({f.zone_label()})" if column.time else column.header
    listed = view.column(column)
    return f"{listed.heading} ({f.zone_label()})" if listed.zone else listed.heading


def _cells(view: ResourceView, item: m.Resource, ctx: Context) -> list[str]:
    # List columns show what the dashboard's list shows: the same row function builds them.
    row = view.row(item, ctx) if view.row is not None else None
    data = dump(item)
    out = []
    for column in view.cli:
        if isinstance(column, Field):
            value = field_path(column.path)(item, data)
            out.append(cell(_time(value) if column.time else value))
        else:
            assert row is not None  # the registry test holds: list columns need a row
            out.append(cell(plain(row.cells[view.column_index(column)])))
    return out


def render_table(
    resource: str, items: Sequence[m.Resource], *, local: bool = False,
    now: datetime | None = None,
) -> str:
    view = view_of(resource)
    if view is None:
        raise KeyError(f"no view of {resource!r}")
    shown_before = f.time_zone()
    f.set_time_zone("local" if local else "utc")
    try:
        # Row functions look some cells up in the store (an account's settings): `get` has
        # none loaded, and those cells say so as the dashboard does before they load.
        ctx = Context(store=Store(), now=now or datetime.now(UTC))
        headers = [_heading(view, column) for column in view.cli]
        rows = [_cells(view, item, ctx) for item in items]
    finally:
        f.set_time_zone(shown_before)
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def render_json(data: Any) -> str:
    return escape_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def render_csv(items: Sequence[m.Resource]) -> str:
    dumped = [dump(item) for item in items]
    header: list[str] = []
    for data in dumped:
        for key in data:
            if key not in header:
                header.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_cell(key) for key in header])
    for data in dumped:
        writer.writerow([spreadsheet_cell(_text(data.get(key))) for key in header])
    return out.getvalue()


def _text(value: Any) -> str:
    """A value as the text a filter compares and a CSV cell holds (before sanitising)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def matches(item: m.Resource, filters: Sequence[tuple[str, str]]) -> bool:
    """Client-side exact match on (possibly dotted) fields, validated by the caller; a field
    the item does not carry compares as empty."""
    data = dump(item)
    for key, expected in filters:
        value = field_path(key)(item, data)
        if _text(value) != expected:
            return False
    return True
