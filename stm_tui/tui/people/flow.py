"""From a built call to a sent one, for the people-and-access screens: the confirmation of
its tier (an approval lists who is affected), the step-up code when the service will ask for
one, then `WriteFlow.perform`.

Step-up: with the account requiring 2FA and an authenticator enrolled, deactivating a user,
revoking a credential and relaxing the requirement need a current code. `SM_TOTP_SECRET`
makes it without asking (on the session's clock, never the same step twice); otherwise a
masked six-digit prompt asks, and the code goes into that one request's header only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from pydantic import SecretStr
from textual.app import App

from stm_tui.api.models import Account, User
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.step_up import StepUpUnavailable, secret_from_env
from stm_tui.totp import TotpSigner
from stm_tui.tui.people.code_prompt import CodePrompt
from stm_tui.tui.write_flow import WriteFlow
from stm_tui.tui.writes.confirm import ApprovalInfo, ApprovalScreen, confirmation_for
from stm_tui.views import format as f

Then = Callable[[WriteOutcome], None]

# One signer per process: the step it last used must survive between writes.
_SIGNERS: dict[str, TotpSigner] = {}


def flow_of(app: App[Any]) -> WriteFlow:
    writes = getattr(app, "writes", None)
    if not isinstance(writes, WriteFlow):
        raise RuntimeError("the application has no write flow")
    return writes


def me_of(app: App[Any]) -> User | None:
    me = flow_of(app).session.me
    return me if isinstance(me, User) else None


def my_account(app: App[Any]) -> Account | None:
    session = flow_of(app).session
    me = me_of(app)
    if me is None or not me.primary_account_id:
        return None
    held = session.store.collection("accounts").get(me.primary_account_id)
    return held if isinstance(held, Account) else None


def step_up_needed(app: App[Any], call: WriteCall) -> bool:
    """Whether the service will ask for a code: a step-up call, the account requiring 2FA,
    and an authenticator enrolled for the caller (otherwise there is nothing to ask)."""
    if not call.step_up:
        return False
    account = my_account(app)
    me = me_of(app)
    return bool(
        account is not None
        and account.mfa_required
        and me is not None
        and (me.authenticator_enrolled or me.two_factor_enabled)
    )


def where(app: App[Any]) -> str | None:
    identity = flow_of(app).session.identity
    return f"{identity.host} · account {identity.account_name}" if identity else None


def send(
    app: App[Any],
    call: WriteCall,
    *,
    impact: Sequence[str] = (),
    affects: Sequence[str] = (),
    approval_what: str | None = None,
    then: Then | None = None,
) -> None:
    """Confirm `call` (its tier's modal), add a step-up code if needed, then perform it."""
    flow = flow_of(app)
    if call.tier is Tier.APPROVAL:
        identity = flow.session.identity
        modal: Any = ApprovalScreen(
            call,
            ApprovalInfo(
                what=approval_what or call.summary,
                requested_by=identity.user_name if identity else "you",
                requested_at=f.dt(flow.session.now()),
            ),
            affects=affects,
            where=where(app),
            confirm_label="Approve and send",
        )
    else:
        modal = confirmation_for(call, impact=impact, affects=affects, where=where(app))

    def confirmed(yes: bool | None) -> None:
        if yes:
            with_code(app, call, lambda ready: flow.perform(ready, then))

    app.push_screen(modal, confirmed)


def with_code(app: App[Any], call: WriteCall, go: Callable[[WriteCall], None]) -> None:
    if not step_up_needed(app, call):
        go(call)
        return
    try:
        secret = secret_from_env()
    except StepUpUnavailable as exc:
        app.notify(f"not sent: {exc}", severity="error", markup=False)
        return
    if secret is not None:
        session = flow_of(app).session
        key = "env"
        signer = _SIGNERS.get(key)
        if signer is None or signer.secret.get_secret_value() != secret.get_secret_value():
            signer = TotpSigner(secret, clock=lambda: session.now().timestamp())
            _SIGNERS[key] = signer
        wait = signer.wait_needed()
        if wait > 0:
            app.notify(
                f"the last code's time step was used: send again in {wait:.0f} s",
                severity="warning",
            )
            return
        go(call.with_code(SecretStr(signer.next_code())))
        return

    def entered(code: SecretStr | None) -> None:
        if code is not None:
            go(call.with_code(code))

    app.push_screen(CodePrompt(call.summary), entered)
