"""Alerts: what they are, the thresholds (per profile), and the once-per-condition ledger.

Every alert has a `key` that names its condition ("desktop-4.3.0 reached 80%", "eve signed
on a keypair of desktop-4.3.0 outside it"). A key fires once: the first time the condition is
seen it becomes an alert (a toast, the bell, a line in the pane, a JSON line); when it is
seen again only its count and last time change. An alert stays until acknowledged.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any, Literal

from stm_tui.views.monitor.records import iso

Severity = Literal["warning", "error"]

# The kinds, in the order the pane explains them.
ALERT_KINDS = (
    "quota_warn",  # the window used `quota_warn` of its maximum (80%)
    "quota_full",  # ... `quota_full` of it (100%)
    "unlisted_signer",  # a signature by a user who is not a signer of the window
    "outside_window",  # a signature on a keypair of an open window, not attributed to it
    "rate_spike",  # the last minutes' rate well above the hour's
    "closing",  # the window ends within `closing_minutes` and signatures still arrive
    "scan",  # the window's scan failed (or could not run); worse when it blocks signing
    "failed_attempts",  # refused attempts (quota exceeded, not a signer, ...)
)


@dataclass(frozen=True)
class AlertConfig:
    """Thresholds and switches; the coordinator maps a profile's `[alerts]` table onto it
    with `from_mapping`."""

    quota_warn: float = 0.8
    quota_full: float = 1.0
    # A spike: the rate over the last `spike_minutes` (per minute) is at least `spike_factor`
    # times the rate of the hour before them, and at least `spike_min_per_minute`, with at
    # least `spike_history_minutes` of that hour behind it (so a window's first signatures
    # are not a "spike").
    spike_factor: float = 3.0
    spike_minutes: int = 2
    spike_min_per_minute: float = 5.0
    spike_history_minutes: int = 10
    # "Closing with signatures still arriving": within this many minutes of the end, and a
    # signature arrived in the last `closing_recent_minutes`.
    closing_minutes: float = 10.0
    closing_recent_minutes: float = 5.0
    enabled: frozenset[str] = frozenset(ALERT_KINDS)
    bell: bool = True

    def on(self, kind: str) -> bool:
        return kind in self.enabled

    def as_mapping(self) -> dict[str, Any]:
        """The mapping `from_mapping` reads back (recordings keep the thresholds they ran
        with, so a replay fires the same alerts)."""
        out: dict[str, Any] = {
            f.name: getattr(self, f.name) for f in fields(self) if f.name != "enabled"
        }
        out["off"] = [k for k in ALERT_KINDS if k not in self.enabled]
        return out

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> AlertConfig:
        """From a config table: the numeric fields by name, `bell`, and `off` (a list of
        kinds to switch off). ValueError names the first bad key or value."""
        config = cls()
        numbers = {f.name: f for f in fields(cls) if f.name not in ("enabled", "bell")}
        changes: dict[str, Any] = {}
        for key, value in values.items():
            if key == "off":
                if not isinstance(value, list | tuple) or not all(
                    isinstance(v, str) for v in value
                ):
                    raise ValueError("alerts.off: must be a list of alert kinds")
                unknown = [v for v in value if v not in ALERT_KINDS]
                if unknown:
                    raise ValueError(
                        f"alerts.off: unknown kind {unknown[0]!r}; known: {', '.join(ALERT_KINDS)}"
                    )
                changes["enabled"] = frozenset(ALERT_KINDS) - frozenset(value)
            elif key == "bell":
                if not isinstance(value, bool):
                    raise ValueError("alerts.bell: must be true or false")
                changes["bell"] = value
            elif key in numbers:
                if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                    raise ValueError(f"alerts.{key}: must be a non-negative number")
                changes[key] = int(value) if numbers[key].type in (int, "int") else float(value)
            else:
                known = ", ".join([*numbers, "bell", "off"])
                raise ValueError(f"alerts.{key}: unknown setting; known: {known}")
        config = replace(config, **changes)
        if not 0 < config.quota_warn <= config.quota_full:
            raise ValueError("alerts.quota_warn: must be above 0 and at most quota_full")
        if config.spike_minutes < 1:
            raise ValueError("alerts.spike_minutes: must be at least 1")
        return config


@dataclass
class Alert:
    key: str
    kind: str
    severity: Severity
    window_id: str
    window_name: str
    message: str  # built from cleaned text only
    at: datetime
    count: int = 1
    last_at: datetime | None = None
    acknowledged: bool = False
    seq: int = field(default=0, compare=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "severity": self.severity,
            "release": {"id": self.window_id, "name": self.window_name},
            "message": self.message,
            "at": iso(self.at),
            "count": self.count,
        }


# Conditions remembered at most (each distinct unlisted signer is one); old ones are
# forgotten first, and an alert still in the pane is never forgotten.
LEDGER_LIMIT = 5000
# Acknowledged alerts kept for the pane's history.
ACKNOWLEDGED_KEPT = 50


class AlertLedger:
    def __init__(self) -> None:
        self._alerts: OrderedDict[str, Alert] = OrderedDict()
        self._seq = 0
        self.version = 0

    def fire(
        self,
        key: str,
        kind: str,
        severity: Severity,
        window_id: str,
        window_name: str,
        message: str,
        at: datetime,
        *,
        repeat: bool = True,
    ) -> Alert | None:
        """The new alert, or None when this condition fired before. `repeat`: a condition
        seen again counts up (another refused attempt); a state still holding does not."""
        known = self._alerts.get(key)
        if known is not None:
            if repeat:
                known.count += 1
                known.last_at = at
                self.version += 1
            return None
        self._seq += 1
        alert = Alert(key, kind, severity, window_id, window_name, message, at, seq=self._seq)
        self._alerts[key] = alert
        self._trim()
        self.version += 1
        return alert

    def _trim(self) -> None:
        # Forget the oldest acknowledged conditions first; one still in the pane stays.
        while len(self._alerts) > LEDGER_LIMIT:
            oldest = next((k for k, a in self._alerts.items() if a.acknowledged), None)
            if oldest is None:
                break
            del self._alerts[oldest]

    def has_fired(self, key: str) -> bool:
        return key in self._alerts

    def acknowledge(self, key: str) -> bool:
        alert = self._alerts.get(key)
        if alert is None or alert.acknowledged:
            return False
        alert.acknowledged = True
        self.version += 1
        self._trim()
        return True

    def acknowledge_all(self) -> int:
        keys = [k for k, a in self._alerts.items() if not a.acknowledged]
        for key in keys:
            self._alerts[key].acknowledged = True
        if keys:
            self.version += 1
            self._trim()
        return len(keys)

    def pending(self) -> list[Alert]:
        """Unacknowledged alerts, newest first."""
        return sorted((a for a in self._alerts.values() if not a.acknowledged),
                      key=lambda a: -a.seq)

    def acknowledged(self) -> list[Alert]:
        """The newest acknowledged alerts (at most `ACKNOWLEDGED_KEPT`), newest first."""
        done = sorted((a for a in self._alerts.values() if a.acknowledged), key=lambda a: -a.seq)
        return done[:ACKNOWLEDGED_KEPT]

    def all(self) -> list[Alert]:
        """Every alert remembered, oldest first."""
        return sorted(self._alerts.values(), key=lambda a: a.seq)
