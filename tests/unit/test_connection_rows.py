"""The connection view's rows: TLS said as it is, and every value cleaned (a profile name
from a config file, a path from an environment variable may hold escape sequences)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pydantic import SecretStr

from stm_tui.api.client import STMClient
from stm_tui.config import Profile
from stm_tui.credentials import resolve_credentials
from stm_tui.provenance import for_profile
from stm_tui.session import Session
from stm_tui.views.connection import connection_sections, tls_words

KEY = "canary-key-0b7e55aa"


def rows(session: Session) -> dict[str, str]:
    sections = connection_sections(session, step_up="none", key_for=lambda _id: "K")
    return {label: value for section in sections for label, value in section.rows}


def test_mtls_and_the_ca_that_verifies_the_server(tmp_path: Path) -> None:
    profile = Profile(name="p", host="https://clientauth.one.digicert.com",
                      client_cert_file=tmp_path / "me.p12", ca_file=tmp_path / "ca.pem")
    env = {"SM_API_KEY": KEY, "SM_CLIENT_CERT_PASSWORD": "pw-canary-1"}
    said = for_profile(profile, resolve_credentials(profile, env=env, use_keyring=False), env=env)
    tls = dict(tls_words(profile.host, said))
    assert tls["TLS"] == "mTLS: the client certificate and the API key"
    assert tls["Server check"].startswith(f"always verified, against {tmp_path / 'ca.pem'}")
    without = replace(said, client_cert=None, client_cert_password=None)
    assert dict(tls_words(profile.host, without))["TLS"].startswith("TLS with the API key only")
    assert dict(tls_words("http://127.0.0.1:8080", said))["TLS"].startswith("none: plain HTTP")


def test_every_value_is_cleaned_and_the_key_is_not_among_them() -> None:
    profile = Profile(name="p", host="https://stm.test")
    env = {"SM_API_KEY": KEY}
    said = for_profile(profile, resolve_credentials(profile, env=env, use_keyring=False), env=env)
    hostile = replace(said, api_key="file /tmp/\x1b]52;c;ZXZpbA==\x07k (named by SM_API_KEY_FILE)")
    client = STMClient("https://stm.test", SecretStr(KEY))
    session = Session(client, profile_name="ops\x1b[2J", provenance=hostile)
    shown = rows(session)
    assert "\x1b" not in "".join(shown.values()) and "\x07" not in "".join(shown.values())
    assert shown["Profile"].startswith("ops␛")
    assert shown["API key"].startswith("file /tmp/␛]52")
    assert shown["Identity"].startswith("not known yet")
    assert KEY not in repr(shown)
