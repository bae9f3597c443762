"""What the Overview says needs attention, item by item: one table per kind of line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stm_tui.api import models as m
from stm_tui.api.resources import ResourceName
from stm_tui.store.store import Freshness, Status, Store
from stm_tui.views import triage

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


MODELS: dict[str, type[m.Resource]] = {
    "certificates": m.Certificate, "releases": m.ReleaseWindow, "scans": m.Scan,
    "keypairs": m.Keypair, "users": m.User,
}


def iso(delta: timedelta) -> str:
    return (NOW + delta).isoformat().replace("+00:00", "Z")


def days(n: float) -> timedelta:
    return timedelta(days=n)


def lines(resource: str, raw: dict[str, Any], reports: dict[str, m.Scan] | None = None) -> list[
    tuple[str, int]
]:
    """(urgency label, rank) of the lines one item yields."""
    model = MODELS[resource]
    item = model.model_validate({"id": "x1", **raw})
    return [(a.urgency.plain, a.rank) for a in triage.attention_for(resource, [item], NOW,
                                                                     reports or {})]


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"valid_to": iso(days(3.5))}, [("≤7 d", 1)]),
        ({"valid_to": iso(days(20.5))}, [("≤30 d", 3)]),
        ({"valid_to": iso(days(89.5))}, [("≤90 d", 5)]),
        ({"valid_to": iso(days(120))}, []),  # later: not yet a concern
        ({"valid_to": iso(days(-10))}, [("EXPIRED", 0)]),
        ({"valid_to": iso(days(-100))}, []),  # long expired: history, not a task
        ({"valid_to": iso(days(3.5)), "certificate_status": "REVOKED"}, []),
        ({}, []),  # no expiry known
    ],
)
def test_certificates_by_time_left(raw: dict[str, Any], expected: list[tuple[str, int]]) -> None:
    assert lines("certificates", raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"status": "OPEN", "end_time": iso(days(1))}, [("OPEN", 2)]),
        ({"status": "APPROVED", "start_time": iso(days(3))}, [("SOON", 4)]),
        ({"status": "PENDING_APPROVAL", "start_time": iso(days(3))}, [("SOON", 4)]),
        ({"status": "APPROVED", "start_time": iso(days(10))}, []),  # beyond a week
        ({"status": "APPROVED", "start_time": iso(days(-1))}, []),  # should have opened
        ({"status": "CLOSED", "end_time": iso(days(-1))}, []),
    ],
)
def test_releases_open_or_opening_within_a_week(
    raw: dict[str, Any], expected: list[tuple[str, int]]
) -> None:
    assert lines("releases", raw) == expected


def test_a_release_waiting_for_approval_says_so() -> None:
    item = m.ReleaseWindow.model_validate(
        {"id": "r1", "status": "PENDING_APPROVAL", "start_time": iso(days(2)), "max_signatures": 9}
    )
    (line,) = triage.releases([item], NOW)
    assert line.detail.plain == "opens in 2 d · max 9 · needs approval"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"status": "FAIL", "risk_level": "CRITICAL"}, [("CRITICAL", 1)]),
        ({"status": "FAIL", "risk_level": "HIGH"}, [("HIGH", 1)]),
        ({"status": "FAIL", "risk_level": "MEDIUM"}, [("MEDIUM", 3)]),
        ({"status": "FAIL"}, [("FAIL", 3)]),  # no risk level given
        ({"status": "PASS", "risk_level": "HIGH"}, []),
        # A deleted scan stays listed by the service, flagged; it needs nobody's attention.
        ({"status": "FAIL", "risk_level": "CRITICAL", "deleted": True}, []),
    ],
)
def test_failed_scans_ranked_by_risk(raw: dict[str, Any], expected: list[tuple[str, int]]) -> None:
    assert lines("scans", raw) == expected


@pytest.mark.parametrize(
    "report, counts, detail",
    [
        (None, {"malware": 2, "secrets": 0}, "failed · 2 malware"),
        (None, {}, "failed · no details"),
        (
            [{"severity": "LOW", "title": "old zlib"}, {"severity": "CRITICAL", "title": "trojan"}],
            {"malware": 1},
            "failed · CRITICAL: trojan",  # the worst finding of the full report
        ),
    ],
)
def test_a_failed_scan_names_its_worst_finding_once_the_report_is_in(
    report: list[dict[str, str]] | None, counts: dict[str, int], detail: str
) -> None:
    scan = m.Scan.model_validate({"id": "s1", "status": "FAIL", "finding_counts": counts})
    reports = {} if report is None else {"s1": scan.model_copy(update={
        "findings": [m.Finding.model_validate(x) for x in report]
    })}
    (line,) = triage.scans([scan], reports, NOW)
    assert line.detail.plain == detail


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"key_status": "ONLINE", "number_of_active_certificates": 0}, [("NO CERT", 6)]),
        ({"key_status": "ONLINE", "number_of_active_certificates": 1}, []),
        ({"key_status": "OFFLINE", "number_of_active_certificates": 0}, []),  # parked
        # Without the count, the embedded certificates decide.
        ({"key_status": "ONLINE", "certificates": [{"id": "c", "certificate_status": "EXPIRED"}]},
         [("NO CERT", 6)]),
    ],
)
def test_keypairs_without_an_active_certificate(
    raw: dict[str, Any], expected: list[tuple[str, int]]
) -> None:
    assert lines("keypairs", raw) == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ({"user_type": "service", "end_date": iso(days(5.5))}, [("token 5 d", 2)]),
        ({"user_type": "service", "end_date": iso(days(20.5))}, [("token 20 d", 4)]),
        ({"user_type": "service", "end_date": iso(days(45))}, []),
        ({"user_type": "service", "end_date": iso(days(-2))}, [("EXPIRED", 0)]),
        ({"user_type": "service", "end_date": iso(days(5)), "status": "DISABLED"}, []),
        ({"user_type": "standard", "end_date": iso(days(5))}, []),
    ],
)
def test_service_user_tokens_running_out(
    raw: dict[str, Any], expected: list[tuple[str, int]]
) -> None:
    assert lines("users", raw) == expected


def test_triage_updates_only_the_items_it_is_told_about() -> None:
    store = Store(resources=("certificates",))
    soon = m.Certificate.model_validate({"id": "c1", "alias": "a", "valid_to": iso(days(3))})
    store.replace_all("certificates", [soon])
    held = triage.Triage()
    assert held.refresh(store, NOW, {}, "certificates") == {"certificates:c1"}
    later = soon.model_copy(update={"certificate_status": "REVOKED"})
    store.upsert("certificates", [later])
    assert held.refresh(store, NOW, {}, "certificates", ["c1"]) == {"certificates:c1"}
    assert held.get("certificates:c1") is None and held.counts() == {
        kind: 0 for kind in triage.TRIAGED.values()
    }


def status(resource: ResourceName, *, ok: bool = False, error: str | None = None) -> Status:
    return Status(resource=resource, state=Freshness.FRESH if ok else Freshness.ERROR,
                  interval=30, last_ok=NOW if ok else None, error_kind=error)


@pytest.mark.parametrize(
    "counts, missing, summary",
    [
        ({}, {}, "nothing needs attention right now"),
        ({"certificate": 2, "scan": 1}, {}, "2 certs expiring · 1 failed scans"),
        ({}, {"scans": "no permission"}, "✖ not loaded: scans (no permission)"),
        (
            {"release": 1},
            {"scans": "no permission", "certificates": "loading"},
            "1 releases open/soon · ✖ not loaded: scans (no permission) · ◌ loading: certificates",
        ),
    ],
)
def test_the_summary_never_reads_as_an_all_clear_while_data_is_missing(
    counts: dict[str, int], missing: dict[str, str], summary: str
) -> None:
    assert triage.summary_of(counts, missing).plain == summary


def test_unloaded_names_why_each_collection_never_loaded() -> None:
    statuses = [
        status("certificates", ok=True),
        status("scans", error="permission"),
        status("releases", error="bad_response"),
        Status(resource="users", state=Freshness.LOADING, interval=30),
    ]
    assert triage.unloaded(statuses) == {
        "scans": "no permission", "releases": "bad response", "users": "loading"
    }
