"""The detail of each resource, rendered as the pane shows it: one table of what it must say
(and must not) for the cases a user meets."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from rich.console import Console, RenderableType

from stm_tui.api import models as m
from stm_tui.store.store import Store
from stm_tui.views import details as d
from stm_tui.views.rows.base import Context

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def render(renderable: RenderableType, width: int = 100) -> str:
    console = Console(width=width, record=True, file=io.StringIO(), color_system=None)
    console.print(renderable)
    return console.export_text()


def store_with(**collections: list[Any]) -> Store:
    store = Store()
    for name, items in collections.items():
        store.replace_all(name, items)
    return store


SIGNATURES = [
    m.Signature.model_validate({
        "id": f"s{i}", "keypair": {"id": "k1", "alias": "build-key"},
        "release": {"id": "r1", "name": "desktop-5.0"}, "user": {"name": "Ana"},
        "status": "SUCCESS", "created_on": f"2026-11-2{i}T10:00:00Z",
    })
    for i in range(3)
]

Case = tuple[Callable[[Any, Context], RenderableType], dict[str, Any], list[str], list[str]]

CASES: dict[str, Case] = {
    "a keypair with its certificates and recent signatures": (
        d.keypair_detail,
        {"id": "k1", "alias": "build-key", "key_alg": "RSA", "key_size": 3072,
         "key_status": "OFFLINE",
         "limit_by_users": True, "users": [{"name": "Ana"}], "groups": [],
         "certificates": [{"id": "c1", "alias": "build-cert", "certificate_status": "ACTIVE"}]},
        ["build-key", "RSA 3072", "OFFLINE", "1 users, 0 teams", "Certificates (1)",
         "build-cert", "Recent signatures (3)", "Ana"],
        ["no signatures"],
    ),
    "an open keypair without certificates": (
        d.keypair_detail,
        {"alias": "open-key", "limit_by_users": False},
        ["restrictions", "anyone", "Certificates (0)", "none"],
        [],
    ),
    "a revoked certificate": (
        d.certificate_detail,
        {"alias": "old-cert", "certificate_status": "REVOKED", "valid_to": "2027-01-01T00:00:00Z",
         "revoked_on": "2026-11-01T09:30:00Z", "revocation_reason": "keyCompromise"},
        ["old-cert", "REVOKED", "days left", "revoked", "2026-11-01 09:30 UTC keyCompromise"],
        ["expired"],
    ),
    "an expired certificate": (
        d.certificate_detail,
        {"alias": "late-cert", "certificate_status": "EXPIRED", "valid_to": "2026-11-20T12:00:00Z"},
        ["expired", "7 d ago"],
        ["days left"],
    ),
    "a release with its signature log": (
        d.release_detail,
        {"id": "r1", "name": "desktop-5.0", "status": "OPEN", "max_signatures": 10,
         "signature_count": 3,
         "start_time": "2026-11-27T10:00:00Z", "end_time": "2026-11-28T12:00:00Z"},
        ["desktop-5.0", "3/10", "Signature log (3)", "in 24 h", "build-key"],
        ["rejection reason"],
    ),
    "a release nobody signed in": (
        d.release_detail,
        {"id": "r2", "name": "quiet-release", "status": "APPROVED"},
        ["Signature log (0)", "no signatures"],
        [],
    ),
    "a rejected release: the approver's reason, hostile text shown as plain text": (
        d.release_detail,
        {"id": "r3", "name": "late-release", "status": "REJECTED",
         "rejection_reason": "\x1b[2Jscan [bold]missing[/bold]\x07 \u202eevil"},
        ["rejection reason", "␛[2Jscan [bold]missing[/bold]␇ <U+202E>evil"],
        ["\x1b", "\x07", "\u202e"],
    ),
    "a release rejected without a reason": (
        d.release_detail,
        {"id": "r4", "name": "plain-rejected", "status": "REJECTED"},
        ["rejection reason -"],
        [],
    ),
    "a scan whose report is still loading": (
        d.scan_detail,
        {"alias": "app-scan", "status": "FAIL", "risk_level": "HIGH",
         "finding_counts": {"malware": 1}},
        ["app-scan", "malware 1, vulnerabilities 0", "loading the report…"],
        [],
    ),
    "a clean scan report": (
        d.scan_detail,
        {"alias": "clean-scan", "status": "PASS", "findings": []},
        ["no findings"],
        ["loading"],
    ),
    "a scan report grouped worst first": (
        d.scan_detail,
        {"alias": "bad-scan", "status": "FAIL", "findings": [
            {"severity": "LOW", "title": "old zlib", "category": "vulnerabilities"},
            {"severity": "CRITICAL", "title": "trojan", "category": "malware", "path": "a/b.dll"},
            {"severity": "ODD", "title": "unranked"},
        ]},
        ["CRITICAL (1)", "trojan  [malware]", "a/b.dll", "LOW (1)", "ODD (1)"],
        [],
    ),
    "a user with roles and a token": (
        d.user_detail,
        {"name": "ci-bot", "user_type": "service", "end_date": "2026-12-07T12:00:00Z",
         "applications": [{"permissions": ["SIGN_SM_HASH"], "roles": [{"name": "Signer"}]}]},
        ["ci-bot", "service", "Signer", "in 10 d", "Permissions", "SIGN_SM_HASH"],
        [],
    ),
    "a team with a lead": (
        d.team_detail,
        {"name": "Desktop", "members": [
            {"user_id": "u1", "name": "Ana", "is_lead": True, "permissions": {"approve": True}},
        ]},
        ["Desktop", "Members (1)", "Ana"],
        [],
    ),
    "an account whose settings are not visible": (
        d.account_detail,
        {"name": "Acme Labs", "status": "ACTIVE"},
        ["Acme Labs", "settings not loaded (visible for your own account only)"],
        [],
    ),
    "an audit event with structured details": (
        d.audit_detail,
        {"resource_type": "KEYPAIR", "action": "Suspend", "details": {"b": 2, "a": "x"}},
        ["KEYPAIR Suspend", '{"a":"x","b":2}'],
        [],
    ),
}

MODELS: dict[Callable[[Any, Context], RenderableType], type[m.Resource]] = {
    d.keypair_detail: m.Keypair, d.certificate_detail: m.Certificate,
    d.release_detail: m.ReleaseWindow, d.scan_detail: m.Scan, d.user_detail: m.User,
    d.team_detail: m.Team, d.account_detail: m.Account, d.audit_detail: m.AuditEvent,
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_the_detail_says_what_the_case_needs(case: str) -> None:
    detail, raw, present, absent = CASES[case]
    item = MODELS[detail].model_validate({"id": "x1", **raw})
    ctx = Context(store=store_with(signatures=SIGNATURES), now=NOW)
    text = render(detail(item, ctx))
    for wanted in present:
        assert wanted in text, (case, wanted)
    for unwanted in absent:
        assert unwanted not in text, (case, unwanted)


def test_an_items_id_is_shown_whole_and_folds_only_at_its_dashes() -> None:
    ident = "e4264c9f-fade-412d-8725-bd979e289761"
    item = m.Team.model_validate({"id": ident, "name": "t"})
    wide = render(d.team_detail(item, Context(store=Store(), now=NOW)), 100)
    narrow = render(d.team_detail(item, Context(store=Store(), now=NOW)), 30)
    assert ident in wide
    assert ident not in narrow and "e4264c9f-fade-" in narrow  # broken after a dash
