"""Write actions whose request is filled in a form first: action id -> how to make the form.

A `FormPlan` is the request model, the form's spec (built from the store: names in use,
teams, the item's current values) and how a valid request becomes the `WriteCall` the
confirmation then shows. `WriteFlow.request` looks an action up here when it is declared
with `form=True` (`stm_tui.views.actions.WriteAction`). New form workflows add their plans
to `PLANS` (one line each).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.validation import RequestModel
from stm_tui.tui.writes.spec import FormSpec


@dataclass(frozen=True)
class FormPlan:
    model: type[RequestModel]
    spec: FormSpec
    build: Callable[[Any], WriteCall]  # the validated request -> the call to confirm


# (store, the selected item or None, the account's name) -> the plan.
PlanFactory = Callable[[Any, Any, str], FormPlan]


def _plans() -> dict[str, PlanFactory]:
    from stm_tui.tui.writes import profile_forms

    return dict(profile_forms.PLANS)


def plan_for(action_id: str) -> PlanFactory | None:
    return _plans().get(action_id)
