"""A write whose request is filled in a form first: the model, the form, and the call.

`FormPlan` is the request model, the form's spec (built from the store: names in use,
teams, the item's current values) and how a valid request becomes the `WriteCall` the
confirmation then shows. The registry of plans by action id is `form_plans.py`.
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
