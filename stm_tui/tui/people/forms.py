"""The people-and-access forms: specs for `RequestForm` over the request models.

Roles are offered with what each may do in one line; a service user given Lead gets
DigiCert's advice against it under the field (a warning, not a refusal). E-mails and names
already taken in the store are refused before anything is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import Field

from stm_tui.api.models import (
    CertificateProfile,
    Keypair,
    KeypairProfile,
    ReleaseWindow,
    Team,
    User,
)
from stm_tui.api.writes.teams import MapResources
from stm_tui.api.writes.users import CreateUser
from stm_tui.api.writes.validation import RequestModel
from stm_tui.tui.writes.spec import Choice, FieldSpec, FormSpec, Values
from stm_tui.views.access import AM_ROLES, LEAD, LEAD_FOR_SERVICE, STM_ROLES

ROLE_CHOICES = tuple(Choice(code, f"{name}: {what}") for code, name, what in STM_ROLES) + tuple(
    Choice(code, f"{name} ({what})") for code, name, what in AM_ROLES
)


class CreateServiceUser(CreateUser):
    user_type: Literal["service"] = "service"


class AddMember(RequestModel):
    user_id: str = Field(min_length=1)
    is_lead: bool = False


class RemoveMember(RequestModel):
    user_id: str = Field(min_length=1)


def _user_label(u: User) -> str:
    name = u.display_name
    return f"{name} <{u.email}>" if u.email and u.email != name else name


def user_form(users: Sequence[User]) -> FormSpec:
    emails = {(u.email or "").lower() for u in users if u.user_type != "service"}

    def taken(data: Values) -> dict[str, str]:
        email = data.get("email")
        if isinstance(email, str) and email.lower() in emails:
            return {"email": "a user with this e-mail already exists"}
        return {}

    return FormSpec(
        title="Add a user",
        fields=[
            FieldSpec("email", "E-mail", "their sign-in; the invitation goes there",
                      placeholder="name@example.com", max_length=254),
            FieldSpec("name", "Name", "optional: defaults to the part before @", max_length=128),
            FieldSpec("roles", "Roles", "STM roles, and Account Manager roles for administrators",
                      choices=ROLE_CHOICES),
        ],
        submit_label="Preview",
        validator=taken,
        intro="Nothing is sent yet: the next step shows the exact request.",
    )


def service_user_form(users: Sequence[User]) -> FormSpec:
    names = {(u.friendly_name or "").lower() for u in users if u.friendly_name}

    def checks(data: Values) -> dict[str, str]:
        out: dict[str, str] = {}
        name = data.get("friendly_name")
        if isinstance(name, str) and name.lower() in names:
            out["friendly_name"] = "a service user with this name already exists"
        return out

    return FormSpec(
        title="Add a service user (its API token is shown once)",
        fields=[
            FieldSpec("friendly_name", "Name", "letters, digits, spaces, '-' and '_'; unique",
                      placeholder="ci-release-bot", max_length=64),
            FieldSpec("description", "Description", "what uses it", max_length=1000),
            FieldSpec("email", "Alert e-mail", "optional: where expiry alerts go", max_length=254),
            FieldSpec("end_date", "End date", "optional, YYYY-MM-DD: it stops at 23:59:59 UTC",
                      placeholder="2027-06-30"),
            FieldSpec("roles", "Roles", "not Lead for routine signing: " + LEAD_FOR_SERVICE,
                      choices=ROLE_CHOICES),
        ],
        submit_label="Preview",
        validator=checks,
        intro="A service user cannot sign in to the browser; it is its API token.",
    )


def roles_form(user: User) -> FormSpec:
    hint = "STM roles, and Account Manager roles for administrators"
    if user.user_type == "service":
        hint = "a service user: " + LEAD_FOR_SERVICE
    return FormSpec(
        title=f"Roles of {user.display_name}",
        fields=[FieldSpec("roles", "Roles", hint, choices=ROLE_CHOICES)],
        submit_label="Preview",
        initial={"roles": tuple(user.role_codes)},
    )


def lead_warning_lines(user_type: str | None, roles: Sequence[str]) -> list[str]:
    return [f"warning: {LEAD_FOR_SERVICE}"] if user_type == "service" and LEAD in roles else []


def team_form(teams: Sequence[Team]) -> FormSpec:
    names = {(t.name or "").lower() for t in teams}

    def taken(data: Values) -> dict[str, str]:
        name = data.get("name")
        if isinstance(name, str) and name.strip().lower() in names:
            return {"name": "a team with this name already exists"}
        return {}

    return FormSpec(
        title="New team",
        fields=[
            FieldSpec("name", "Name", "unique in the account", max_length=100),
            FieldSpec("description", "Description", max_length=1000),
        ],
        submit_label="Preview",
        validator=taken,
    )


def add_member_form(team: Team, users: Sequence[User], me_id: str | None) -> FormSpec:
    members = {m.user_id for m in team.members}
    choices = [
        Choice(u.id, _user_label(u))
        for u in sorted(users, key=lambda u: u.display_name.lower())
        if u.id not in members and u.status in (None, "ACTIVE") and u.id != me_id
    ]
    return FormSpec(
        title=f"Add a member to {team.name or team.id}",
        fields=[
            FieldSpec("user_id", "User", "active users who are not members yet (not you: "
                      "nobody changes their own team rights)", choices=choices),
            FieldSpec("is_lead", "Team lead", "on: every one of the nine permissions"),
        ],
        submit_label="Preview",
    )


def remove_member_form(team: Team, me_id: str | None) -> FormSpec:
    choices = [Choice(m.user_id or "", m.name or m.user_id or "?") for m in team.members
               if m.user_id and m.user_id != me_id]
    return FormSpec(
        title=f"Remove a member from {team.name or team.id}",
        fields=[FieldSpec("user_id", "Member", "they lose what the team gave them (not you)",
                          choices=choices)],
        submit_label="Preview",
    )


def map_form(
    team: Team,
    *,
    keypairs: Sequence[Keypair],
    keypair_profiles: Sequence[KeypairProfile],
    certificate_profiles: Sequence[CertificateProfile],
    releases: Sequence[ReleaseWindow],
) -> tuple[FormSpec, dict[str, tuple[str, ...]]]:
    """The form and what is mapped now (each kind changed replaces the server's list)."""
    tid = team.id
    current: dict[str, tuple[str, ...]] = {
        "keypair_profile_ids": tuple(p.id for p in keypair_profiles
                                     if any(t.id == tid for t in p.teams)),
        "certificate_profile_ids": tuple(
            p.id for p in certificate_profiles
            if any(getattr(t, "id", None) == tid or (isinstance(t, dict) and t.get("id") == tid)
                   for t in getattr(p, "teams", None) or [])
        ),
        "keypair_ids": tuple(k.id for k in keypairs if tid in k.team_ids),
        "release_ids": tuple(r.id for r in releases if r.team_id == tid),
    }

    def opts(items: Sequence[Any], label: str) -> list[Choice]:
        return [Choice(i.id, str(getattr(i, label, None) or i.id)) for i in items]

    spec = FormSpec(
        title=f"Resources of team {team.name or team.id}",
        fields=[
            FieldSpec("keypair_profile_ids", "Keypair profiles",
                      choices=opts(keypair_profiles, "name")),
            FieldSpec("certificate_profile_ids", "Certificate profiles",
                      choices=opts(certificate_profiles, "name")),
            FieldSpec("keypair_ids", "Keypairs", choices=opts(keypairs, "alias")),
            FieldSpec("release_ids", "Releases", choices=opts(releases, "name")),
        ],
        submit_label="Preview",
        initial=current,
        intro="Only the kinds you change are sent; certificates: stm-tui team map --certificate",
    )
    return spec, current


def changed_mapping(
    model: MapResources, current: dict[str, tuple[str, ...]]
) -> MapResources | None:
    data = {
        k: getattr(model, k)
        for k in current
        if getattr(model, k) is not None and set(getattr(model, k)) != set(current[k])
    }
    return MapResources(**data) if data else None
