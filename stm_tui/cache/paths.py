"""Where the inventory cache lives (kept apart so `config path` need not import the models)."""

from __future__ import annotations

from pathlib import Path

from stm_tui.config import app_paths


def inventory_dir() -> Path:
    """`<user cache dir>/stm-tui/inventory`: one file per profile, host and user."""
    return app_paths().cache_dir / "inventory"
