"""Where each credential and setting came from (never its value)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stm_tui.config import Profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.diagnose.findings import EXIT_CONFIG, Finding, fail, ok, warn


@dataclass(frozen=True, slots=True)
class Sources:
    api_key: str
    client_cert_file: str | None  # "env (SM_CLIENT_CERT_FILE)", "profile 'x', client_cert_file"
    client_cert_password: str
    ca_file: str | None
    keyring: str


def _setting_source(profile: Profile, env: Mapping[str, str], var: str, key: str) -> str | None:
    if getattr(profile, key) is None:
        return None
    if env.get(var, "").strip():
        return f"env ({var})"
    return f"profile {profile.name!r}, {key}"


def sources_of(
    profile: Profile, credentials: ResolvedCredentials, env: Mapping[str, str]
) -> Sources:
    return Sources(
        api_key=credentials.api_key_source,
        client_cert_file=_setting_source(profile, env, "SM_CLIENT_CERT_FILE", "client_cert_file"),
        client_cert_password=credentials.client_cert_password_source,
        ca_file=_setting_source(profile, env, "SM_CA_FILE", "ca_file"),
        keyring=credentials.keyring_status,
    )


def check_sources(profile: Profile, sources: Sources) -> Finding:
    if sources.api_key == "none":
        parts = ["no API key (looked in SM_API_KEY, SM_API_KEY_FILE, the keyring, the file store)"]
    else:
        parts = [f"API key from {sources.api_key}"]
    if profile.client_cert_file is not None:
        cert = profile.client_cert_file
        parts.append(f"client certificate {cert} from {sources.client_cert_file}")
        if sources.client_cert_password == "none":
            parts.append("no password for it")
        else:
            parts.append(f"its password from {sources.client_cert_password}")
    else:
        parts.append("no client certificate (SM_CLIENT_CERT_FILE unset)")
    parts.append(f"CA: {profile.ca_file} from {sources.ca_file}" if profile.ca_file else
                 "CA: the system trust store")
    parts.append(f"keyring: {sources.keyring}")
    data = {
        "api_key": sources.api_key,
        "client_cert_file": str(profile.client_cert_file) if profile.client_cert_file else None,
        "client_cert_file_from": sources.client_cert_file,
        "client_cert_password": sources.client_cert_password,
        "ca_file": str(profile.ca_file) if profile.ca_file else None,
        "ca_file_from": sources.ca_file,
        "keyring": sources.keyring,
    }
    summary = "; ".join(parts)
    if "plain text" in sources.api_key or "plain text" in sources.client_cert_password:
        return warn(
            "credentials", "credentials", summary,
            "a secret is stored in plain text (the opt-in file store); a real keyring, or "
            "*_FILE variables pointing at 0600 files, keep it safer",
            EXIT_CONFIG, **data,
        )
    return ok("credentials", "credentials", summary, **data)


def unreadable_credentials(message: str) -> Finding:
    return fail(
        "credentials", "credentials", message,
        "fix the file named above (`chmod 600 FILE`, owned by you), or use another source: "
        "SM_API_KEY / SM_API_KEY_FILE, `stm-tui login`",
        EXIT_CONFIG,
    )
