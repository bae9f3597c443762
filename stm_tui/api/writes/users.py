"""Account Manager users: create (standard or service), update (roles, status, end date).

User administration takes an Account Manager role (MANAGE_AM_USER), not an STM one. A service
user's first API token comes back once in the answer (`User.api_token`).
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from stm_tui.api.writes.call import Target, Tier, WriteCall, body_of, endpoint
from stm_tui.api.writes.validation import CredentialName, FreeText, RequestModel

UserStatus = Literal["ACTIVE", "DISABLED"]
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _email(value: str) -> str:
    if not _EMAIL.fullmatch(value):
        raise ValueError("must be an e-mail address such as name@example.com")
    return value


Email = Annotated[str, AfterValidator(_email)]


class CreateUser(RequestModel):
    user_type: Literal["standard", "service"] = "standard"
    email: Email | None = Field(default=None, max_length=254)
    name: FreeText | None = Field(default=None, max_length=128)
    friendly_name: CredentialName | None = None  # a service user's name
    description: FreeText | None = Field(default=None, max_length=1000)
    end_date: date | None = None
    account_ids: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()

    def problems(self) -> dict[str, str]:
        if self.user_type == "service" and self.friendly_name is None:
            return {"friendly_name": "required for a service user"}
        if self.user_type == "standard" and self.email is None:
            return {"email": "required for a standard user"}
        return {}

    @property
    def label(self) -> str:
        return self.friendly_name or self.email or self.name or "new user"


class UpdateUser(RequestModel):
    status: UserStatus | None = None
    roles: tuple[str, ...] | None = None
    description: FreeText | None = Field(default=None, max_length=1000)
    end_date: date | None = None

    def problems(self) -> dict[str, str]:
        return {} if self.model_fields_set else {"_": "nothing to change"}


def create_user(req: CreateUser) -> WriteCall:
    kind = "service user" if req.user_type == "service" else "user"
    roles = f" with {', '.join(req.roles)}" if req.roles else ""
    lookup = {"friendly_name": req.friendly_name} if req.friendly_name else {}
    if req.email and not lookup:
        lookup = {"email": req.email}
    return WriteCall(
        action="user.create",
        summary=f"Create {kind} {req.label}{roles}",
        method="POST",
        path=endpoint("users"),
        body=body_of(req),
        target=Target("users", req.label, lookup=lookup),
        touches=("users",),
        returns_secret=req.user_type == "service",
    )


def update_user(user_id: str, label: str, req: UpdateUser) -> WriteCall:
    changes = ", ".join(sorted(req.model_fields_set)) or "nothing"
    return WriteCall(
        action="user.update",
        summary=f"Update user {label} ({changes})",
        method="PUT",
        path=endpoint("user", id=user_id),
        body=body_of(req, only=req.model_fields_set),
        target=Target("users", label, item_id=user_id),
        touches=("users",),
        idempotent=True,
    )


def set_roles(user_id: str, label: str, roles: tuple[str, ...]) -> WriteCall:
    """Replace a user's roles (STM and Account Manager alike)."""
    call = update_user(user_id, label, UpdateUser(roles=roles))
    return replace(
        call,
        action="user.roles",
        summary=f"Set the roles of {label} to {', '.join(roles) or 'none'}",
    )


def deactivate_user(user_id: str, label: str) -> WriteCall:
    """Deactivation cannot be undone: the user's API tokens and client certificates are
    revoked at once, and a deactivated user is never active again."""
    call = update_user(user_id, label, UpdateUser(status="DISABLED"))
    return replace(
        call,
        action="user.deactivate",
        summary=f"Deactivate user {label}: their API tokens and client certificates are "
        "revoked (cannot be undone)",
        touches=("users", "api_tokens", "client_certificates", "teams"),
        tier=Tier.IRREVERSIBLE,
        confirm_text=label,
        step_up=True,
    )
