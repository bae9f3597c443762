"""The approvals inbox's signals: a toast and one bell when new requests arrive, the count.

It listens to the store's `approvals` collection (polled like every other collection); it
never asks the service itself. The first load is what was already waiting: the count in the
status line says it, no bell and no toast (the dashboard opening is not news). Every later poll
that brings new requests rings the bell once (unless the profile's `approval_bell` is off)
and names what arrived in a toast.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import App
from textual.widgets import Static

from stm_tui.api.models import ApprovalRequest
from stm_tui.api.writes.approvals import requester, what
from stm_tui.sanitize import clean
from stm_tui.store.store import Diff, Store

# The toast names at most this many new requests; the rest are counted.
NAMED = 3


class InboxSignals:
    def __init__(
        self,
        app: App[Any],
        store: Store,
        *,
        bell: bool = True,
        key: Callable[[], str] = lambda: "0",
        on_count: Callable[[int], None] | None = None,
    ) -> None:
        self.app = app
        self.store = store
        self.bell = bell
        self.key = key  # the key that opens the inbox, for the toast
        self.on_count = on_count
        self.seen: set[str] | None = None  # None until the first load
        self.rang = 0  # how many times the bell rang (the help and tests read it)
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def count(self) -> int:
        return waiting_count(self.store)

    def start(self) -> None:
        if "approvals" in self.store.names:
            self._unsubscribe = self.store.subscribe(self._changed, ("approvals",))

    def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def _changed(self, diff: Diff) -> None:
        held = self.store.collection("approvals").items
        waiting = {k for k, r in held.items() if _mine(r)}
        if self.seen is None:
            self.seen = set(waiting)
        else:
            new = [held[k] for k in sorted(waiting - self.seen, key=lambda k: _age_key(held[k]))]
            self.seen = (self.seen & set(held)) | waiting
            if new:
                self._arrived(new)
        if self.on_count is not None:
            self.on_count(len(waiting))

    def _arrived(self, new: list[ApprovalRequest]) -> None:
        if self.bell:
            self.app.bell()
            self.rang += 1
        lines = [f"{what(r)} (asked by {requester(r)})" for r in new[:NAMED]]
        if len(new) > NAMED:
            lines.append(f"and {len(new) - NAMED} more")
        self.app.notify(
            clean("\n".join(lines), limit=600, newlines=True),
            title=f"New approval request{'s' if len(new) > 1 else ''} ({self.key()})",
            timeout=10,
            markup=False,
        )


class InboxCount(Static):
    """On every area's status line, beside the freshness: how many requests wait on you.
    Empty when none do. (The identity line above has no room to spare at 120 columns:
    the host must stay readable there.)"""

    def __init__(self) -> None:
        super().__init__("", id="inbox", markup=False)
        self._shown: tuple[int, str] | None = None

    def show(self, waiting: int, key: str) -> None:
        if self._shown == (waiting, key):
            return
        self._shown = (waiting, key)
        self.update(Text(f" {waiting} to approve ({key}) ", style="bold") if waiting else "")
        self.set_class(waiting > 0, "-waiting")


def waiting_count(store: Store) -> int:
    """How many requests wait on the current user (the status line's count)."""
    if "approvals" not in store.names:
        return 0
    return sum(1 for r in store.collection("approvals").items.values() if _mine(r))


def _mine(r: Any) -> bool:
    return isinstance(r, ApprovalRequest) and r.status in (None, "PENDING") and \
        r.can_decide is not False


def _age_key(r: ApprovalRequest) -> str:
    return r.created_on.isoformat() if r.created_on else ""
