"""Write actions whose call needs fields filled in, by action id: the dashboard's workflow
for each (a form, then `WriteFlow.confirm`).

A `WriteAction` declared with `build=None` (`stm_tui.views.actions`) runs the workflow
registered here under its id; `tests/tui/test_resource_registry.py` checks that every such
action has one. A workflow gets the flow and the selected item (None for a create action
run with nothing selected). Add a workflow with one line in your own block below.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from stm_tui.tui.writes import keypair_workflows as kw
from stm_tui.tui.writes.flow import Flow

Workflow = Callable[[Flow, Any], None]

WORKFLOWS: Mapping[str, Workflow] = {
    # keypairs and certificates (issue 11)
    "keypair.generate": kw.generate_keypair_workflow,
    "keypair.update": kw.update_keypair_workflow,
    "keypair.delete": kw.delete_keypair_workflow,
    "certificate.generate": kw.generate_certificate_workflow,
}
