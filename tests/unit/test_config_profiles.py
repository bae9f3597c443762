from __future__ import annotations

from pathlib import Path

import pytest

from stm_tui.api.errors import ConfigError
from stm_tui.config import app_paths, load_profile


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


def write_config(text: str) -> Path:
    path = app_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_nothing_configured_says_how_to_configure_and_mentions_demo() -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={})
    assert "SM_HOST" in info.value.message
    assert "stm-tui demo" in info.value.message
    assert str(app_paths().config_file) in info.value.message


def test_smctl_variables_alone_make_a_profile() -> None:
    profile = load_profile(None, env={"SM_HOST": "https://stm.example/", "SM_CONN_TIMEOUT": "2500"})
    assert profile.host == "https://stm.example"
    assert profile.conn_timeout_ms == 2500
    assert profile.read_only is True
    assert profile.source == "environment"


def test_tls_skip_verify_is_refused_not_ignored() -> None:
    with pytest.raises(ConfigError, match="never turns TLS verification off"):
        load_profile(None, env={"SM_HOST": "https://x", "SM_TLS_SKIP_VERIFY": "true"})
    # An explicit "false" is what smctl users often export; it is fine.
    assert load_profile(None, env={"SM_HOST": "https://x", "SM_TLS_SKIP_VERIFY": "FALSE"}).host


def test_profiles_from_toml_with_default_and_selection() -> None:
    write_config(
        """
default_profile = "prod"
[profiles.prod]
host = "https://clientauth.one.digicert.com"
account_id = "acc-1"
client_cert_file = "~/certs/me.p12"
[profiles.prod.poll]
releases = 3
[profiles.lab]
host = "http://127.0.0.1:8443"
read_only = false
"""
    )
    prod = load_profile(None, env={})
    assert prod.name == "prod" and prod.account_id == "acc-1"
    assert prod.client_cert_file == Path("~/certs/me.p12").expanduser()
    assert prod.poll_interval("releases") == 3
    assert prod.poll_interval("certificates") == 60
    lab = load_profile("lab", env={})
    assert lab.read_only is False
    # Environment wins over the file, as with smctl.
    assert load_profile("lab", env={"SM_HOST": "https://other"}).host == "https://other"


def test_unknown_profile_names_the_known_ones() -> None:
    write_config('[profiles.prod]\nhost = "https://x"\n')
    with pytest.raises(ConfigError, match="prod"):
        load_profile("staging", env={})


def test_bad_toml_and_bad_values_are_config_errors() -> None:
    write_config("[profiles.prod\nhost=")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_profile(None, env={})
    write_config('[profiles.default]\nhost = "https://x"\nconn_timeout_ms = "soon"\n')
    with pytest.raises(ConfigError, match="conn_timeout_ms"):
        load_profile(None, env={})
    with pytest.raises(ConfigError, match="SM_CONN_TIMEOUT"):
        load_profile(None, env={"SM_HOST": "x", "SM_CONN_TIMEOUT": "30s"})


def test_app_paths_are_separate_and_not_created(isolated_dirs: Path) -> None:
    paths = app_paths()
    assert len({paths.config_dir, paths.data_dir, paths.cache_dir, paths.state_dir}) == 4
    assert not paths.config_dir.exists()
