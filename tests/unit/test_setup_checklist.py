"""The setup checklist's steps, judged on small hand-made inputs (no server, no terminal)."""

from __future__ import annotations

from typing import Any

import pytest

from stm_tui.api import models as m
from stm_tui.views import setup_checklist as sc

MFA_ON = [{"signInMethod": "standard", "status": "enabled", "mfaStatus": "enabled"}]
MFA_OFF = [{"signInMethod": "standard", "status": "enabled", "mfaStatus": "disabled"}]


def user(name: str, *roles: str, kind: str = "standard", enrolled: bool | None = True) -> m.User:
    data: dict[str, Any] = {
        "id": name, "name": name, "status": "ACTIVE", "user_type": kind,
        "applications": [{"roles": [{"code": r} for r in roles]}],
    }
    if enrolled is not None:
        data["authenticator_enrolled"] = enrolled
    return m.User.model_validate(data)


def account(methods: list[dict[str, str]]) -> m.Account:
    return m.Account.model_validate({"id": "a1", "name": "Acme", "sign_in_methods": methods})


def settings(**kw: Any) -> m.AccountSettings:
    return m.AccountSettings.model_validate({"account": {"id": "a1", "name": "Acme"}, **kw})


KEYPAIR = m.Keypair.model_validate({"id": "k1", "alias": "build-key", "key_status": "ONLINE"})
CERT = m.Certificate.model_validate(
    {"id": "c1", "certificate_status": "ACTIVE", "keypair": {"id": "k1"}}
)
READY = sc.Inputs(
    account=account(MFA_ON),
    settings=settings(
        require_keypair_profile=False,
        certcentral={"configured": True, "enabled": True, "connected": True, "region": "EUROPE",
                     "api_key_hint": "…b3f9"},
    ),
    users=[user("Dana", "SSM_LEAD"), user("Tomas", "SSM_SIGNER")],
    teams=[m.Team.model_validate({"id": "t1", "name": "Desktop", "status": "ACTIVE"})],
    keypair_profiles=[m.KeypairProfile.model_validate({"id": "p1", "name": "rsa",
                                                       "status": "ACTIVE"})],
    keypairs=[KEYPAIR],
    certificate_profiles=[m.CertificateProfile.model_validate({"id": "cp", "name": "private",
                                                               "status": "ACTIVE"})],
    certificates=[CERT],
    releases=[m.ReleaseWindow.model_validate({"id": "r1", "status": "OPEN"})],
    scans=[m.Scan.model_validate({"id": "s1", "status": "PASS"})],
)


def judged(inputs: sc.Inputs, step: str) -> sc.Result:
    return next(r for r in sc.evaluate(inputs) if r.step.id == step)


def with_(**changes: Any) -> sc.Inputs:
    fields = {k: getattr(READY, k) for k in READY.__dataclass_fields__}
    return sc.Inputs(**{**fields, **changes})


def test_a_ready_account_has_every_step_done_in_the_guides_order() -> None:
    results = sc.evaluate(READY)
    assert [r.step.id for r in results] == [
        "two_factor", "users_roles", "team", "keypair_profile", "keypair", "certcentral",
        "certificate_profile", "certificate", "release_window", "threat_detection",
    ]
    assert {r.state for r in results} == {sc.State.DONE}
    assert sc.blocking(results) == []
    assert judged(READY, "certcentral").reason == "connected (CertCentral Europe, key …b3f9)"


@pytest.mark.parametrize(
    "step, changes, state, reason",
    [
        ("two_factor", {"account": account(MFA_OFF)}, sc.State.TODO, "not required for Acme"),
        (
            "two_factor",
            {"users": [user("Omar", "SSM_DEVELOPER", enrolled=False),
                       user("Sofia", "SSM_DEVELOPER", enrolled=False), user("Tomas")]},
            sc.State.TODO,
            "2 users have no authenticator: Omar, Sofia",
        ),
        # A service user authenticates with its token and certificate: no authenticator.
        ("two_factor", {"users": [user("bot", "SSM_SIGNER", kind="service", enrolled=False)]},
         sc.State.DONE, "required for Acme; every user has an authenticator"),
        ("users_roles", {"users": [user("Dana", "SSM_LEAD")]}, sc.State.TODO,
         "no user has the Signer role"),
        (
            "users_roles",
            {"users": [user("Tomas", "SSM_SIGNER"), user("ci-bot", "SSM_LEAD", kind="service")]},
            sc.State.TODO,
            "service user ci-bot has the Lead role (never for routine signing)",
        ),
        ("team", {"teams": []}, sc.State.OPTIONAL, "no team yet"),
        ("keypair_profile", {"keypair_profiles": []}, sc.State.OPTIONAL,
         "no active keypair profile"),
        (
            "keypair_profile",
            {"keypair_profiles": [], "settings": settings(require_keypair_profile=True)},
            sc.State.TODO,
            "the account requires a keypair profile, but none is active",
        ),
        ("keypair", {"keypairs": [], "certificates": []}, sc.State.TODO, "no keypair yet"),
        ("certcentral", {"settings": settings(certcentral={"configured": False})},
         sc.State.OPTIONAL, "not set up (needed only for public certificates)"),
        (
            "certcentral",
            {"settings": settings(certcentral={"configured": True, "connected": False,
                                               "connection_error": "key refused"})},
            sc.State.OPTIONAL,
            "set up but not connected: key refused",
        ),
        ("certificate_profile", {"certificate_profiles": [m.CertificateProfile.model_validate(
            {"id": "cp", "name": "x", "status": "DISABLED"})]}, sc.State.TODO,
         "no active certificate profile"),
        ("certificate", {"certificates": []}, sc.State.TODO,
         "no active certificate on keypair build-key"),
        ("release_window", {"releases": [m.ReleaseWindow.model_validate(
            {"id": "r", "status": "PENDING_APPROVAL"})]}, sc.State.TODO,
         "1 window waiting for approval, none approved yet"),
        ("threat_detection", {"scans": []}, sc.State.TODO, "no scan yet"),
        ("keypair", {"unreadable": frozenset({"keypairs"})}, sc.State.UNKNOWN,
         "could not read keypairs"),
    ],
)
def test_each_step_says_why_it_is_not_done(
    step: str, changes: dict[str, Any], state: sc.State, reason: str
) -> None:
    result = judged(with_(**changes), step)
    assert result.state is state
    assert result.reason.startswith(reason), result.reason
    assert result.blocking is (result.step.required and state in (sc.State.TODO,
                                                                   sc.State.UNKNOWN))


def test_optional_steps_never_block_and_required_ones_do() -> None:
    bare = sc.Inputs()
    results = sc.evaluate(bare)
    blocking = {r.step.id for r in sc.blocking(results)}
    assert blocking == {s.id for s in sc.STEPS if s.required}
    assert {r.step.id for r in results if r.state is sc.State.OPTIONAL} == {
        "team", "keypair_profile", "certcentral",
    }


def test_server_names_in_reasons_are_cleaned() -> None:
    hostile = user("Eve\x1b[2J", "SSM_DEVELOPER", enrolled=False)
    reason = judged(with_(users=[hostile, user("Tomas", "SSM_SIGNER")]), "two_factor").reason
    assert "\x1b" not in reason and "Eve" in reason


def test_every_step_has_one_workflow_and_the_collections_it_reads() -> None:
    assert set(sc.WORKFLOWS) == set(sc.NEEDS) == {s.id for s in sc.STEPS}
