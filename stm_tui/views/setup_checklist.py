"""The setup checklist: the steps of DigiCert's Lead guide, each judged from live data.

Pure view logic: the dashboard's checklist screen and `stm-tui setup --check` both call
`evaluate` on the same `Inputs` (from the store, or from lists the CLI read), so they can
never disagree. Each step is done, not done, optional (not done, but the guide lets an
account skip it) or unknown (its data could not be read), with a one-line reason a person
acts on ("2 users have no authenticator: Omar Haddad, Sofia Russo").

`WORKFLOWS` says, per step, what Enter opens in the dashboard: a write action that
completes the step, a screen, or an area and what to do there. It is the one table to
change when a new workflow lands.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stm_tui.api import models as m
from stm_tui.sanitize import clean, clean_cell


class State(StrEnum):
    DONE = "done"
    TODO = "not done"
    OPTIONAL = "optional"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Step:
    id: str
    title: str
    required: bool


# The Lead guide's order.
STEPS: tuple[Step, ...] = (
    Step("two_factor", "Two-factor authentication required", True),
    Step("users_roles", "Users and roles", True),
    Step("team", "A team", False),
    Step("keypair_profile", "A keypair profile", False),
    Step("keypair", "A keypair", True),
    Step("certcentral", "CertCentral connected (for public certificates)", False),
    Step("certificate_profile", "A certificate profile", True),
    Step("certificate", "A certificate on every keypair", True),
    Step("release_window", "A release window", True),
    Step("threat_detection", "Threat detection used", True),
)
BY_ID = {step.id: step for step in STEPS}


@dataclass(frozen=True)
class Workflow:
    """What Enter on a step opens. `action`: a write action id run on `area` (a create
    form); `screen`: a named screen (`certcentral`); otherwise the area opens and `hint`
    says what to do there."""

    area: str  # the area's mode
    hint: str
    action: str | None = None
    screen: str | None = None


WORKFLOWS: dict[str, Workflow] = {
    "two_factor": Workflow(
        "users", "Users: each person enrols an authenticator; Accounts: turn on 2FA in the "
        "account's sign-in settings (Account Manager)",
    ),
    "users_roles": Workflow(
        "users", "Users: give at least one person the Signer role; no service user may be Lead",
    ),
    "team": Workflow("teams", "Teams: create a team and add its members"),
    "keypair_profile": Workflow(
        "keypair_profiles", "create a keypair profile", action="keypair_profile.create"
    ),
    "keypair": Workflow("keypairs", "Keypairs: generate a keypair"),
    "certcentral": Workflow(
        "accounts", "set up or fix the CertCentral integration", screen="certcentral"
    ),
    "certificate_profile": Workflow(
        "certificate_profiles", "create a certificate profile",
        action="certificate_profile.create",
    ),
    "certificate": Workflow(
        "keypairs", "Keypairs: generate a certificate for the keypairs named here"
    ),
    "release_window": Workflow("releases", "Releases: request a release window"),
    "threat_detection": Workflow("scans", "Threat reports: submit a file for scanning"),
}


@dataclass(frozen=True)
class Result:
    step: Step
    state: State
    reason: str

    @property
    def blocking(self) -> bool:
        """A required step that is not done (or cannot be checked): `setup --check` fails."""
        return self.step.required and self.state in (State.TODO, State.UNKNOWN)


@dataclass(frozen=True)
class Inputs:
    """The live data the steps are judged on. `unreadable` names the collections that could
    not be read (no permission, the service failing): their steps are unknown, not failed."""

    account: m.Account | None = None
    settings: m.AccountSettings | None = None
    users: Sequence[m.User] = ()
    teams: Sequence[m.Team] = ()
    keypair_profiles: Sequence[m.KeypairProfile] = ()
    keypairs: Sequence[m.Keypair] = ()
    certificate_profiles: Sequence[m.CertificateProfile] = ()
    certificates: Sequence[m.Certificate] = ()
    releases: Sequence[m.ReleaseWindow] = ()
    scans: Sequence[m.Scan] = ()
    unreadable: frozenset[str] = field(default_factory=frozenset)


# The collections each step reads: an unreadable one makes the step unknown.
NEEDS: dict[str, tuple[str, ...]] = {
    "two_factor": ("accounts", "users"),
    "users_roles": ("users",),
    "team": ("teams",),
    "keypair_profile": ("keypair_profiles", "account_settings"),
    "keypair": ("keypairs",),
    "certcentral": ("account_settings",),
    "certificate_profile": ("certificate_profiles",),
    "certificate": ("keypairs", "certificates"),
    "release_window": ("releases",),
    "threat_detection": ("scans",),
}
COLLECTIONS: tuple[str, ...] = tuple(dict.fromkeys(n for ns in NEEDS.values() for n in ns))


def _names(items: Iterable[str], limit: int = 3) -> str:
    listed = sorted(clean(n, limit=40) for n in items)
    shown = ", ".join(listed[:limit])
    return shown + (f" and {len(listed) - limit} more" if len(listed) > limit else "")


def _count(n: int, noun: str, plural: str | None = None) -> str:
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def _extra(item: Any, name: str) -> Any:
    """A field the emulator adds (INFERRED) and the model keeps as an extra."""
    return (getattr(item, "model_extra", None) or {}).get(name, getattr(item, name, None))


def _active(status: str | None) -> bool:
    return (status or "ACTIVE").upper() in ("ACTIVE", "ENABLED")


def _people(users: Sequence[m.User]) -> list[m.User]:
    return [u for u in users if (u.status or "ACTIVE").upper() == "ACTIVE"]


def _two_factor(i: Inputs) -> tuple[State, str]:
    account = i.account
    if account is None:
        return State.UNKNOWN, "the account's sign-in settings could not be read"
    required = account.mfa_required is True
    missing = [
        u.display_name
        for u in _people(i.users)
        if (u.user_type or "standard") != "service" and u.authenticator_enrolled is False
    ]
    lacking = (
        f"{_count(len(missing), 'user')} {'has' if len(missing) == 1 else 'have'} no "
        f"authenticator: {_names(missing)}"
        if missing
        else ""
    )
    name = clean(account.name or account.id, limit=40)
    if not required:
        return State.TODO, f"not required for {name}" + (f"; {lacking}" if lacking else "")
    if missing:
        return State.TODO, lacking
    return State.DONE, f"required for {name}; every user has an authenticator"


def _users_roles(i: Inputs) -> tuple[State, str]:
    people = _people(i.users)
    signers = [u.display_name for u in people if "SSM_SIGNER" in u.role_codes]
    lead_services = [
        u.display_name
        for u in people
        if (u.user_type or "") == "service" and "SSM_LEAD" in u.role_codes
    ]
    if lead_services:
        return State.TODO, (
            f"service user {_names(lead_services)} has the Lead role (never for routine signing)"
        )
    if not signers:
        return State.TODO, "no user has the Signer role"
    return State.DONE, (
        f"{_count(len(signers), 'Signer')} ({_names(signers)}); no service user is Lead"
    )


def _team(i: Inputs) -> tuple[State, str]:
    active = [t.name or t.id for t in i.teams if _active(t.status)]
    if not active:
        return State.OPTIONAL, "no team yet (optional: teams map people to keypairs)"
    return State.DONE, f"{_count(len(active), 'active team')}: {_names(active)}"


def _keypair_profile(i: Inputs) -> tuple[State, str]:
    usable = [p.name or p.id for p in i.keypair_profiles if _active(p.status)]
    required = bool(i.settings and i.settings.require_keypair_profile)
    if usable:
        note = "; required to generate keypairs" if required else ""
        return State.DONE, f"{_count(len(usable), 'active profile')}: {_names(usable)}{note}"
    if required:
        return State.TODO, (
            "the account requires a keypair profile, but none is active: no keypair can be "
            "generated"
        )
    return State.OPTIONAL, "no active keypair profile (optional: profiles fix algorithms)"


def _keypair(i: Inputs) -> tuple[State, str]:
    if not i.keypairs:
        return State.TODO, "no keypair yet"
    online = sum(1 for k in i.keypairs if (k.key_status or "").upper() == "ONLINE")
    return State.DONE, f"{_count(len(i.keypairs), 'keypair')} ({online} online)"


def _certcentral(i: Inputs) -> tuple[State, str]:
    cc = (i.settings.certcentral if i.settings else None) or {}
    public = [
        p.name or p.id
        for p in i.certificate_profiles
        if (p.hierarchy or "").upper() == "PUBLIC" and _active(p.status)
    ]
    stuck = f"; {_count(len(public), 'CertCentral profile')} cannot issue" if public else ""
    if not cc.get("configured"):
        return State.OPTIONAL, "not set up (needed only for public certificates)" + stuck
    if cc.get("enabled") is False:
        return State.OPTIONAL, "set up but disabled" + stuck
    if not cc.get("connected"):
        error = clean(str(cc.get("connection_error") or "not connected"), limit=90)
        return State.OPTIONAL, f"set up but not connected: {error}" + stuck
    region = "Europe" if cc.get("region") == "EUROPE" else "global"
    hint = clean_cell(str(cc.get("api_key_hint") or "?"))
    return State.DONE, f"connected (CertCentral {region}, key {hint})"


def _certificate_profile(i: Inputs) -> tuple[State, str]:
    active = [p.name or p.id for p in i.certificate_profiles if _active(p.status)]
    if not active:
        return State.TODO, "no active certificate profile: no certificate can be issued"
    return State.DONE, f"{_count(len(active), 'active profile')}: {_names(active)}"


def _certificate(i: Inputs) -> tuple[State, str]:
    if not i.keypairs:
        return State.TODO, "no keypair to hold a certificate yet"
    with_active = {
        c.keypair.id
        for c in i.certificates
        if c.keypair is not None and (c.certificate_status or "").upper() == "ACTIVE"
    }
    bare = [
        k.alias or k.id
        for k in sorted(i.keypairs, key=lambda k: k.alias or k.id)
        if k.id not in with_active and not (k.number_of_active_certificates or 0)
    ]
    if len(bare) == 1:
        return State.TODO, f"no active certificate on keypair {_names(bare)}"
    if bare:
        return State.TODO, (
            f"{len(bare)} keypairs have no active certificate: {_names(bare)}"
        )
    return State.DONE, f"every keypair has an active certificate ({len(i.keypairs)})"


_APPROVED = ("APPROVED", "OPEN", "CLOSED", "EXPIRED")


def _release_window(i: Inputs) -> tuple[State, str]:
    statuses = [(r.status or "").upper() for r in i.releases]
    approved = sum(1 for s in statuses if s in _APPROVED)
    waiting = statuses.count("PENDING_APPROVAL")
    if approved:
        open_now = statuses.count("OPEN")
        extra = f", {waiting} waiting for approval" if waiting else ""
        return State.DONE, f"{_count(approved, 'approved window')} ({open_now} open{extra})"
    if waiting:
        return State.TODO, f"{_count(waiting, 'window')} waiting for approval, none approved yet"
    return State.TODO, "no release window yet"


def _threat_detection(i: Inputs) -> tuple[State, str]:
    scans = [s for s in i.scans if not _extra(s, "deleted")]
    if not scans:
        return State.TODO, "no scan yet"
    failed = sum(1 for s in scans if (s.status or "").upper() == "FAIL")
    return State.DONE, f"{_count(len(scans), 'scan')} ({failed} failed)"


_JUDGES = {
    "two_factor": _two_factor,
    "users_roles": _users_roles,
    "team": _team,
    "keypair_profile": _keypair_profile,
    "keypair": _keypair,
    "certcentral": _certcentral,
    "certificate_profile": _certificate_profile,
    "certificate": _certificate,
    "release_window": _release_window,
    "threat_detection": _threat_detection,
}


def evaluate(inputs: Inputs) -> list[Result]:
    """Every step in the guide's order, judged on `inputs`."""
    out = []
    for step in STEPS:
        missing = [n for n in NEEDS[step.id] if n in inputs.unreadable]
        if missing:
            unread = ", ".join(missing).replace("_", " ")
            out.append(Result(step, State.UNKNOWN, f"could not read {unread}"))
            continue
        state, reason = _JUDGES[step.id](inputs)
        out.append(Result(step, state, reason))
    return out


