"""A profile's monitor settings: its `[alerts]` table and its monthly signature budget.

Read where a monitor starts (`watch`, `release budget`, the dashboard's monitor), so that
a bad threshold is refused with the profile and the key named, not at the first alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stm_tui.views.monitor.alerts import AlertConfig
from stm_tui.views.monitor.budget import BudgetConfig


@dataclass(frozen=True)
class MonitorSettings:
    alerts: AlertConfig
    budget: BudgetConfig


class SettingsError(ValueError):
    """A profile's monitor settings are not usable; the message names the profile and key."""


def settings_for(profile: Any | None, monthly: int | None = None) -> MonitorSettings:
    """From a `config.Profile` (None: the defaults); `monthly` (a command's --budget)
    overrides the profile's `signature_budget`."""
    if profile is None:
        return MonitorSettings(AlertConfig(), BudgetConfig(monthly))
    try:
        alerts = AlertConfig.from_mapping(getattr(profile, "alerts", None) or {})
    except ValueError as exc:
        raise SettingsError(f"profile {getattr(profile, 'name', '?')!r}: {exc}") from exc
    budget = monthly if monthly is not None else getattr(profile, "signature_budget", None)
    return MonitorSettings(alerts, BudgetConfig(budget))
