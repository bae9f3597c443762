"""The per-resource view registry is complete: every collection has its entry, and each entry
holds together (its rows fill its columns, `get` names columns that exist, its write actions
build the calls they declare). Adding a resource fails here until each layer has its part."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from stm_tui.api import models as m
from stm_tui.api.resources import RESOURCES
from stm_tui.api.writes.permissions import ACTION_PERMISSIONS
from stm_tui.commands._output import render_table
from stm_tui.store.store import Store
from stm_tui.tui.areas import AREAS
from stm_tui.views.resources import ID, RESOURCE_NAMES, VIEWS, Field, ResourceView
from stm_tui.views.rows.base import Context
from stm_tui.views.table_model import plain

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
WITH_ROWS = [view for view in VIEWS.values() if view.row is not None]
LISTED = {area.collection for area in AREAS if area.collection is not None}
# The audit log has no names to jump to: its entries are found by filtering the list.
NOT_IN_THE_PALETTE = {"audit"}


def ctx() -> Context:
    return Context(store=Store(), now=NOW)


def bare(view: ResourceView) -> m.Resource:
    """An item with nothing but an id: every optional field missing."""
    return RESOURCES[view.resource].model.model_validate({"id": f"{view.resource}-1"})


def test_every_collection_has_exactly_one_entry() -> None:
    assert set(RESOURCE_NAMES) == set(RESOURCES)
    assert list(VIEWS) == list(RESOURCE_NAMES)
    assert all(name == view.resource for name, view in VIEWS.items())


@pytest.mark.parametrize("collection", sorted(LISTED))
def test_every_list_area_has_rows_a_detail_and_a_name_in_the_palette(collection: str) -> None:
    view = VIEWS[collection]  # type: ignore[index]
    assert view.row is not None and view.columns and view.detail is not None
    assert (view.palette is None) == (collection in NOT_IN_THE_PALETTE)


@pytest.mark.parametrize("view", WITH_ROWS, ids=lambda v: v.resource)
def test_a_row_fills_every_column_even_for_an_item_missing_every_field(
    view: ResourceView,
) -> None:
    assert view.row is not None
    row = view.row(bare(view), ctx())
    assert len(row.cells) == len(view.columns)
    assert row.sort_keys is None or len(row.sort_keys) == len(view.columns)
    keys = [c.key for c in view.columns]
    assert len(set(keys)) == len(keys)
    if view.default_sort is not None:
        assert view.default_sort[0] in keys


@pytest.mark.parametrize("view", VIEWS.values(), ids=lambda v: v.resource)
def test_get_prints_list_columns_that_exist_and_api_fields(view: ResourceView) -> None:
    assert view.cli
    for column in view.cli:
        if isinstance(column, Field):
            assert column.path.split(".")[0] in RESOURCES[view.resource].model.model_fields
        else:
            view.column(column)  # raises for a key the list does not have
    collections = set(RESOURCE_NAMES)
    assert set(view.depends_on) <= collections and set(view.detail_sources) <= collections


@pytest.mark.parametrize("view", VIEWS.values(), ids=lambda v: v.resource)
def test_get_renders_a_table_of_an_item_missing_every_field(view: ResourceView) -> None:
    header, line = render_table(view.resource, [bare(view)]).splitlines()
    assert (f"{view.resource}-1" in line) == (ID in view.cli)
    for column in view.cli:
        heading = column.header if isinstance(column, Field) else view.column(column).heading
        assert heading in header


def test_get_shows_the_same_text_as_the_list_under_the_same_heading() -> None:
    keypair = m.Keypair.model_validate(
        {"id": "k1", "alias": "build-key", "key_alg": "ECDSA", "curve": "P256",
         "key_status": "ONLINE", "number_of_active_certificates": 2}
    )
    view = VIEWS["keypairs"]
    assert view.row is not None
    cells = [plain(c) for c in view.row(keypair, ctx()).cells]
    header, line = render_table("keypairs", [keypair]).splitlines()
    assert header.split()[:3] == ["ID", "ALIAS", "ALGORITHM"]
    assert cells[view.column_index("alg")] == "ECDSA P256"
    assert "ECDSA P256" in line and "build-key" in line


def test_get_names_the_zone_of_time_columns_and_shows_times_in_it() -> None:
    release = m.ReleaseWindow.model_validate(
        {"id": "r1", "name": "desktop-5.0", "status": "OPEN",
         "start_time": "2026-11-27T10:00:00Z", "end_time": "2026-11-28T10:00:00Z"}
    )
    header, line = render_table("releases", [release], now=NOW).splitlines()
    assert "START (UTC)" in header and "END (UTC)" in header
    assert "2026-11-27 10:00" in line and "2026-11-28 10:00" in line


# Whose right depends on the request (its kind, a team right, or being the requester of a
# window to close): the server decides per request, so no single permission dims them.
DECIDED_PER_REQUEST = {"approval.approve", "approval.reject", "release.close"}


def _sample(view: ResourceView) -> Any:
    if view.resource == "keypair_profiles":
        return m.KeypairProfile.model_validate({"id": "p1", "name": "rsa", "status": "ACTIVE"})
    if view.resource == "certificate_profiles":
        return m.CertificateProfile.model_validate({"id": "p2", "name": "cp", "status": "ACTIVE"})
    if view.resource == "account_settings":
        return m.AccountSettings.model_validate(
            {"account": {"id": "a1", "name": "Acme"}, "certcentral": {"configured": True}}
        )
    if view.resource == "keypairs":
        return m.Keypair.model_validate({"id": "k1", "alias": "build-key", "key_status": "ONLINE"})
    if view.resource == "releases":
        return m.ReleaseWindow.model_validate(
            {"id": "r1", "name": "desktop-1.0", "status": "PENDING_APPROVAL"}
        )
    if view.resource == "approvals":
        return m.ApprovalRequest.model_validate(
            {"id": "a1", "kind": "KEYPAIR_DELETE", "status": "PENDING",
             "resource": {"type": "KEYPAIR", "id": "k1", "name": "build-key"}}
        )
    return m.Certificate.model_validate(
        {"id": "c1", "alias": "build-cert", "certificate_status": "ACTIVE",
         "keypair": {"id": "k1", "alias": "build-key"}}
    )


# Actions on one list that change an item of another collection.
_OTHER_TARGET = {"certificate.set_default": "keypairs"}


@pytest.mark.parametrize(
    "view, action",
    [(view, action) for view in VIEWS.values() for action in view.actions if action.build],
    ids=lambda x: getattr(x, "id", None) or getattr(x, "resource", ""),
)
def test_write_actions_build_the_call_they_declare(view: ResourceView, action: Any) -> None:
    # Actions asked in a form first build their call from the form (tests/tui/test_profiles.py).
    call = action.build(_sample(view))
    assert call.action == action.id
    assert call.tier is action.tier
    expected = _OTHER_TARGET.get(action.id, view.resource)
    assert call.target is not None and call.target.resource == expected
    if action.id in DECIDED_PER_REQUEST:
        assert action.permission is None
    else:
        assert action.permission == ACTION_PERMISSIONS[action.id]


def test_every_action_without_a_call_of_its_own_has_a_workflow_or_a_form() -> None:
    from stm_tui.tui.writes.form_plans import plan_for
    from stm_tui.tui.writes.workflows import WORKFLOWS

    asking = [a.id for view in VIEWS.values() for a in view.actions if a.build is None]
    assert asking, "no form-driven action declared"
    assert [a for a in asking if a not in WORKFLOWS and plan_for(a) is None] == []
    assert set(WORKFLOWS) <= {a.id for view in VIEWS.values() for a in view.actions}
