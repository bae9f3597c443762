"""The collections the store and `stm-tui get` know, mapped to their list route and model."""

from __future__ import annotations

from dataclasses import dataclass

from stm_tui.api import models
from stm_tui.api.routes import ROUTES


@dataclass(frozen=True, slots=True)
class ResourceSpec:
    name: str
    route: str  # key into ROUTES
    model: type[models.Resource]
    paged: bool  # True: STM envelope with limit/offset; False: bare array (Account Manager)
    single: bool = False  # True: the route returns one object, listed as a one-item collection
    item_route: str | None = None  # key into ROUTES for GET by id

    @property
    def path(self) -> str:
        return ROUTES[self.route]


RESOURCES: dict[str, ResourceSpec] = {
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
        ResourceSpec("api_tokens", "api_tokens", models.ApiToken, paged=False),
        ResourceSpec(
            "client_certificates", "client_certificates", models.ClientCertificate, paged=False
        ),
    )
}


def spec_for(name: str) -> ResourceSpec:
    """The spec for a collection name; accepts `-` for `_` (`keypair-profiles`)."""
    key = name.strip().lower().replace("-", "_")
    try:
        return RESOURCES[key]
    except KeyError:
        known = ", ".join(sorted(RESOURCES))
        raise KeyError(f"unknown resource {name!r}; known: {known}") from None
