"""Helpers shared by the route modules: strict-but-tolerant bodies, row access inside a
transaction, names, account settings."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from stm_tui.emulator.context import (
    Caller,
    EmulatorState,
)
from stm_tui.emulator.errors import (
    ApiError,
    conflict,
    keypair_not_found,
    not_found,
)


class StrictBody(BaseModel):
    model_config = ConfigDict(extra="ignore")


def json_row(c: Any, table: str, item_id: str) -> dict[str, Any]:
    row = c.execute(f"SELECT data FROM {table} WHERE id=?", (item_id,)).fetchone()
    if row is None:
        raise (
            keypair_not_found(item_id)
            if table == "keypairs"
            else ApiError(404, "resource_not_found", f"{item_id} not found")
        )
    return dict(json.loads(row[0]))


def owned(
    state: EmulatorState, caller: Caller, table: str, item_id: str, kind: str
) -> dict[str, Any]:
    rec = state.db.get(table, item_id)
    if rec is None or rec["account_id"] != caller.account_id:
        raise not_found(kind, item_id)
    return rec


def name_free(c: Any, table: str, account_id: str, name: str, exclude: str | None = None) -> None:
    row = c.execute(
        f"SELECT id FROM {table} WHERE account_id=? AND name=?", (account_id, name)
    ).fetchone()
    if row is not None and row[0] != exclude:
        raise conflict(f"the name {name} is already used")


def load_settings(c: Any, account_id: str) -> dict[str, Any]:
    row = c.execute("SELECT data FROM settings WHERE id=?", (account_id,)).fetchone()
    if row is None:
        raise not_found("Account settings", account_id)
    return dict(json.loads(row[0]))


def read_settings(state: EmulatorState, account_id: str) -> dict[str, Any]:
    with state.db.read() as c:
        return load_settings(c, account_id)
