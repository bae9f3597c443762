"""The keypair workflows of the dashboard: generate, update, delete, generate a certificate.

Each one reads what its form offers from the store (profiles, users, teams, aliases in use,
the account setting that requires a keypair profile), opens the form, builds the `WriteCall`
from the validated request model with the same builder the CLI uses, and hands it to
`WriteFlow.confirm` (preview, tier modal, send once). Esc on the preview brings the form back
with what was filled in; Esc on the form ends the workflow with nothing sent.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from stm_tui.api.models import Keypair
from stm_tui.api.writes.call import WriteCall
from stm_tui.api.writes.certificates import GenerateCertificate, generate_certificate
from stm_tui.api.writes.execute import WriteOutcome
from stm_tui.api.writes.keypairs import (
    GenerateKeypair,
    UpdateKeypair,
    delete_keypair,
    generate_keypair,
    update_keypair,
)
from stm_tui.api.writes.validation import M
from stm_tui.store.store import Store
from stm_tui.tui.screens.list_screen import ListScreen
from stm_tui.tui.writes.flow import Flow
from stm_tui.tui.writes.form import RequestForm
from stm_tui.tui.writes.keypair_form import (
    changed_fields,
    generate_certificate_form,
    generate_keypair_form,
    update_keypair_form,
)
from stm_tui.tui.writes.keypair_impact import keypair_delete_impact
from stm_tui.tui.writes.spec import FormSpec


def ask(
    flow: Flow,
    model: type[M],
    spec: FormSpec,
    build: Callable[[M], WriteCall],
    *,
    impact: Sequence[str] = (),
    then: Callable[[WriteOutcome], None] | None = None,
    form_id: str = "write-form",
) -> None:
    """The form, then the preview of the call it builds; Esc on the preview reopens the form
    with the values filled in."""

    def filled(value: M | None) -> None:
        if value is None:
            return
        try:
            call = build(value)
        except ValueError as exc:
            flow.app.notify(f"not sent: {exc}", severity="error", markup=False)
            return
        again = replace(spec, initial={**spec.initial, **value.model_dump()})
        flow.confirm(
            call,
            impact=impact,
            then=then,
            cancelled=lambda: ask(flow, model, again, build, impact=impact, then=then,
                                  form_id=form_id),
        )

    flow.app.push_screen(RequestForm(model, spec, id=form_id), filled)


def select_when_listed(flow: Flow, resource: str, key: str | None) -> None:
    """Put the list's cursor on a new item once its row arrives."""
    if not key:
        return
    screen = flow.app.screen
    if isinstance(screen, ListScreen) and screen.view.resource == resource:
        screen.focus_key_when_listed(key)


def _settings_require_profile(store: Store) -> bool:
    settings = store.collection("account_settings").items.values()
    return any(s.require_keypair_profile for s in settings)


def _active(status: Any) -> bool:
    return status is None or str(status).upper() in ("ACTIVE", "ENABLED")


def _describe(kp: Keypair) -> str:
    detail = kp.curve or (str(kp.key_size) if kp.key_size else "")
    what = " ".join(p for p in (kp.key_alg, detail) if p)
    return f"{kp.alias} ({what}, {kp.key_status})" if what else str(kp.alias)


def generate_keypair_spec(store: Store) -> FormSpec:
    keypairs = store.collection("keypairs").items.values()
    return generate_keypair_form(
        # A profile that is disabled or not active yet would be refused by the service.
        profiles=[p for p in store.collection("keypair_profiles").items.values()
                  if _active(getattr(p, "status", None))],
        certificate_profiles=list(store.collection("certificate_profiles").items.values()),
        users=[u for u in store.collection("users").items.values() if _active(u.status)],
        teams=[t for t in store.collection("teams").items.values() if _active(t.status)],
        keypair_aliases={k.alias: _describe(k) for k in keypairs if k.alias},
        certificate_aliases={
            c.alias for c in store.collection("certificates").items.values() if c.alias
        },
        require_profile=_settings_require_profile(store),
    )


def generate_keypair_workflow(flow: Flow, _item: Any) -> None:
    def then(outcome: WriteOutcome) -> None:
        created = outcome.resource.id if outcome.resource is not None else None
        select_when_listed(flow, "keypairs", created)

    ask(flow, GenerateKeypair, generate_keypair_spec(flow.session.store), generate_keypair,
        then=then, form_id="keypair-generate")


def _alias(kp: Keypair) -> str:
    return kp.alias or kp.id


def update_values(kp: Keypair) -> dict[str, Any]:
    """The keypair as the update form starts: what it is now."""
    default = next((c for c in kp.certificates if c.default_cert), None)
    return {
        "alias": kp.alias,
        "limit_by_users": kp.limit_by_users is not False,
        "users": tuple(u.id for u in kp.users if u.id),
        "groups": tuple(g.id for g in kp.groups if g.id),
        "default_certificate_id": default.id if default is not None else None,
    }


def update_keypair_workflow(flow: Flow, kp: Keypair) -> None:
    store = flow.session.store
    before = update_values(kp)
    certificates = [
        c for c in store.collection("certificates").items.values()
        if c.keypair is not None and c.keypair.id == kp.id
    ] or list(kp.certificates)
    spec = update_keypair_form(
        keypair_alias=_alias(kp),
        current=before,
        certificates=certificates,
        users=[u for u in store.collection("users").items.values() if _active(u.status)],
        teams=[t for t in store.collection("teams").items.values() if _active(t.status)],
        keypair_aliases={
            k.alias: _describe(k) for k in store.collection("keypairs").items.values()
            if k.alias and k.id != kp.id
        },
    )

    def build(req: UpdateKeypair) -> WriteCall:
        # Only what changed is sent: an update of the alias leaves the access lists alone.
        sent = req.model_dump(include=req.model_fields_set)
        changes = UpdateKeypair.model_validate(changed_fields(before, sent))
        return update_keypair(kp.id, _alias(kp), changes)

    ask(flow, UpdateKeypair, spec, build, form_id="keypair-update")


def delete_keypair_workflow(flow: Flow, kp: Keypair) -> None:
    impact = keypair_delete_impact(kp, flow.session.store, flow.session.now())
    flow.confirm(delete_keypair(kp.id, _alias(kp)), impact=impact)


def generate_certificate_workflow(flow: Flow, kp: Keypair) -> None:
    store = flow.session.store
    spec = generate_certificate_form(
        keypair_alias=_alias(kp),
        key_alg=kp.key_alg,
        certificate_profiles=list(store.collection("certificate_profiles").items.values()),
        certificate_aliases={
            c.alias for c in store.collection("certificates").items.values() if c.alias
        },
    )

    def build(req: GenerateCertificate) -> WriteCall:
        return generate_certificate(kp.id, _alias(kp), req)

    ask(flow, GenerateCertificate, spec, build, form_id="certificate-generate")
