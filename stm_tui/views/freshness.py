"""How fresh an area's data is, as one short line of text.

Worked out from the store's `Status` of each resource the area shows and the app's clock;
an area showing several resources reports the worst of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from rich.text import Text

from stm_tui.api.errors import NOT_TRANSIENT
from stm_tui.store.poller import STOPPED_HINT
from stm_tui.store.store import Freshness, Status
from stm_tui.views import format as f

# Worst first: the state an area with several resources reports.
_SEVERITY = {
    Freshness.ERROR: 0,
    Freshness.STALE: 1,
    Freshness.LOADING: 2,
    Freshness.PAUSED: 3,
    Freshness.FRESH: 4,
}


def effective_state(status: Status, now: datetime) -> Freshness:
    """The store marks staleness on its own tick; between ticks we work it out here too."""
    if (
        status.state is Freshness.FRESH
        and status.last_ok is not None
        and now - status.last_ok > timedelta(seconds=2 * status.interval)
    ):
        return Freshness.STALE
    return status.state


def worst(statuses: Iterable[Status], now: datetime) -> Status | None:
    ranked = sorted(statuses, key=lambda s: (_SEVERITY[effective_state(s, now)], _age_key(s)))
    return ranked[0] if ranked else None


def _age_key(status: Status) -> float:
    # Among equals, the oldest data speaks for the area.
    return status.last_ok.timestamp() if status.last_ok else float("-inf")


def describe(statuses: Iterable[Status], now: datetime, paused: bool = False) -> Text:
    status = worst(statuses, now)
    if status is None:
        return Text("")
    state = Freshness.PAUSED if paused else effective_state(status, now)
    age = f.ago(status.last_ok, now)
    if state is Freshness.FRESH:
        return Text(f"● updated {age}", style="green")
    if state is Freshness.LOADING:
        return Text("◌ loading…", style="yellow")
    if state is Freshness.PAUSED:
        return Text(f"❚❚ paused · data from {age}", style="magenta")
    if state is Freshness.STALE and status.cached:
        # Shown at start from the local inventory cache, until the first refresh lands.
        return Text(f"◷ cached · from {age} · refreshing…", style="yellow")
    if state is Freshness.STALE:
        return Text(f"▲ stale · updated {age}", style="bold yellow")
    if status.error_kind in NOT_TRANSIENT:
        # Polling stopped: asking again cannot fix a missing permission or a refused key,
        # so there is no countdown, only the key that asks again.
        retry = f" · {STOPPED_HINT}"
    elif status.next_try:
        retry = f" · retry {f.relative(status.next_try, now)}"
    else:
        retry = ""
    data = f" · data from {age}" if status.last_ok else ""
    # Name the resource: an area such as the Overview shows several, and "permission" alone
    # would not say that it is only the threat scans this role may not read.
    what = status.resource.replace("_", " ")
    kind = kind_label(status.error_kind)
    return Text(f"✖ {what}: {kind}{retry}{data}", style="bold red")


_KIND_LABELS = {
    "permission": "no permission",
    "auth": "authentication failed",
    "second_factor": "second factor missing",
}


def kind_label(kind: str | None) -> str:
    """Words for an error kind (`bad_response` -> "bad response")."""
    if kind is None:
        return "error"
    return _KIND_LABELS.get(kind, kind.replace("_", " "))
