"""Every collection's name (`ResourceName`), and the ones the API lists, mapped to their list
route and model.

`ResourceName` is the one key of every per-resource table: these specs, the store's
collections, the poll cadences, the dashboard's views. `tests/unit/test_resource_tables.py`
says which table must cover which names, so adding a resource is one entry per layer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, get_args

from stm_tui.api import models
from stm_tui.api.routes import ROUTES

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
    # The full scans (with their findings) the dashboard needs; read one by one from the
    # scans' item route, never listed.
    "scan_reports",
    "audit",
    # What waits on the current user's approval (PENDING, theirs to decide).
    "approvals",
    "api_tokens",
    "client_certificates",
]
RESOURCE_NAMES: Final[tuple[ResourceName, ...]] = get_args(ResourceName)


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    name: ResourceName
    route: str  # key into ROUTES
    model: type[models.Resource]
    paged: bool  # True: STM envelope with limit/offset; False: bare array (Account Manager)
    single: bool = False  # True: the route returns one object, listed as a one-item collection
    item_route: str | None = None  # key into ROUTES for GET by id
    # Query every listing of the collection carries (the inbox lists only what awaits me).
    filters: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return ROUTES[self.route]


RESOURCES: dict[ResourceName, ResourceSpec] = {
    spec.name: spec
    for spec in (
        ResourceSpec("accounts", "accounts", models.Account, paged=False, item_route="account"),
        ResourceSpec(
            "account_settings", "account_settings", models.AccountSettings, paged=False, single=True
        ),
        ResourceSpec("users", "users", models.User, paged=False, item_route="user"),
        ResourceSpec("roles", "roles", models.Role, paged=False),
        ResourceSpec("teams", "teams", models.Team, paged=True, item_route="team"),
        ResourceSpec(
            "keypair_profiles",
            "keypair_profiles",
            models.KeypairProfile,
            paged=True,
            item_route="keypair_profile",
        ),
        ResourceSpec("keypairs", "keypairs", models.Keypair, paged=True, item_route="keypair"),
        ResourceSpec(
            "certificate_profiles",
            "certificate_profiles",
            models.CertificateProfile,
            paged=True,
            item_route="certificate_profile",
        ),
        ResourceSpec(
            "certificates", "certificates", models.Certificate, paged=True, item_route="certificate"
        ),
        ResourceSpec(
            "releases", "releases", models.ReleaseWindow, paged=True, item_route="release"
        ),
        ResourceSpec(
            "signatures", "signatures", models.Signature, paged=True, item_route="signature"
        ),
        ResourceSpec("scans", "scans", models.Scan, paged=True, item_route="scan"),
        ResourceSpec("audit", "audit", models.AuditEvent, paged=True),
        ResourceSpec(
            "approvals",
            "approval_requests",
            models.ApprovalRequest,
            paged=True,
            item_route="approval_request",
            filters={"status": "PENDING", "awaiting_me": "true"},
        ),
        ResourceSpec("api_tokens", "api_tokens", models.ApiToken, paged=False),
        ResourceSpec(
            "client_certificates", "client_certificates", models.ClientCertificate, paged=False
        ),
    )
}


def resource_name(name: str) -> ResourceName | None:
    """The `ResourceName` a person or a config file means (`keypair-profiles` too), or None."""
    key = name.strip().lower().replace("-", "_")
    return next((known for known in RESOURCE_NAMES if known == key), None)


def spec_for(name: str) -> ResourceSpec:
    """The spec for a listable collection; accepts `-` for `_` (`keypair-profiles`)."""
    key = resource_name(name)
    if key is None or key not in RESOURCES:
        known = ", ".join(sorted(RESOURCES))
        raise KeyError(f"unknown resource {name!r}; known: {known}")
    return RESOURCES[key]
