"""Write actions whose request is filled in a form first: action id -> how to make the form.

`WriteFlow.request` looks an action up here when it is declared with `form=True`
(`stm_tui.views.actions.WriteAction`), shows the form, then confirms the call the filled-in
request builds. New form workflows add their plans to `PLANS` (one line each).
"""

from __future__ import annotations

from stm_tui.tui.writes import profile_forms
from stm_tui.tui.writes.plan import PlanFactory

PLANS: dict[str, PlanFactory] = {
    **profile_forms.PLANS,
}


def plan_for(action_id: str) -> PlanFactory | None:
    return PLANS.get(action_id)
