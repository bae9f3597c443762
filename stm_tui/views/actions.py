"""Write actions as data: what a list offers on its selected item, and when it may run.

A `WriteAction` is declared once, on its resource's view (`stm_tui.views.resources`). The
dashboard turns it into a key binding, a footer and help entry and a palette command; all of
them ask `availability` the same question, so a disabled action shows the same reason
everywhere. Running one means building its `WriteCall` from the item: the same value the
confirmation previews, the audit file records and the client sends.

Two kinds of action need more than the selected item, and say so with two fields:

- `build=None`: the call is built from what the user fills in. The dashboard runs the
  action's *workflow* instead (`stm_tui.tui.writes.workflows.WORKFLOWS`, keyed by action id:
  a form, then the same preview, confirmation and send as every other write).
- `needs_item=False`: a *create* action. It runs on the list, not on a row: it is offered
  and enabled with nothing selected, and its workflow gets the selected item or None.
  "Generate keypair" is both; other creations (a release, a team, a token) fit the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from stm_tui.api.models import Certificate, Keypair
from stm_tui.api.writes.call import Tier, WriteCall
from stm_tui.api.writes.certificates import (
    RevokeCertificate,
    revoke_certificate,
    set_default_certificate,
)
from stm_tui.api.writes.keypairs import suspend_keypair, unsuspend_keypair
from stm_tui.api.writes.permissions import (
    ACTION_PERMISSIONS,
    Availability,
    action_availability,
)
from stm_tui.views.rows.base import Context

# Why the selected item is not one the action can act on (None: it can).
Applies = Callable[[Any], str | None]
# What else an irreversible action changes, in lines the confirmation lists first.
Impact = Callable[[Any], list[str]]
# For an approval: what is approved, who asked and when, the window, notes (ApprovalInfo's
# fields, as text), from the item and what the store holds; the approval modal shows them.
Approval = Callable[[Any, Context], Mapping[str, str | None]]
# What else the approval reads from the store, as (collection, id): loaded first when the
# store does not hold it yet (an inbox request for a window requested a second ago).
RefersTo = Callable[[Any], tuple[str, str] | None]


def _always(_item: Any) -> str | None:
    return None


def _nothing_else(_item: Any) -> list[str]:
    return []


@dataclass(frozen=True)
class WriteAction:
    id: str  # the `WriteCall.action` it builds ("keypair.suspend"); also its keymap id
    key: str  # default key(s), Textual names ("X", "ctrl+x"); a profile's keymap may change it
    label: str  # footer, help and palette: "Suspend"
    tier: Tier  # how it is confirmed; a test holds it equal to what `build` returns
    # The call for the selected item; None: the action's workflow (tui/writes/workflows.py)
    # or its form plan (tui/writes/form_plans.py) asks for its fields first.
    build: Callable[[Any], WriteCall] | None = None
    applies: Applies = _always
    impact: Impact = _nothing_else
    form: bool = False  # the request is asked in a form (tui/writes/form_plans.py)
    needs_item: bool = True  # False: a create action, run on the list itself
    footer: bool = True  # False: in the help and the palette only (the footer is full)
    approval: Approval | None = None  # required for Tier.APPROVAL
    confirm_label: str | None = None  # the confirm button, when not the tier's own word
    refers_to: RefersTo | None = None

    @property
    def permission(self) -> str | None:
        """The permission the server checks, from the one table the CLI uses too."""
        return ACTION_PERMISSIONS.get(self.id)

    def availability(
        self,
        item: Any | None,
        *,
        permissions: Iterable[str],
        role_codes: Iterable[str],
        read_only: bool,
        write_key: str,
    ) -> Availability:
        """Whether it can run on `item` now, and if not, the reason in words.

        Permission first, then read-only mode (`action_availability`), then the item's own
        state: a Signer is told about the role before being told the keypair is offline.
        """
        general = action_availability(
            self.id,
            permissions=permissions,
            role_codes=role_codes,
            read_only=read_only,
            selected=1 if item is not None or not self.needs_item else 0,
            write_key=write_key,
        )
        if not general or item is None:
            return general
        reason = self.applies(item)
        return Availability(False, reason) if reason else general


# -- the declarations, referenced by the resource views ------------------------------------


def _keypair_alias(kp: Keypair) -> str:
    return kp.alias or kp.id


def _suspended(kp: Any) -> str | None:
    # Suspending sets key_status OFFLINE: there is no separate flag to look at.
    return "already suspended (OFFLINE)" if kp.key_status == "OFFLINE" else None


def _not_suspended(kp: Any) -> str | None:
    return None if kp.key_status == "OFFLINE" else "not suspended (it is ONLINE)"


def _revoked(c: Any) -> str | None:
    return "already revoked" if c.certificate_status == "REVOKED" else None


def _revocation_impact(c: Any) -> list[str]:
    keypair = c.keypair.alias if c.keypair and c.keypair.alias else None
    if keypair is None:
        return []
    return [f"keypair {keypair} can no longer sign with this certificate"]


def _suspend(kp: Keypair) -> WriteCall:
    return suspend_keypair(kp.id, _keypair_alias(kp))


def _unsuspend(kp: Keypair) -> WriteCall:
    return unsuspend_keypair(kp.id, _keypair_alias(kp))


def _revoke(c: Certificate) -> WriteCall:
    # The reason is asked by a form once revocation is wired; "unspecified" until then.
    return revoke_certificate(c.id, c.alias or c.id, RevokeCertificate())


SUSPEND_KEYPAIR = WriteAction(
    "keypair.suspend", "X", "Suspend", Tier.CONFIRM, _suspend, _suspended
)
UNSUSPEND_KEYPAIR = WriteAction(
    "keypair.unsuspend", "U", "Unsuspend", Tier.CONFIRM, _unsuspend, _not_suspended
)
REVOKE_CERTIFICATE = WriteAction(
    "certificate.revoke", "R", "Revoke", Tier.IRREVERSIBLE, _revoke, _revoked,
    _revocation_impact,
)


# -- keypair and certificate workflows (issue 11); the forms are in tui/writes/ -------------


def _not_default_candidate(c: Any) -> str | None:
    if c.certificate_status != "ACTIVE":
        return f"only an ACTIVE certificate can be the default (it is {c.certificate_status})"
    if c.default_cert:
        return "already the keypair's default"
    if c.keypair is None or not c.keypair.id:
        return "its keypair is not known"
    return None


def _set_default(c: Certificate) -> WriteCall:
    kp = c.keypair
    if kp is None or not kp.id:
        raise ValueError("a certificate without its keypair")
    return set_default_certificate(kp.id, kp.alias or kp.id, c.id, c.alias or c.id)


GENERATE_KEYPAIR = WriteAction(
    "keypair.generate", "N", "New keypair", Tier.CONFIRM, needs_item=False
)
UPDATE_KEYPAIR = WriteAction("keypair.update", "m", "Update", Tier.CONFIRM, footer=False)
DELETE_KEYPAIR = WriteAction(
    "keypair.delete", "D", "Delete", Tier.IRREVERSIBLE, footer=False
)
GENERATE_CERTIFICATE = WriteAction(
    "certificate.generate", "A", "New certificate", Tier.CONFIRM, footer=False
)
SET_DEFAULT_CERTIFICATE = WriteAction(
    "certificate.set_default", "F", "Make default", Tier.CONFIRM, _set_default,
    _not_default_candidate, footer=False,
)
