"""Columns and row builders, one per resource; `VIEWS` maps a store collection to its view."""

from stm_tui.views.rows.activity import AUDIT, RELEASES, SCANS, SIGNATURES
from stm_tui.views.rows.base import Context, ResourceView
from stm_tui.views.rows.inventory import (
    CERTIFICATE_PROFILES,
    CERTIFICATES,
    KEYPAIR_PROFILES,
    KEYPAIRS,
)
from stm_tui.views.rows.people import ACCOUNTS, TEAMS, USERS

VIEWS: dict[str, ResourceView] = {
    view.resource: view
    for view in (
        ACCOUNTS,
        USERS,
        TEAMS,
        KEYPAIR_PROFILES,
        KEYPAIRS,
        CERTIFICATE_PROFILES,
        CERTIFICATES,
        RELEASES,
        SIGNATURES,
        SCANS,
        AUDIT,
    )
}

__all__ = ["VIEWS", "Context", "ResourceView"]
