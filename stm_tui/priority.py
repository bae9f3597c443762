"""Keys first: background work steps aside for a moment after each key press.

A first sync of 100,000 certificates keeps the interpreter busy for tens of seconds: pages
validated on a worker thread, the inventory cache written on another, rows built between
frames. Python runs one thread at a time, so a key press waited for its share of the
interpreter behind them (an area switch took ~300 ms instead of ~60). The UI calls
`note_input` on every key; for `BUSY` seconds afterwards `step_aside` (called by the workers
between items) gives the interpreter away a few milliseconds at a time, and the loop's own
slices wait longer between turns (`input_recent`). Nothing here knows about Textual.
"""

from __future__ import annotations

import time

# How long after a key the background work holds back: an area switch's frame (~60 ms on
# an idle machine) with room to spare.
BUSY = 0.25
# What a worker sleeps per item while a key is being answered (releases the interpreter).
PAUSE = 0.005

_busy_until = 0.0


def note_input() -> None:
    global _busy_until
    _busy_until = time.monotonic() + BUSY


def input_recent() -> bool:
    return time.monotonic() < _busy_until


def step_aside() -> None:
    """On a worker thread, between items: a short sleep while a key is being answered.
    One per call, never a wait for the quiet: a key held down slows a sync, never stops it."""
    if time.monotonic() < _busy_until:
        time.sleep(PAUSE)
