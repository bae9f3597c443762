"""Where each credential came from, in the words the connection view shows: the variable,
the file, the keyring entry and its backend; never the value."""

from __future__ import annotations

import sys
import threading
import types
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.config import Profile, app_paths
from stm_tui.credentials import resolve_credentials, store_secret
from stm_tui.provenance import for_demo, for_profile, keyring_in_words
from stm_tui.step_up import seed_source

KEY = "canary-key-7f3a9c1e"
PASSWORD = "canary-p12-pw-41d2"
SEED = "JBSWY3DPEHPK3PXP"
PROFILE = Profile(name="ops", host="https://stm.test", source="environment")


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


class Backend:
    name = "SecretService Keyring"

    def __init__(self, hang: bool = False) -> None:
        self.hang = hang
        self.store: dict[tuple[str, str], str] = {}


def use_backend(monkeypatch: pytest.MonkeyPatch, backend: Backend) -> None:
    """A `keyring` module whose backend is `backend`: it hangs in `get_password` if asked to,
    as a locked Secret Service collection does over SSH."""
    module = types.ModuleType("keyring")

    def get_password(service: str, user: str) -> str | None:
        if backend.hang:
            threading.Event().wait(30)
        return backend.store.get((service, user))

    module.get_keyring = lambda: backend  # type: ignore[attr-defined]
    module.get_password = get_password  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)


def private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def values(provenance: object) -> str:
    return repr(provenance)


def test_an_environment_variable_is_named() -> None:
    creds = resolve_credentials(PROFILE, env={"SM_API_KEY": KEY})
    said = for_profile(PROFILE, creds, env={"SM_API_KEY": KEY})
    assert said.api_key == "environment variable SM_API_KEY"
    assert said.client_cert is None and said.client_cert_password is None
    assert said.keyring == "unavailable (fail Keyring)"
    assert "SM_* environment variables" in said.profile
    assert KEY not in values(said)


def test_a_key_file_is_named_with_its_path(tmp_path: Path) -> None:
    key_file = private(tmp_path / "stm-key", KEY + "\n")
    env = {"SM_API_KEY_FILE": str(key_file)}
    said = for_profile(PROFILE, resolve_credentials(PROFILE, env=env), env=env)
    assert said.api_key == f"file {key_file} (named by SM_API_KEY_FILE)"
    assert KEY not in values(said)


def test_the_file_store_is_named_with_its_path() -> None:
    store_secret(PROFILE, "api_key", SecretStr(KEY), store="file")
    said = for_profile(PROFILE, resolve_credentials(PROFILE, env={}), env={})
    assert said.api_key == f"file store (plain text) {app_paths().secrets_file}"
    assert KEY not in values(said)


def test_the_keyring_is_named_with_its_backend_and_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = Backend()
    backend.store[("stm-tui", "ops:api_key")] = KEY
    use_backend(monkeypatch, backend)
    said = for_profile(PROFILE, resolve_credentials(PROFILE, env={}), env={})
    assert said.api_key == "OS keyring (SecretService Keyring), entry stm-tui / ops:api_key"
    assert said.keyring == "available (SecretService Keyring)"
    assert KEY not in values(said)


def test_a_keyring_hanging_in_get_password_is_named_as_timed_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_backend(monkeypatch, Backend(hang=True))
    store_secret(PROFILE, "api_key", SecretStr(KEY), store="file")
    creds = resolve_credentials(PROFILE, env={}, keyring_timeout=0.2)
    assert creds.keyring_backend == "SecretService Keyring"  # known before it hung
    said = for_profile(PROFILE, creds, env={})
    assert said.api_key.startswith("file store (plain text) ")
    assert said.keyring == "timed out (SecretService Keyring): given up on, not used"


def test_a_typed_key_and_a_client_certificate_with_its_password(tmp_path: Path) -> None:
    p12 = tmp_path / "me.p12"
    profile = Profile(name="ops", host="https://stm.test", client_cert_file=p12,
                      ca_file=tmp_path / "ca.pem", source=str(tmp_path / "config.toml"))
    env = {"SM_CLIENT_CERT_PASSWORD": PASSWORD, "SM_CLIENT_CERT_FILE": str(p12)}
    creds = resolve_credentials(profile, env=env, prompt=lambda _label: KEY)
    said = for_profile(profile, creds, env=env)
    assert said.api_key == "typed at the prompt (held in memory only)"
    assert said.client_cert == f"{p12} (from env (SM_CLIENT_CERT_FILE))"
    assert said.client_cert_password == "environment variable SM_CLIENT_CERT_PASSWORD"
    assert said.trust.startswith(f"{tmp_path / 'ca.pem'} (from profile 'ops', ca_file)")
    assert said.profile == f"config file {tmp_path / 'config.toml'}"
    assert KEY not in values(said) and PASSWORD not in values(said)


def test_the_demo_says_its_key_came_from_the_emulator(tmp_path: Path) -> None:
    plain = for_demo()
    assert plain.api_key == "the built-in emulator: the demo Lead's key, handed over in memory"
    assert plain.cache_off == "off (the demo does not use it)"
    printed = for_demo(tmp_path / "demo-api-key")
    assert f"also in {tmp_path / 'demo-api-key'} (0600, --print-env" in printed.api_key
    assert "removed with the demo" in printed.api_key
    assert "kept with --data" in for_demo(tmp_path / "k", temporary=False).api_key


def test_keyring_states_in_words() -> None:
    assert keyring_in_words("not checked", "") == "not checked"
    assert keyring_in_words("insecure (keyrings.alt)", "PlaintextKeyring") == (
        "insecure (PlaintextKeyring): keyrings.alt, not used"
    )


def test_the_step_up_seed_source_names_the_variable_or_file_never_the_seed(
    tmp_path: Path,
) -> None:
    assert seed_source({"SM_TOTP_SECRET": SEED}) == "environment variable SM_TOTP_SECRET"
    seed_file = private(tmp_path / "seed", SEED)
    said = seed_source({"SM_TOTP_SECRET_FILE": str(seed_file)})
    assert said == f"file {seed_file} (named by SM_TOTP_SECRET_FILE)"
    seed_file.chmod(0o644)
    loose = seed_source({"SM_TOTP_SECRET_FILE": str(seed_file)})
    assert loose.startswith("not usable: ") and "chmod 600" in loose
    assert seed_source({}) == "none (SM_TOTP_SECRET unset): asked for when STM wants one"
    assert all(SEED not in s for s in (said, loose))
