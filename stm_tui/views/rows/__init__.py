"""Columns and row builders, one pair per resource; `stm_tui.views.resources` registers them."""

from stm_tui.views.rows.base import Context, RowFn

__all__ = ["Context", "RowFn"]
