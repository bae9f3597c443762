"""Where a session's credentials and settings came from, in words: never a secret's value.

Worked out once, when the session is made (`stm_tui.connect.session_for_profile` for a
profile, `for_demo` for `stm-tui demo`), from the same `ResolvedCredentials` that built its
client, and kept on the `Session` for the dashboard's connection view. The resolved secrets
themselves are not kept here: only the words saying where they were found.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stm_tui.config import Profile, app_paths
from stm_tui.credentials import (
    ENV_NAMES,
    KEYRING_SERVICE,
    ResolvedCredentials,
    SecretName,
    keyring_username,
)
from stm_tui.diagnose.sources import sources_of


@dataclass(frozen=True, slots=True)
class Provenance:
    profile: str  # where the profile's settings came from
    api_key: str
    client_cert: str | None  # the .p12 and where that path came from; None: no certificate
    client_cert_password: str | None  # None: no certificate, so no password either
    trust: str  # what the server's certificate is verified against (https hosts)
    keyring: str
    config_file: str  # the file, and whether this session's profile was read from it
    cache_off: str = "off (--no-cache)"  # said when the session has no inventory cache


def keyring_in_words(status: str, backend: str) -> str:
    """The keyring's state as `resolve_credentials` left it, with the backend it asked."""
    named = f" ({backend})" if backend else ""
    if status == "unavailable (timeout)":
        return f"timed out{named}: given up on, not used"
    if status == "insecure (keyrings.alt)":
        return f"insecure{named}: keyrings.alt, not used"
    if status == "unavailable":
        return f"unavailable{named}"
    return f"{status}{named}"


def secret_in_words(
    source: str,
    which: SecretName,
    *,
    profile: Profile,
    env: Mapping[str, str],
    backend: str,
) -> str:
    """A `ResolvedCredentials` source ("env (SM_API_KEY)", "keyring", ...) said in full:
    which variable, which file, which keyring entry."""
    var = ENV_NAMES[which]
    if source == f"env ({var})":
        return f"environment variable {var}"
    if source == f"file ({var}_FILE)":
        return f"file {env.get(f'{var}_FILE', '').strip()} (named by {var}_FILE)"
    if source == "keyring":
        entry = f"{KEYRING_SERVICE} / {keyring_username(profile, which)}"
        return f"OS keyring ({backend or 'its default backend'}), entry {entry}"
    if source == "file store (plain text)":
        return f"file store (plain text) {app_paths().secrets_file}"
    if source == "prompt":
        return "typed at the prompt (held in memory only)"
    if source == "none":
        return "none"
    return source


def _config_file_words(profile: Profile) -> str:
    file = app_paths().config_file
    if profile.source == "environment":
        return f"{file} (not read: the profile is from SM_* variables)"
    if profile.source.endswith("+ environment"):
        return f"{file} (read; SM_* variables override some settings)"
    return f"{file} (read)"


def for_profile(
    profile: Profile,
    credentials: ResolvedCredentials,
    env: Mapping[str, str] | None = None,
) -> Provenance:
    env = os.environ if env is None else env
    sources = sources_of(profile, credentials, env)
    backend = credentials.keyring_backend

    def words(source: str, which: SecretName) -> str:
        return secret_in_words(source, which, profile=profile, env=env, backend=backend)

    cert = password = None
    if profile.client_cert_file is not None:
        cert = f"{profile.client_cert_file} (from {sources.client_cert_file})"
        password = words(credentials.client_cert_password_source, "client_cert_password")
    trust = "the system trust store"
    if profile.ca_file is not None:
        trust = f"{profile.ca_file} (from {sources.ca_file}), instead of the system trust store"
    if profile.source == "environment":
        origin = "SM_* environment variables (no config file)"
    else:
        origin = f"config file {profile.source}"
    return Provenance(
        profile=origin,
        api_key=words(credentials.api_key_source, "api_key"),
        client_cert=cert,
        client_cert_password=password,
        trust=trust,
        keyring=keyring_in_words(credentials.keyring_status, backend),
        config_file=_config_file_words(profile),
    )


def for_demo(key_file: Path | None = None, *, temporary: bool = True) -> Provenance:
    """`stm-tui demo`: the emulator made the Lead's key and handed it over in memory (and,
    with `--print-env`, wrote it to `key_file` for other shells); nothing else is looked up."""
    key = "the built-in emulator: the demo Lead's key, handed over in memory"
    if key_file is not None:
        fate = "removed with the demo" if temporary else "kept with --data"
        key += f"; also in {key_file} (0600, --print-env; {fate})"
    return Provenance(
        profile="built in (stm-tui demo): no config file, no SM_* variables",
        api_key=key,
        client_cert=None,
        client_cert_password=None,
        trust="the system trust store",  # unused: the demo speaks plain HTTP on loopback
        keyring="not asked (the demo does not use it)",
        config_file=f"{app_paths().config_file} (not read by the demo)",
        cache_off="off (the demo does not use it)",
    )
