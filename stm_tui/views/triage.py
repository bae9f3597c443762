"""What needs attention now: the Overview's rows, worked out from the store.

Each item names the resource and id it jumps to. Urgency ranks sort the list (lower first).
`Triage` keeps the lines per item so that a change to a few of 100,000 certificates
re-examines only those few.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text

from stm_tui.api.models import Certificate, Keypair, ReleaseWindow, Scan, User
from stm_tui.sanitize import clean_cell
from stm_tui.store.store import Status, Store
from stm_tui.views import format as f
from stm_tui.views import severity
from stm_tui.views.rows.activity import signatures_used
from stm_tui.views.rows.base import plain
from stm_tui.views.table_model import Column, Row

EXPIRY_WINDOWS = (7, 30, 90)
EXPIRED_LOOKBACK_DAYS = 90
RELEASE_SOON = timedelta(days=7)
TOKEN_SOON_DAYS = 30

COLUMNS = (
    Column("urgency", "Urgency", width=10),
    Column("kind", "Kind", width=7),
    Column("item", "Item", min_width=14, whole=True),
    Column("detail", "Detail", min_width=16),
    Column("when", "When", width=10, priority=1),
)


# What the Kind column shows: short, so that the names beside it are shown whole at 80 columns.
SHORT_KIND = {"certificate": "cert"}


@dataclass(frozen=True)
class Attention:
    """One line of the Overview: an item that needs attention, and why."""

    rank: int
    urgency: Text
    kind: str
    resource: str
    id: str
    item: str
    detail: Text
    when: datetime | None
    now: datetime

    @property
    def key(self) -> str:
        return f"{self.resource}:{self.id}"

    def row(self) -> Row:
        return Row(
            self.key,
            (self.urgency, SHORT_KIND.get(self.kind, self.kind), plain(self.item), self.detail,
             f.relative(self.when, self.now)),
            sort_keys=(
                # Ties in urgency: soonest first, then by name, so the order is stable.
                (self.rank, self.when.timestamp() if self.when else 0.0, self.item.lower()),
                self.kind,
                self.item.lower(),
                self.detail.plain,
                self.when.timestamp() if self.when else 0.0,
            ),
        )


def split_key(key: str) -> tuple[str, str]:
    resource, _, ident = key.partition(":")
    return resource, ident


def certificates(items: Any, now: datetime) -> list[Attention]:
    out = []
    for c in items:
        if not isinstance(c, Certificate) or c.certificate_status == "REVOKED":
            continue
        days = c.days_left(now)
        if days is None or days > EXPIRY_WINDOWS[-1] or days < -EXPIRED_LOOKBACK_DAYS:
            continue
        if days < 0:
            rank, label = 0, Text("EXPIRED", style="bold red")
        else:
            window = next(w for w in EXPIRY_WINDOWS if days <= w)
            rank = {7: 1, 30: 3, 90: 5}[window]
            label = Text(f"≤{window} d", style=f.days_left(days).style)
        detail = Text(f"expires {f.relative(c.not_after, now)}")
        if c.keypair and c.keypair.alias:
            detail.append(f" · {clean_cell(c.keypair.alias)}", style="dim")
        out.append(
            Attention(rank, label, "certificate", "certificates", c.id, c.alias or c.id, detail,
                    c.not_after, now)
        )
    return out


def releases(items: Any, now: datetime) -> list[Attention]:
    out = []
    for r in items:
        if not isinstance(r, ReleaseWindow):
            continue
        if r.status == "OPEN":
            detail = Text().append_text(signatures_used(r))  # its colour on the count only
            detail.append(" signatures · ends ")
            detail.append(f.relative(r.end_time, now))
            out.append(
                Attention(2, Text("OPEN", style="bold green"), "release", "releases", r.id,
                        r.name or r.id, detail, r.end_time, now)
            )
        elif (
            r.status in ("APPROVED", "PENDING_APPROVAL")
            and r.start_time is not None
            and now <= r.start_time <= now + RELEASE_SOON
        ):
            detail = Text(f"opens {f.relative(r.start_time, now)} · max ")
            detail.append(str(r.max_signatures) if r.max_signatures is not None else "∞")
            if r.status == "PENDING_APPROVAL":
                detail.append(" · needs approval", style="yellow")
            out.append(
                Attention(4, Text("SOON", style="cyan"), "release", "releases", r.id,
                        r.name or r.id, detail, r.start_time, now)
            )
    return out


def worst_finding(scan: Scan) -> str | None:
    if not scan.findings:
        return None
    best = min(scan.findings, key=lambda x: severity.rank(x.severity))
    return clean_cell(f"{best.severity or '?'}: {best.title or '?'}")


def scans(items: Any, reports: dict[str, Scan], now: datetime) -> list[Attention]:
    out = []
    for s in items:
        if not isinstance(s, Scan) or s.status != "FAIL":
            continue
        full = reports.get(s.id)
        worst = worst_finding(full) if full is not None else None
        counts = clean_cell(
            ", ".join(f"{v} {k}" for k, v in sorted(s.finding_counts.items()) if v)
        )
        detail = Text(f"failed · {worst or counts or 'no details'}")
        risk = s.risk_level or "FAIL"
        rank = 1 if severity.at_least(risk, "HIGH") else 3
        out.append(
            Attention(rank, f.severity(risk), "scan", "scans", s.id,
                    s.alias or s.file_name or s.id, detail, s.created_on, now)
        )
    return out


def keypairs(items: Any, now: datetime) -> list[Attention]:
    out = []
    for kp in items:
        # An offline (suspended) keypair is parked on purpose: no certificate is expected.
        if not isinstance(kp, Keypair) or kp.key_status == "OFFLINE":
            continue
        active = kp.number_of_active_certificates
        if active is None:
            active = sum(1 for c in kp.certificates if c.certificate_status == "ACTIVE")
        if active == 0:
            detail = Text(
                clean_cell(f"no active certificate · {kp.key_type or '?'} {kp.key_alg or ''}")
            )
            out.append(
                Attention(6, Text("NO CERT", style="yellow"), "keypair", "keypairs", kp.id,
                        kp.alias or kp.id, detail, kp.created_on, now)
            )
    return out


def service_tokens(items: Any, now: datetime) -> list[Attention]:
    out = []
    for u in items:
        if not isinstance(u, User) or u.user_type != "service" or u.end_date is None:
            continue
        if u.status == "DISABLED":
            continue
        days = (u.end_date - now).days
        if days > TOKEN_SOON_DAYS:
            continue
        rank, label = (0, Text("EXPIRED", style="bold red")) if days < 0 else (
            2 if days <= 7 else 4, Text(f"token {days} d", style=f.days_left(days).style))
        detail = Text(f"service user token expires {f.relative(u.end_date, now)}")
        out.append(
            Attention(rank, label, "token", "users", u.id, u.display_name, detail, u.end_date, now)
        )
    return out


# The collections the Overview looks at, each with the one kind of line it yields.
TRIAGED: dict[str, str] = {
    "certificates": "certificate",
    "releases": "release",
    "scans": "scan",
    "keypairs": "keypair",
    "users": "token",
}


def attention_for(
    resource: str, items: Iterable[Any], now: datetime, reports: dict[str, Scan]
) -> list[Attention]:
    """The lines for some items of one collection (at most one per item)."""
    finders: dict[str, Callable[[Any, datetime], list[Attention]]] = {
        "certificates": certificates,
        "releases": releases,
        "keypairs": keypairs,
        "users": service_tokens,
    }
    if resource == "scans":
        return scans(items, reports, now)
    finder = finders.get(resource)
    return finder(items, now) if finder is not None else []


def triage(store: Store, now: datetime, reports: dict[str, Scan]) -> list[Attention]:
    found: list[Attention] = []
    for name in TRIAGED:
        if name in store.names:
            found += attention_for(name, store.collection(name).items.values(), now, reports)
    return found


class Triage:
    """The lines, held per collection and item id, updated for the items that changed."""

    def __init__(self) -> None:
        self._held: dict[str, dict[str, Attention]] = {name: {} for name in TRIAGED}

    def refresh(
        self,
        store: Store,
        now: datetime,
        reports: dict[str, Scan],
        resource: str,
        ids: Iterable[str] | None = None,
    ) -> set[str]:
        """Re-examine `ids` of `resource` (all of it when None); the row keys that may have
        changed (added, updated or gone)."""
        if resource not in TRIAGED or resource not in store.names:
            return set()
        items = store.collection(resource).items
        held = self._held[resource]
        if ids is None:
            touched = {f.key for f in held.values()}
            held.clear()
            fresh = attention_for(resource, items.values(), now, reports)
        else:
            wanted = set(ids)
            touched = {held.pop(i).key for i in wanted if i in held}
            fresh = attention_for(resource, (items[i] for i in wanted if i in items), now, reports)
        for item in fresh:
            held[item.id] = item
            touched.add(item.key)
        return touched

    def get(self, key: str) -> Attention | None:
        resource, ident = split_key(key)
        return self._held.get(resource, {}).get(ident)

    def ids(self, resource: str) -> list[str]:
        return list(self._held.get(resource, {}))

    def counts(self) -> dict[str, int]:
        return {TRIAGED[name]: len(held) for name, held in self._held.items()}


def summary(found: list[Attention]) -> Text:
    counts: dict[str, int] = {}
    for item in found:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return summary_of(counts)


def unloaded(statuses: Iterable[Status]) -> dict[str, str]:
    """The collections that have never loaded, each with why (its error, or still loading)."""
    out: dict[str, str] = {}
    for status in statuses:
        if status.last_ok is not None:
            continue
        if status.error_kind is None:
            out[status.resource] = "loading"
        elif status.error_kind == "permission":
            out[status.resource] = "no permission"
        else:
            out[status.resource] = status.error_kind.replace("_", " ")
    return out


def _not_loaded(missing: dict[str, str]) -> Text:
    """`not loaded: scans (no permission) · loading: certificates`, grouped by reason."""
    by_reason: dict[str, list[str]] = {}
    for resource, reason in missing.items():
        by_reason.setdefault(reason, []).append(resource.replace("_", " "))
    line = Text()
    waiting = by_reason.pop("loading", None)
    if by_reason:
        line.append("✖ not loaded: ", style="bold red")
        line.append(" · ".join(f"{', '.join(names)} ({reason})"
                               for reason, names in by_reason.items()), style="red")
    if waiting:
        if line:
            line.append(" · ", style="dim")
        line.append(f"◌ loading: {', '.join(waiting)}", style="yellow")
    return line


def summary_of(counts: dict[str, int], missing: dict[str, str] | None = None) -> Text:
    """The one-line summary from the number of lines of each kind; `missing` names the
    collections that never loaded, so that an empty list is never taken for an all-clear."""
    line = Text()
    # Short labels so the line fits 80 columns.
    labels = (
        ("certificate", "certs expiring"),
        ("release", "releases open/soon"),
        ("scan", "failed scans"),
        ("keypair", "keys w/o cert"),
        ("token", "tokens due"),
    )
    for kind, label in labels:
        n = counts.get(kind, 0)
        if not n:
            continue  # only what needs attention, so the line fits 80 columns
        if line:
            line.append(" · ", style="dim")
        line.append(str(n), style="bold")
        line.append(f" {label}")
    if missing:
        if line:
            line.append(" · ", style="dim")
        return line.append_text(_not_loaded(missing))
    return line if line else Text("nothing needs attention right now", style="green")
