"""The doctor's offline judgements: which region a host is, how far apart two clocks are,
which proxy a request would take (shown without its password), which API token a key is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.diagnose.clock import check_clock
from stm_tui.diagnose.expiry import check_token_expiry, matching_tokens
from stm_tui.diagnose.regions import region_of
from stm_tui.diagnose.run import check_region, proxy_for

NOW = datetime(2026, 11, 27, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("host", "label", "clientauth"),
    [
        ("clientauth.one.digicert.com", "USA production", True),
        ("one.digicert.com", "USA production", False),
        ("clientauth.demo.one.digicert.com", "USA demo", True),
        ("clientauth.one.ch.digicert.com", "Switzerland production", True),
        ("demo.one.ch.digicert.com", "Switzerland demo", False),
        ("clientauth.one.digicert.co.jp", "Japan production", True),
        ("clientauth.demo.one.nl.digicert.com", "Netherlands demo", True),
        ("CLIENTAUTH.ONE.NL.DIGICERT.COM.", "Netherlands production", True),
        ("127.0.0.1", "loopback emulator", False),
        ("localhost", "loopback emulator", False),
    ],
)
def test_known_hosts_name_their_region_and_environment(
    host: str, label: str, clientauth: bool
) -> None:
    region = region_of(host)
    assert region.known and region.label == label and region.clientauth is clientauth


def test_staging_and_foreign_hosts_are_not_taken_for_a_region() -> None:
    assert not region_of("stage.one.digicert.com").known
    assert "staging" in region_of("stage.one.digicert.com").label
    assert region_of("one.digicert.com.evil.example").label.startswith("unknown host")
    finding = check_region(region_of("stm.corp.example"), "stm.corp.example", client_cert=False)
    assert finding.status == "warn" and "clientauth.one.digicert.com" in (finding.fix or "")


def test_a_client_certificate_on_the_key_only_host_points_at_the_clientauth_host() -> None:
    finding = check_region(region_of("one.digicert.co.jp"), "one.digicert.co.jp", client_cert=True)
    assert finding.status == "warn" and finding.code == 6
    assert finding.fix == (
        "use https://clientauth.one.digicert.co.jp for signing with the client certificate"
    )


def _date(offset_s: float) -> str:
    return format_datetime(NOW + timedelta(seconds=offset_s), usegmt=True)


@pytest.mark.parametrize(
    ("offset", "status", "words"),
    [
        (0, "ok", "agree"),
        (-4, "ok", "agree"),
        (25, "warn", "25 s ahead of"),
        (-45, "warn", "45 s behind"),
        (-300, "fail", "5 min behind"),
        (3 * 3600, "fail", "3.0 h ahead of"),
    ],
)
def test_clock_skew_is_ok_to_10_s_a_warning_to_60_s_then_a_failure(
    offset: float, status: str, words: str
) -> None:
    finding = check_clock(_date(offset), NOW, NOW + timedelta(milliseconds=20))
    assert finding.status == status and words in finding.summary
    assert finding.data["skew_seconds"] == pytest.approx(offset + 0.5, abs=0.1)
    if status != "ok":
        assert finding.code == 7 and "NTP" in (finding.fix or "")


def test_a_missing_or_garbled_date_header_is_a_warning_not_a_guess() -> None:
    assert check_clock(None, NOW, NOW).status == "warn"
    garbled = check_clock("yesterday\x1b[2J", NOW, NOW)
    assert garbled.status == "warn" and "\x1b" not in garbled.summary


def test_the_proxy_is_named_without_its_credentials_and_no_proxy_is_honoured() -> None:
    env = {"HTTPS_PROXY": "http://alice:s3cret@proxy.corp.example:3128", "NO_PROXY": ".internal"}
    shown = proxy_for("https", "clientauth.one.digicert.com", env)
    assert shown == "http://proxy.corp.example:3128"
    assert proxy_for("https", "stm.internal", env) is None
    assert proxy_for("https", "clientauth.one.digicert.com", {}) is None


def _token(name: str, hint: str, end: datetime | None, status: str = "ACTIVE") -> m.ApiToken:
    return m.ApiToken(id=name, name=name, key_hint=hint, end_date=end, status=status)


def test_the_key_is_matched_to_its_token_by_the_servers_hint() -> None:
    key = SecretStr("0123456789abcdef0123456789_feedbeef")
    tokens = [_token("other", "…1234", None), _token("mine", "…beef", NOW + timedelta(days=12))]
    assert [t.name for t in matching_tokens(tokens, key)] == ["mine"]
    finding = check_token_expiry(tokens, api_key=key, user=None, now=NOW, within_days=30)
    assert finding.status == "warn" and finding.code == 8
    assert "'mine'" in finding.summary and "12 days left" in finding.summary
    assert key.get_secret_value() not in repr(finding)


def test_an_expired_token_fails_and_one_without_end_date_is_fine() -> None:
    key = SecretStr("k" * 20 + "beef")
    gone = [_token("mine", "****beef", NOW - timedelta(days=1), "EXPIRED")]
    expired = check_token_expiry(gone, api_key=key, user=None, now=NOW, within_days=30)
    assert expired.status == "fail" and expired.code == 8
    forever = [_token("mine", "…beef", None)]
    finding = check_token_expiry(forever, api_key=key, user=None, now=NOW, within_days=30)
    assert finding.status == "ok" and "no end date" in finding.summary