def blocking(results: Iterable[Result]) -> list[Result]:
    return [r for r in results if r.blocking]


def inputs_from_store(store: Any, account_id: str | None) -> Inputs:
    """The inputs from the dashboard's store; a collection that never loaded is unreadable."""

    def items(name: str) -> list[Any]:
        if name not in store.names:
            return []
        return list(store.collection(name).items.values())

    unreadable = frozenset(
        n for n in COLLECTIONS if n not in store.names or not store.collection(n).loaded
    )
    accounts = items("accounts")
    account = next((a for a in accounts if a.id == account_id), None)
    if account is None and len(accounts) == 1:
        account = accounts[0]
    settings = items("account_settings")
    return Inputs(
        account=account,
        settings=settings[0] if settings else None,
        users=items("users"),
        teams=items("teams"),
        keypair_profiles=items("keypair_profiles"),
        keypairs=items("keypairs"),
        certificate_profiles=items("certificate_profiles"),
        certificates=items("certificates"),
        releases=items("releases"),
        scans=items("scans"),
        unreadable=unreadable,
    )


def as_json(results: Iterable[Result]) -> list[dict[str, Any]]:
    return [
        {
            "step": r.step.id,
            "title": r.step.title,
            "required": r.step.required,
            "state": r.state.value,
            "reason": r.reason,
        }
        for r in results
    ]


MARKS = {State.DONE: "✔", State.TODO: "✗", State.OPTIONAL: "○", State.UNKNOWN: "?"}
