"""The account's two-factor requirement and the caller's authenticator app (Account Manager).

Two-factor sign-in is the `mfaStatus` of the account's standard sign-in method (stm-api.md
N10; the PUT path and body are INFERRED, see docs/api-contract.md). Requiring it changes how
every user of the account signs in, so it is an approval-tier write. Relaxing it is a
step-up operation: with an authenticator enrolled the service asks for a current code.

Enrolling an authenticator is two calls: the start returns the secret once (never recorded:
it is in the answer, which only the enrolment screen reads), the verify sends a code.
"""

from __future__ import annotations

from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api.writes.call import Target, Tier, WriteCall, endpoint


def set_account_mfa(account_id: str, label: str, *, required: bool) -> WriteCall:
    status = "enabled" if required else "disabled"
    if required:
        summary = (
            f"Require two-factor authentication for every user of account {label} "
            "(authenticator code in the browser, client certificate for tools)"
        )
    else:
        summary = f"Stop requiring two-factor authentication in account {label}"
    return WriteCall(
        action="account.mfa_require" if required else "account.mfa_relax",
        summary=summary,
        method="PUT",
        path=endpoint("account", id=account_id),
        body={"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": status}]},
        target=Target("accounts", label, item_id=account_id),
        touches=("accounts", "users"),
        tier=Tier.APPROVAL,
        idempotent=True,
        step_up=not required,
        returns=m.Account,
    )


def start_authenticator() -> WriteCall:
    return WriteCall(
        action="authenticator.start",
        summary="Start enrolling an authenticator app for you (a new secret, shown once)",
        method="POST",
        path=endpoint("authenticator"),
        returns_secret=True,
        touches=("users",),
    )


def verify_authenticator(code: SecretStr) -> WriteCall:
    return WriteCall(
        action="authenticator.verify",
        summary="Complete the authenticator enrolment with a current code",
        method="POST",
        path=endpoint("authenticator_verify"),
        body={"code": code},
        touches=("users",),
    )
