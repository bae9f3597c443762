"""Authenticator enrolment (TOTP), the step-up code and the users' 2FA readiness (issue 12).

The emulator's clock is frozen in these tests, so codes are computed with pyotp for that
instant; the `Date` header carries the same clock."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import httpx
import pyotp

from stm_tui.emulator.server import EmulatorServer
from tests.conftest import AM, FROZEN_NOW, STM, api_client

# Full-width digits U+FF10-U+FF19, which NFKC maps to 0-9.
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))


def code_at(secret: str, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(FROZEN_NOW + timedelta(seconds=30 * offset_steps))


def enrol_start(c: httpx.Client) -> dict[str, object]:
    r = c.post(f"{AM}/user/me/authenticator")
    assert r.status_code == 201, r.text
    return dict(r.json())


def test_enrolment_issues_a_secret_once_and_a_current_code_completes_it(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead:
        assert lead.delete(f"{AM}/user/me/authenticator").status_code == 204  # seeded one
        started = enrol_start(lead)
        secret = str(started["secret"])
        assert started["status"] == "PENDING"
        uri = str(started["otpauth_uri"])
        assert uri.startswith("otpauth://totp/") and f"secret={secret}" in uri
        assert pyotp.parse_uri(uri).secret == secret
        shown = lead.get(f"{AM}/user/me/authenticator").json()
        assert shown["status"] == "PENDING" and secret not in str(shown)
        wrong = lead.post(f"{AM}/user/me/authenticator/verify", json={"code": "000000"})
        if code_at(secret) == "000000":  # one chance in a million: pick another wrong code
            wrong = lead.post(f"{AM}/user/me/authenticator/verify", json={"code": "111111"})
        assert (
            wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "invalid_input_field"
        )
        ok = lead.post(f"{AM}/user/me/authenticator/verify", json={"code": code_at(secret, -1)})
        assert ok.status_code == 200 and ok.json()["status"] == "ENROLLED"
        me = lead.get(f"{AM}/user/me").json()
    assert me["authenticator_enrolled"] is True and me["two_factor_ready"] is True
    assert secret not in str(me)


def test_a_used_time_step_is_never_accepted_again_even_in_full_width_digits(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator, "developer") as dev:
        dev.delete(f"{AM}/user/me/authenticator")
        secret = str(enrol_start(dev)["secret"])
        code = code_at(secret)
        assert (
            dev.post(f"{AM}/user/me/authenticator/verify", json={"code": code}).status_code == 200
        )
        dev.delete(f"{AM}/user/me/authenticator")  # 2FA not required: no step-up code asked
        secret2 = str(enrol_start(dev)["secret"])
        # A code two steps ahead is outside the +-1 window.
        far = dev.post(f"{AM}/user/me/authenticator/verify", json={"code": code_at(secret2, 2)})
        assert far.status_code == 422
        fresh = code_at(secret2, 1)
        wide = fresh.translate(FULL_WIDTH)
        assert (
            dev.post(f"{AM}/user/me/authenticator/verify", json={"code": wide}).status_code == 200
        )

    # Step-up replays: the same step in ASCII, then in full-width digits, is refused.
    with api_client(fresh_emulator) as lead:
        account = lead.get(f"{AM}/user/me").json()["primary_account_id"]
        secret = fresh_emulator.credentials["users"]["lead"]["totp_secret"]
        on = {"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": "enabled"}]}
        off = {"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": "disabled"}]}
        assert lead.put(f"{AM}/account/{account}", json=on).status_code == 200
        code = code_at(secret)
        first = lead.put(f"{AM}/account/{account}", json=off, headers={"x-totp-code": code})
        assert first.status_code == 200
        lead.put(f"{AM}/account/{account}", json=on)
        again = lead.put(f"{AM}/account/{account}", json=off, headers={"x-totp-code": code})
        wide_reply = lead.put(
            f"{AM}/account/{account}",
            json=off,
            headers=[(b"x-totp-code", code.translate(FULL_WIDTH).encode())],
        )
    assert again.status_code == 401 and again.json()["errors"][0]["code"] == "totp_invalid"
    assert "already used" in again.json()["errors"][0]["message"]
    assert (
        wide_reply.status_code == 401
        and "already used" in wide_reply.json()["errors"][0]["message"]
    )


def test_sensitive_operations_ask_for_a_code_when_the_account_requires_2fa(
    fresh_emulator: EmulatorServer,
) -> None:
    secret = fresh_emulator.credentials["users"]["lead"]["totp_secret"]
    with api_client(fresh_emulator) as lead:
        account = lead.get(f"{AM}/user/me").json()["primary_account_id"]
        users = {u["name"]: u for u in lead.get(f"{AM}/user").json()}
        omar = users["Omar Haddad"]["id"]
        # Without the account requirement, no code is asked.
        token = lead.post(f"{AM}/api-token", json={"name": "step-up probe"}).json()
        assert lead.delete(f"{AM}/api-token/{token['id']}").status_code == 204
        on = {"sign_in_methods": [{"signInMethod": "standard", "mfaStatus": "enabled"}]}
        assert lead.put(f"{AM}/account/{account}", json=on).status_code == 200
        asked = lead.put(f"{AM}/user/{omar}", json={"status": "DISABLED"})
        still = lead.get(f"{AM}/user/{omar}").json()
        token = lead.post(f"{AM}/api-token", json={"name": "step-up probe 2"}).json()
        revoke = lead.delete(f"{AM}/api-token/{token['id']}")
        done = lead.put(
            f"{AM}/user/{omar}",
            json={"status": "DISABLED"},
            headers={"x-totp-code": code_at(secret)},
        )
    assert asked.status_code == 401
    error = asked.json()["errors"][0]
    assert error["code"] == "totp_required" and "x-totp-code" in error["message"]
    assert still["status"] == "ACTIVE"  # nothing changed
    assert revoke.status_code == 401 and revoke.json()["errors"][0]["code"] == "totp_required"
    assert done.status_code == 200 and done.json()["status"] == "DISABLED"


def test_service_users_have_no_authenticator(emulator: EmulatorServer) -> None:
    with api_client(emulator) as lead:
        bot = next(u for u in lead.get(f"{AM}/user").json() if u["name"] == "ci-release-bot")
    assert bot["authenticator_enrolled"] is False and bot["two_factor_ready"] is False


def test_readiness_counts_client_certificates_that_do_not_expire_soon(
    fresh_emulator: EmulatorServer,
) -> None:
    with api_client(fresh_emulator) as lead, api_client(fresh_emulator, "developer") as dev:
        users = {u["name"]: u for u in lead.get(f"{AM}/user").json()}
        sofia = users["Sofia Russo"]
        assert sofia["authenticator_enrolled"] is False and sofia["two_factor_ready"] is False
        soon = (FROZEN_NOW + timedelta(days=10)).date().isoformat()
        dev.delete(f"{AM}/user/me/authenticator")
        made = dev.post(f"{AM}/client-certificate", json={"name": "laptop", "end_date": soon})
        assert made.status_code == 201
        me = dev.get(f"{AM}/user/me").json()
        assert me["active_client_certificates"] == 1
        assert me["client_certificate_valid_to"] == f"{soon}T23:59:59Z"
        assert me["two_factor_ready"] is False  # expires within 30 days
        later = (FROZEN_NOW + timedelta(days=200)).date().isoformat()
        dev.post(f"{AM}/client-certificate", json={"name": "desktop", "end_date": later})
        assert dev.get(f"{AM}/user/me").json()["two_factor_ready"] is True


def test_answers_carry_the_emulator_clock_in_the_date_header(emulator: EmulatorServer) -> None:
    with api_client(emulator) as c:
        r = c.get(f"{STM}/keypairs", params={"limit": 1})
        missing = c.get("/signingmanager/api/v1/nothing-here")
    assert parsedate_to_datetime(r.headers["date"]) == FROZEN_NOW
    assert len(r.headers.get_list("date")) == 1
    assert parsedate_to_datetime(missing.headers["date"]) == FROZEN_NOW
