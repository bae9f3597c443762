"""The per-resource view registry: one entry per collection, everything shown about it.

An entry names its list columns and row builder (`views/rows/`), its detail (`views/details`),
its name in the command palette, the columns `stm-tui get -o table` prints (list columns by
key, so the dashboard and the CLI show the same text under the same heading, plus fields
the list does not show) and the write actions it offers (`views/actions`). Adding a resource
is one entry here per layer it appears in; `tests/tui/test_resource_registry.py` says which
is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, get_args

from rich.console import RenderableType

from stm_tui.views import details as d
from stm_tui.views.actions import (
    DELETE_KEYPAIR,
    GENERATE_CERTIFICATE,
    GENERATE_KEYPAIR,
    REVOKE_CERTIFICATE,
    SET_DEFAULT_CERTIFICATE,
    SUSPEND_KEYPAIR,
    UNSUSPEND_KEYPAIR,
    UPDATE_KEYPAIR,
    WriteAction,
)
from stm_tui.views.profile_actions import (
    CERTCENTRAL_ACTIONS,
    CERTIFICATE_PROFILE_ACTIONS,
    KEYPAIR_PROFILE_ACTIONS,
)
from stm_tui.views.release_actions import (
    APPROVE_RELEASE,
    APPROVE_REQUEST,
    CLOSE_RELEASE,
    REJECT_RELEASE,
    REJECT_REQUEST,
)
from stm_tui.views.rows import activity, approvals, inventory, people
from stm_tui.views.rows.base import Context, RowFn
from stm_tui.views.table_model import Column

# Every collection the store and `stm-tui get` know. Defined here until the core's own
# literal exists (stm_tui/api/resources.py); the registry test holds the two sets equal.
ResourceName = Literal[
    "accounts",
    "account_settings",
    "users",
    "roles",
    "teams",
    "keypair_profiles",
    "keypairs",
    "certificate_profiles",
    "certificates",
    "releases",
    "signatures",
    "scans",
    "audit",
    "approvals",
    "api_tokens",
    "client_certificates",
]
RESOURCE_NAMES: tuple[ResourceName, ...] = get_args(ResourceName)

DetailFn = Callable[[Any, Context], RenderableType]


@dataclass(frozen=True)
class Field:
    """A value `stm-tui get` prints that no list column shows: an API field by dotted path."""

    header: str
    path: str
    time: bool = False  # an ISO time: shown in the chosen zone, which the header names


ID = Field("ID", "id")

# A `get` table column: the key of a list column (its text and heading), or a field.
CliColumn = str | Field


@dataclass(frozen=True)
class ResourceView:
    resource: ResourceName
    label: Callable[[Any], str]  # the item's name in titles, the palette and `y`
    cli: tuple[CliColumn, ...]  # what `stm-tui get -o table` prints, in order
    columns: tuple[Column, ...] = ()  # the dashboard list's columns, filled by `row`
    row: RowFn | None = None
    detail: DetailFn | None = None
    palette: str | None = None  # the word before a name in the palette's jump list
    # Other collections whose changes alter this list's cells (a lookup by id).
    depends_on: tuple[str, ...] = ()
    # Collections the detail shows besides the item (a keypair's recent signatures).
    detail_sources: tuple[str, ...] = ()
    # (column key, reverse) applied when the list opens; None keeps the server's order.
    default_sort: tuple[str, bool] | None = None
    actions: tuple[WriteAction, ...] = ()

    def column(self, key: str) -> Column:
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(f"{self.resource} has no column {key!r}")

    def column_index(self, key: str) -> int:
        return self.columns.index(self.column(key))


def _name_or_id(item: Any) -> str:
    return str(item.name or item.id)


def _alias_or_id(item: Any) -> str:
    return str(item.alias or item.id)


def _id(item: Any) -> str:
    return str(item.id)


def _display_name(item: Any) -> str:
    return str(item.display_name)


VIEWS: dict[ResourceName, ResourceView] = {
    view.resource: view
    for view in (
        ResourceView(
            "accounts", _name_or_id, (ID, "name", "status"),
            columns=people.ACCOUNT_COLUMNS, row=people.account_row, detail=d.account_detail,
            palette="account", depends_on=("account_settings",),
        ),
        ResourceView(
            "account_settings",
            lambda s: str(s.account.name if s.account and s.account.name else s.id),
            (
                ID, Field("ACCOUNT", "account.name"), Field("2FA", "two_factor_required"),
                Field("KEYPAIR PROFILE REQUIRED", "require_keypair_profile"),
                Field("CERTCENTRAL", "certcentral.configured"),
            ),
            actions=CERTCENTRAL_ACTIONS,
        ),
        ResourceView(
            "users", _display_name, (ID, "name", "email", "type", "status", "roles"),
            columns=people.USER_COLUMNS, row=people.user_row, detail=d.user_detail,
            palette="user",
        ),
        ResourceView(
            "roles", lambda r: str(r.name or r.code or r.id),
            (ID, Field("CODE", "code"), Field("NAME", "name")),
        ),
        ResourceView(
            "teams", _name_or_id, (ID, "name", "status", "members"),
            columns=people.TEAM_COLUMNS, row=people.team_row, detail=d.team_detail,
            palette="team",
        ),
        ResourceView(
            "keypair_profiles", _name_or_id, (ID, "name", "ptype", "alg", "ktype"),
            columns=inventory.KEYPAIR_PROFILE_COLUMNS, row=inventory.keypair_profile_row,
            detail=d.keypair_profile_detail, palette="keypair profile",
            actions=KEYPAIR_PROFILE_ACTIONS,
        ),
        ResourceView(
            "keypairs", _alias_or_id, (ID, "alias", "alg", "type", "status", "certs"),
            columns=inventory.KEYPAIR_COLUMNS, row=inventory.keypair_row,
            detail=d.keypair_detail, palette="keypair", detail_sources=("signatures",),
            default_sort=("alias", False),
            actions=(
                SUSPEND_KEYPAIR, UNSUSPEND_KEYPAIR,
                GENERATE_KEYPAIR, UPDATE_KEYPAIR, GENERATE_CERTIFICATE, DELETE_KEYPAIR,
            ),
        ),
        ResourceView(
            "certificate_profiles", _name_or_id,
            (ID, "name", "status", "hierarchy", "ctype", "validity"),
            columns=inventory.CERTIFICATE_PROFILE_COLUMNS, row=inventory.cert_profile_row,
            detail=d.certificate_profile_detail, palette="certificate profile",
            actions=CERTIFICATE_PROFILE_ACTIONS,
        ),
        ResourceView(
            "certificates", _alias_or_id,
            (ID, "alias", "status", "keypair", "to", "days", "subject"),
            columns=inventory.CERTIFICATE_COLUMNS, row=inventory.cert_row,
            detail=d.certificate_detail, palette="certificate", default_sort=("days", False),
            actions=(REVOKE_CERTIFICATE, SET_DEFAULT_CERTIFICATE),
        ),
        ResourceView(
            "releases", _name_or_id,
            (ID, "name", "version", "status", "rtype", "start", "end", "sigs"),
            columns=activity.RELEASE_COLUMNS, row=activity.release_row,
            detail=d.release_detail, palette="release", detail_sources=("signatures",),
            default_sort=("start", True),
            actions=(APPROVE_RELEASE, REJECT_RELEASE, CLOSE_RELEASE),
        ),
        ResourceView(
            "signatures", _id, (ID, "time", "keypair", "user", "alg", "status"),
            columns=activity.SIGNATURE_COLUMNS, row=activity.signature_row,
            detail=d.signature_detail, default_sort=("time", True),
        ),
        ResourceView(
            "scans", _alias_or_id, (ID, "alias", "status", "risk", "file", "created"),
            columns=activity.SCAN_COLUMNS, row=activity.scan_row, detail=d.scan_detail,
            palette="scan", default_sort=("created", True),
        ),
        ResourceView(
            "audit", _id,
            ("time", "action", "rtype", Field("RESOURCE ID", "resource_id"), "user", "status"),
            columns=activity.AUDIT_COLUMNS, row=activity.audit_row, detail=d.audit_detail,
            default_sort=("time", True),
        ),
        ResourceView(
            "approvals", lambda r: str(r.resource.name if r.resource and r.resource.name
                                       else r.id),
            (ID, "kind", "name", "by", Field("ASKED", "created_on", time=True), "reason"),
            columns=approvals.APPROVAL_COLUMNS, row=approvals.approval_row,
            detail=approvals.approval_detail, palette="approval", depends_on=("releases",),
            default_sort=("age", False), actions=(APPROVE_REQUEST, REJECT_REQUEST),
        ),
        ResourceView(
            "api_tokens", _name_or_id,
            (
                ID, Field("NAME", "name"), Field("HINT", "key_hint"), Field("STATUS", "status"),
                Field("ENDS", "end_date", time=True),
            ),
        ),
        ResourceView(
            "client_certificates", _name_or_id,
            (
                ID, Field("NAME", "name"), Field("STATUS", "status"),
                Field("VALID TO", "valid_to", time=True),
            ),
        ),
    )
}


_BY_NAME: dict[str, ResourceView] = {name: view for name, view in VIEWS.items()}


def view_of(resource: str) -> ResourceView | None:
    """The view of a collection name from outside the registry's types (a store diff)."""
    return _BY_NAME.get(resource)
