"""The "new release window" form for `CreateRelease`, with the guard rails shown under the
fields before anything is sent (`stm_tui.api.writes.release_rules`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from stm_tui.api.models import Keypair, ReleaseWindow, Team, User
from stm_tui.api.writes.release_rules import guard_rails
from stm_tui.tui.writes.spec import Choice, FieldSpec, FormSpec, Kind, Values

KINDS = [
    Choice("OFFLINE", "offline (requested, then approved by someone else)"),
    Choice("ONLINE", "online (created approved)"),
    Choice("TEST", "test (TEST keypairs; created approved)"),
]
PURPOSES = [
    Choice("SIGN", "sign"),
    Choice("DETECT_THREATS", "detect threats"),
    Choice("DETECT_THREATS_AND_SIGN", "both"),
]


def _keypair_label(kp: Keypair) -> str:
    parts = [p for p in (kp.key_status, kp.key_type, kp.key_alg) if p]
    return f"{kp.alias or kp.id} ({' '.join(parts)})" if parts else str(kp.alias or kp.id)


def _user_label(user: User) -> str:
    name = user.display_name
    return f"{name} <{user.email}>" if user.email and user.email != name else name


def create_release_form(
    *,
    keypairs: Sequence[Keypair],
    users: Sequence[User],
    teams: Sequence[Team],
    releases: Sequence[ReleaseWindow],
    now: Callable[[], datetime],
) -> FormSpec:
    by_id: Mapping[str, Keypair] = {kp.id: kp for kp in keypairs}
    names = {r.name for r in releases if r.name}

    def keypair_choices(values: Values) -> list[Choice]:
        kind = values.get("release_type")
        out = []
        for kp in keypairs:
            # What the service refuses for the kind is not offered (TEST holds TEST keys;
            # an ONLINE window no OFFLINE key).
            if kind == "TEST" and kp.key_type != "TEST":
                continue
            if kind == "ONLINE" and kp.key_status == "OFFLINE":
                continue
            out.append(Choice(kp.id, _keypair_label(kp)))
        return out

    def rules(data: Values) -> dict[str, str]:
        out = guard_rails(data, keypairs=by_id, releases=releases, now=now())
        name = data.get("name")
        if isinstance(name, str) and name in names:
            out.setdefault("name", f"a release window named {name} exists already")
        return out

    def detects(values: Values) -> bool:
        return str(values.get("purpose") or "").startswith("DETECT")

    fields = [
        FieldSpec("release_type", "Kind", kind=Kind.RADIO, choices=KINDS),
        FieldSpec(
            "name", "Name", "1-64 letters, digits, '.', '_', '-'; no spaces; unique",
            placeholder="desktop-4.5.0", max_length=64,
        ),
        FieldSpec("version", "Version", "optional", placeholder="4.5.0", max_length=64),
        FieldSpec("purpose", "Purpose", kind=Kind.RADIO, choices=PURPOSES),
        FieldSpec(
            "project", "Project", "the threat-detection project (optional)",
            visible=detects, max_length=100,
        ),
        FieldSpec("block_on_failed_scan", "Block on failed scan",
                  "no signing while the window's latest scan fails"),
        FieldSpec(
            "team_id", "Team", kind=Kind.CHOICE,
            choices=[Choice(t.id, t.name or t.id) for t in teams], blank="no team",
        ),
        FieldSpec(
            "keypair_ids", "Keypairs", "one keypair is in one open window at a time",
            choices=keypair_choices,
        ),
        FieldSpec(
            "signer_ids", "Signers", "who may sign in it",
            choices=[Choice(u.id, _user_label(u)) for u in users],
        ),
        FieldSpec(
            "max_signatures", "Max signatures", "empty: no limit", kind=Kind.NUMBER,
            max_length=9,
        ),
        FieldSpec("start_time", "Start", "empty: now", kind=Kind.DATETIME),
        FieldSpec("end_time", "End", "or a duration below", kind=Kind.DATETIME),
        FieldSpec(
            "duration_minutes", "Duration (min)", "instead of an end", kind=Kind.NUMBER,
            max_length=6,
        ),
        FieldSpec("notes", "Notes", "optional", max_length=4000),
    ]
    return FormSpec(
        title="New release window",
        fields=fields,
        submit_label="Preview",
        validator=rules,
        intro="Nothing is sent yet: the next step shows the exact request.",
    )


def form_inputs(store: Any) -> dict[str, Any]:
    """The form's choices from the store (keypairs, users, teams, releases)."""
    def items(name: str) -> list[Any]:
        return list(store.collection(name).items.values()) if name in store.names else []

    return {
        "keypairs": sorted(items("keypairs"), key=lambda k: (k.alias or k.id).lower()),
        "users": sorted(items("users"), key=lambda u: u.display_name.lower()),
        "teams": items("teams"),
        "releases": items("releases"),
    }
