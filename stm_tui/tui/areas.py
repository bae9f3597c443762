"""The dashboard's areas: one Textual mode each, reachable by one key and from the palette."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Area:
    mode: str  # Textual mode name; also the store collection for list areas
    title: str
    short: str  # label in the area strip when the terminal is narrow
    key: str
    resources: tuple[str, ...]  # collections whose freshness the area reports
    tiny: str = ""  # label at 80 columns; defaults to `short`

    @property
    def smallest(self) -> str:
        return self.tiny or self.short


OVERVIEW_RESOURCES = ("certificates", "releases", "scans", "keypairs", "users")

AREAS: tuple[Area, ...] = (
    Area("overview", "Overview", "Ovw", "1", OVERVIEW_RESOURCES),
    Area("keypairs", "Keypairs", "Keys", "2", ("keypairs", "signatures")),
    Area("certificates", "Certificates", "Certs", "3", ("certificates",)),
    Area("releases", "Releases", "Rel", "4", ("releases", "signatures")),
    Area("scans", "Threat reports", "Threat", "5", ("scans",), "Scan"),
    Area("audit", "Audit log", "Audit", "6", ("audit",)),
    Area("users", "Users", "Users", "7", ("users",)),
    Area("teams", "Teams", "Teams", "8", ("teams",)),
    Area("accounts", "Accounts", "Accts", "9", ("accounts", "account_settings")),
    Area("keypair_profiles", "Keypair profiles", "KP-prof", "K", ("keypair_profiles",), "KPP"),
    Area(
        "certificate_profiles", "Certificate profiles", "CP-prof", "C",
        ("certificate_profiles",), "CPP",
    ),
)

BY_MODE: dict[str, Area] = {area.mode: area for area in AREAS}
