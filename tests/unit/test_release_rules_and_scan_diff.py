"""The guard rails of a new release window and the comparison of two scans, as pure
functions (the form, the CLI and the compare view share them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from stm_tui.api import models as m
from stm_tui.api.writes.release_rules import guard_rails, signing_certificate
from stm_tui.views.scan_diff import diff_scans

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def keypair(kid: str, *certs: dict[str, Any]) -> m.Keypair:
    return m.Keypair.model_validate({"id": kid, "alias": f"{kid}-key", "certificates": certs})


def cert(valid_to: datetime, *, status: str = "ACTIVE", default: bool = True,
         cid: str = "c") -> dict[str, Any]:
    return {"id": cid, "alias": f"{cid}-cert", "certificate_status": status,
            "valid_to": valid_to.isoformat(), "default_cert": default}


def window(name: str, status: str, kid: str, start: datetime, end: datetime) -> m.ReleaseWindow:
    return m.ReleaseWindow.model_validate({
        "id": name, "name": name, "status": status, "keypairs": [{"id": kid}],
        "start_time": start.isoformat(), "end_time": end.isoformat(),
    })


def rails(kps: list[m.Keypair], releases: list[m.ReleaseWindow] = (),  # type: ignore[assignment]
          **data: Any) -> dict[str, str]:
    data.setdefault("keypair_ids", tuple(k.id for k in kps))
    return guard_rails(data, keypairs={k.id: k for k in kps}, releases=releases, now=NOW)


def test_a_keypair_with_a_long_lived_certificate_passes() -> None:
    kp = keypair("k1", cert(NOW + timedelta(days=300)))
    assert rails([kp], duration_minutes=60) == {}


def test_a_certificate_ending_inside_the_window_is_named_with_its_date() -> None:
    kp = keypair("k1", cert(NOW + timedelta(hours=5)))
    assert rails([kp], duration_minutes=60) == {}
    message = rails([kp], duration_minutes=600)["keypair_ids"]
    assert "k1-key: its default certificate expires 2026-11-27 17:00 UTC" in message


def test_without_an_active_certificate_the_keypair_is_refused() -> None:
    revoked = keypair("k1", cert(NOW + timedelta(days=30), status="REVOKED"))
    expired = keypair("k2", cert(NOW - timedelta(days=1), status="ACTIVE"))
    message = rails([revoked, expired], duration_minutes=60)["keypair_ids"]
    assert "k1-key has no active certificate" in message
    assert "k2-key has no active certificate" in message


def test_the_default_certificate_is_the_one_that_signs() -> None:
    kp = keypair(
        "k1",
        cert(NOW + timedelta(days=400), default=False, cid="newer"),
        cert(NOW + timedelta(days=2), default=True, cid="default"),
    )
    chosen = signing_certificate(kp, NOW)
    assert chosen is not None and chosen.id == "default"


def test_a_keypair_in_an_overlapping_live_window_is_refused_and_not_otherwise() -> None:
    kp = keypair("k1", cert(NOW + timedelta(days=300)))
    other = window("busy", "OPEN", "k1", NOW - timedelta(hours=1), NOW + timedelta(hours=2))
    assert "already in the open window busy" in rails([kp], [other], duration_minutes=60)[
        "keypair_ids"
    ]
    later = (NOW + timedelta(hours=3)).isoformat()
    assert rails([kp], [other], start_time=later, duration_minutes=60) == {}
    closed = window("done", "CLOSED", "k1", NOW - timedelta(hours=1), NOW + timedelta(hours=2))
    assert rails([kp], [closed], duration_minutes=60) == {}


def test_start_in_the_past_and_a_zero_maximum() -> None:
    kp = keypair("k1", cert(NOW + timedelta(days=300)))
    found = rails([kp], start_time=(NOW - timedelta(hours=1)).isoformat(), duration_minutes=60,
                  max_signatures=0)
    assert set(found) == {"start_time", "max_signatures"}
    assert rails([kp], start_time=(NOW - timedelta(minutes=4)).isoformat(),
                 duration_minutes=60) == {}  # within the 5 minutes' grace


def scan(sid: str, *findings: dict[str, Any]) -> m.Scan:
    return m.Scan.model_validate({"id": sid, "alias": sid, "findings": list(findings)})


def test_diff_matches_findings_by_what_they_are_not_by_id_or_offset() -> None:
    eicar = {"category": "malware", "severity": "CRITICAL", "title": "EICAR test file"}
    zlib = {"category": "vulnerabilities", "severity": "HIGH", "title": "zlib", "cve": "CVE-1"}
    log4j = {"category": "vulnerabilities", "severity": "CRITICAL", "title": "log4j"}
    before = scan("a", {**eicar, "id": "1"}, {**zlib, "id": "2"})
    after = scan("b", {**zlib, "id": "9"}, {**log4j, "id": "8"})
    result = diff_scans(before, after)
    assert [f.title for f in result.added] == ["log4j"]
    assert [f.title for f in result.removed] == ["EICAR test file"]
    assert result.kept == 1


def test_diff_counts_a_repeated_finding_once_per_copy() -> None:
    secret = {"category": "secrets", "severity": "HIGH", "title": "AWS key"}
    result = diff_scans(scan("a", secret), scan("b", secret, secret))
    assert len(result.added) == 1 and result.removed == [] and result.kept == 1


def test_a_fingerprint_decides_when_the_service_gives_one() -> None:
    one = {"category": "secrets", "severity": "HIGH", "title": "key", "fingerprint": "f1"}
    renamed = {**one, "title": "key (renamed)"}
    other = {**one, "fingerprint": "f2"}
    assert diff_scans(scan("a", one), scan("b", renamed)).added == []
    assert len(diff_scans(scan("a", one), scan("b", other)).added) == 1
