from __future__ import annotations

import os
import sys
import threading
import time
import types
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui import credentials
from stm_tui.api.errors import ConfigError
from stm_tui.config import Profile, app_paths
from stm_tui.credentials import resolve_credentials, store_secret


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")


PROFILE = Profile(name="t", host="https://stm.test")


class FakeKeyring:
    """Stands in for the `keyring` module, with a chosen backend class module name."""

    def __init__(self, module: str = "keyring.backends.SecretService", block: bool = False) -> None:
        self.store: dict[tuple[str, str], str] = {}
        self.block = block
        backend_cls = type("Backend", (), {"__module__": module})
        self.backend = backend_cls()

    def get_keyring(self) -> object:
        if self.block:
            threading.Event().wait(30)  # a locked collection waiting for a GUI prompt
        return self.backend

    def get_password(self, service: str, user: str) -> str | None:
        return self.store.get((service, user))

    def set_password(self, service: str, user: str, value: str) -> None:
        self.store[(service, user)] = value


def use_keyring(monkeypatch: pytest.MonkeyPatch, fake: FakeKeyring) -> None:
    module = types.ModuleType("keyring")
    for name in ("get_keyring", "get_password", "set_password"):
        setattr(module, name, getattr(fake, name))
    monkeypatch.setitem(sys.modules, "keyring", module)


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_env_wins_and_only_the_source_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKeyring()
    fake.store[("stm-tui", "t:api_key")] = "from-keyring"
    use_keyring(monkeypatch, fake)
    creds = resolve_credentials(PROFILE, env={"SM_API_KEY": "from-env-123"})
    assert creds.api_key is not None and creds.api_key.get_secret_value() == "from-env-123"
    assert creds.api_key_source == "env (SM_API_KEY)"
    assert creds.keyring_status == "available"
    assert "from-env-123" not in repr(creds) and "from-env-123" not in creds.describe()


def test_file_variable_then_keyring_then_file_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key_file = private_file(tmp_path / "key", "from-file-xyz\n")
    creds = resolve_credentials(PROFILE, env={"SM_API_KEY_FILE": str(key_file)})
    assert creds.api_key_source == "file (SM_API_KEY_FILE)"
    assert creds.api_key is not None and creds.api_key.get_secret_value() == "from-file-xyz"

    fake = FakeKeyring()
    fake.store[("stm-tui", "t:api_key")] = "from-keyring"
    use_keyring(monkeypatch, fake)
    assert resolve_credentials(PROFILE, env={}).api_key_source == "keyring"

    fake.store.clear()
    store_secret(PROFILE, "api_key", SecretStr("from-store-1"), store="file")
    creds = resolve_credentials(PROFILE, env={})
    assert creds.api_key_source == "file store (plain text)"
    assert creds.api_key is not None and creds.api_key.get_secret_value() == "from-store-1"


def test_the_file_store_is_0600_even_under_a_loose_umask() -> None:
    old = os.umask(0o002)
    try:
        where = store_secret(PROFILE, "api_key", SecretStr("v-123456"), store="file")
    finally:
        os.umask(old)
    path = app_paths().secrets_file
    assert "plain text" in where
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_readable_secret_files_are_refused(tmp_path: Path) -> None:
    key_file = private_file(tmp_path / "key", "k", mode=0o644)
    with pytest.raises(ConfigError, match="readable by other users"):
        resolve_credentials(PROFILE, env={"SM_API_KEY_FILE": str(key_file)})


def test_no_keyring_means_prompt_or_nothing_and_never_a_hang() -> None:
    creds = resolve_credentials(PROFILE, env={})
    assert creds.api_key is None and creds.api_key_source == "none"
    assert creds.keyring_status == "unavailable"
    prompted = resolve_credentials(PROFILE, env={}, prompt=lambda label: "typed-key-42")
    assert prompted.api_key_source == "prompt"


def test_a_hanging_keyring_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    use_keyring(monkeypatch, FakeKeyring(block=True))
    started = time.monotonic()
    creds = resolve_credentials(PROFILE, env={"SM_API_KEY": "k-env-1"}, keyring_timeout=0.2)
    assert time.monotonic() - started < 2
    assert creds.keyring_status == "unavailable (timeout)"
    assert creds.api_key_source == "env (SM_API_KEY)"


def test_keyrings_alt_is_reported_insecure_and_never_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake = FakeKeyring(module="keyrings.alt.file")
    use_keyring(monkeypatch, fake)
    assert resolve_credentials(PROFILE, env={}).keyring_status == "insecure (keyrings.alt)"
    with pytest.raises(ConfigError, match="--store file"):
        store_secret(PROFILE, "api_key", SecretStr("secret-1"))
    assert fake.store == {}


def test_login_to_a_real_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeKeyring()
    use_keyring(monkeypatch, fake)
    assert store_secret(PROFILE, "api_key", SecretStr("secret-2")) == "keyring"
    assert fake.store[("stm-tui", "t:api_key")] == "secret-2"


def test_client_cert_password_is_resolved_only_with_a_client_cert() -> None:
    with_cert = Profile(name="t", host="https://x", client_cert_file=Path("/nonexistent.p12"))
    env = {"SM_API_KEY": "k-1234", "SM_CLIENT_CERT_PASSWORD": "pw-1234"}
    creds = resolve_credentials(with_cert, env=env)
    assert creds.client_cert_password_source == "env (SM_CLIENT_CERT_PASSWORD)"
    assert resolve_credentials(PROFILE, env=env).client_cert_password is None


def test_keyring_status_helper() -> None:
    assert credentials.keyring_status() == "unavailable"
