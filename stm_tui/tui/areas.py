"""The dashboard's areas: one Textual mode each, reachable by one key and from the palette."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from stm_tui.views.resources import ResourceName


@dataclass(frozen=True)
class Area:
    mode: str  # Textual mode name
    title: str
    short: str  # label in the area strip when the terminal is narrow
    key: str
    resources: tuple[str, ...]  # collections whose freshness the area reports
    tiny: str = ""  # label when the short ones do not fit; defaults to `short`
    collection: ResourceName | None = None  # the store collection it lists; None: not a list
    # At 80 columns the tiny labels of all twelve areas are four columns too wide: the other
    # areas get these (at most four letters) beside the current area's tiny label.
    brief: str = ""

    @property
    def smallest(self) -> str:
        return self.tiny or self.short

    @property
    def briefest(self) -> str:
        return self.brief or self.smallest


def listing(
    collection: ResourceName,
    title: str,
    short: str,
    key: str,
    *also: str,
    tiny: str = "",
    brief: str = "",
) -> Area:
    """The area that lists `collection` (its mode has the same name); `also` names the other
    collections whose freshness it reports."""
    return Area(collection, title, short, key, (collection, *also), tiny, collection, brief)


OVERVIEW_RESOURCES = ("certificates", "releases", "scans", "keypairs", "users")

AREAS: tuple[Area, ...] = (
    Area("overview", "Overview", "Ovw", "1", OVERVIEW_RESOURCES),
    listing("keypairs", "Keypairs", "Keys", "2", "signatures"),
    listing("certificates", "Certificates", "Certs", "3", brief="Crt"),
    listing("releases", "Releases", "Rel", "4", "signatures"),
    listing("scans", "Threat reports", "Threat", "5", tiny="Scan"),
    listing("audit", "Audit log", "Audit", "6", brief="Aud"),
    listing("users", "Users", "Users", "7", brief="User"),
    listing("teams", "Teams", "Teams", "8", brief="Team"),
    listing("accounts", "Accounts", "Accts", "9", "account_settings", brief="Acct"),
    listing("keypair_profiles", "Keypair profiles", "KP-prof", "K", tiny="KPP"),
    listing("certificate_profiles", "Certificate profiles", "CP-prof", "C", tiny="CPP"),
    listing("approvals", "Approvals", "Appr", "0", "releases", tiny="Apr"),
)

BY_MODE: dict[str, Area] = {area.mode: area for area in AREAS}
# The area listing each collection: where a jump to one of its items goes.
BY_COLLECTION: dict[str, Area] = {
    area.collection: area for area in AREAS if area.collection is not None
}
