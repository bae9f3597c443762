"""A config file is checked like the security-relevant input it is (issue 8 items 3, 4, 16,
18 and 26): every bad value gets a message naming the file, the profile and the key."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from stm_tui.api.errors import ConfigError
from stm_tui.config import app_paths, ensure_private_dir, load_profile, validate_host


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    return tmp_path


@pytest.fixture
def umask_002() -> Iterator[None]:
    old = os.umask(0o002)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def write_config(text: str, mode: int | None = 0o600) -> Path:
    path = app_paths().config_file
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(text)
    if mode is not None:
        path.chmod(mode)
    return path


def error_of(text: str, name: str | None = None) -> str:
    path = write_config(text)
    with pytest.raises(ConfigError) as info:
        load_profile(name, env={})
    message = info.value.message
    assert str(path) in message, message
    return message


# ---------------------------------------------------------------- ranges (item 16)


@pytest.mark.parametrize(
    ("line", "key"),
    [
        ("[profiles.prod.poll]\nreleases = 0", "poll.releases"),
        ("[profiles.prod.poll]\nsignatures = -2", "poll.signatures"),
        ("[profiles.prod.poll]\naudit = 0.01", "poll.audit"),
        ('[profiles.prod.poll]\nkeypairs = "fast"', "poll.keypairs"),
        ("conn_timeout_ms = 0", "conn_timeout_ms"),
        ("conn_timeout_ms = -5", "conn_timeout_ms"),
        ("read_timeout_s = 0", "read_timeout_s"),
        ("request_deadline_s = -1", "request_deadline_s"),
        ("max_response_mb = 0", "max_response_mb"),
        ("page_size = 0", "page_size"),
        ("page_size = 100000", "page_size"),
    ],
)
def test_out_of_range_values_name_the_file_the_profile_and_the_key(line: str, key: str) -> None:
    if line.startswith("[profiles.prod.poll]"):
        text = f'[profiles.prod]\nhost = "https://x.example"\n{line}\n'
    else:
        text = f'[profiles.prod]\nhost = "https://x.example"\n{line}\n'
    message = error_of(text, "prod")
    assert "profile 'prod'" in message
    assert key in message


def test_a_poll_interval_for_an_unknown_resource_is_refused_with_a_suggestion() -> None:
    message = error_of(
        '[profiles.p]\nhost = "https://x.example"\n[profiles.p.poll]\nrelease = 5\n', "p"
    )
    assert "poll.release" in message and "did you mean 'releases'" in message


def test_valid_ranges_are_accepted() -> None:
    write_config(
        '[profiles.p]\nhost = "https://x.example"\nconn_timeout_ms = 2500\nread_timeout_s = 20\n'
        "request_deadline_s = 45\nmax_response_mb = 16\npage_size = 50\n"
        "[profiles.p.poll]\nreleases = 1\ncertificates = 3600\n"
    )
    profile = load_profile("p", env={})
    assert (profile.read_timeout_s, profile.request_deadline_s) == (20, 45)
    assert (profile.max_response_mb, profile.page_size) == (16, 50)
    assert profile.poll_interval("releases") == 1


# ---------------------------------------------------------------- unknown keys, default (26)


def test_an_unknown_key_is_refused_listing_the_valid_ones_with_a_suggestion() -> None:
    message = error_of(
        '[profiles.prod]\nhost = "https://x.example"\nclient_cert = "a.p12"\n', "prod"
    )
    assert "unknown key 'client_cert'" in message
    assert "did you mean 'client_cert_file'" in message
    assert "profile 'prod'" in message
    for valid in ("host", "account_id", "ca_file", "poll", "theme"):
        assert valid in message


def test_internal_fields_are_not_settable_from_the_file() -> None:
    message = error_of('[profiles.prod]\nhost = "https://x.example"\nsource = "forged"\n', "prod")
    assert "unknown key 'source'" in message


def test_an_unknown_top_level_key_is_refused() -> None:
    message = error_of('defualt_profile = "prod"\n[profiles.prod]\nhost = "https://x.example"\n')
    assert "defualt_profile" in message and "did you mean 'default_profile'" in message


def test_default_profile_naming_a_missing_profile_names_it_and_lists_the_profiles() -> None:
    message = error_of(
        'default_profile = "staging"\n[profiles.prod]\nhost = "https://a.example"\n'
        '[profiles.lab]\nhost = "http://127.0.0.1:1"\n'
    )
    assert "default_profile = 'staging'" in message
    assert "lab, prod" in message


def test_stm_tui_profile_naming_a_missing_profile_says_where_the_name_came_from() -> None:
    write_config('[profiles.prod]\nhost = "https://a.example"\n')
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={"STM_TUI_PROFILE": "nope"})
    assert "STM_TUI_PROFILE" in info.value.message and "prod" in info.value.message


# ---------------------------------------------------------------- hosts (items 3 and 18)


@pytest.mark.parametrize(
    "host",
    [
        "http://stm.example.com",
        "http://10.0.0.5:8080",
        "http://[2001:db8::1]",
        "HTTP://one.digicert.com",
    ],
)
def test_plain_http_to_a_remote_host_is_refused_because_the_key_would_travel_in_clear(
    host: str,
) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={"SM_HOST": host})
    message = info.value.message
    assert "API key" in message and "clear" in message
    assert host.lower().split("//")[1].split("/")[0].split(":")[0].strip("[]") in message.lower()


@pytest.mark.parametrize(
    "host",
    ["http://127.0.0.1:8443", "http://127.5.6.7", "http://localhost:9000", "http://[::1]:8080"],
)
def test_plain_http_to_loopback_is_allowed_for_the_emulator(host: str) -> None:
    assert load_profile(None, env={"SM_HOST": host}).host == host


def test_the_same_rule_holds_for_a_host_from_the_file() -> None:
    message = error_of('[profiles.prod]\nhost = "http://stm.example.com"\n', "prod")
    assert "in clear" in message and "profile 'prod'" in message


@pytest.mark.parametrize(
    ("host", "words"),
    [
        ("not a url", ["'not a url'"]),
        ("ftp://stm.example.com", ["ftp", "https://"]),
        ("https://", ["no host name"]),
        ("https://stm.example.com:99999", ["port"]),
        ("https://stm.example.com/x?y=1", ["query"]),
    ],
)
def test_a_malformed_host_names_what_was_given(host: str, words: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={"SM_HOST": host})
    for word in words:
        assert word in info.value.message, info.value.message


def test_a_host_without_a_scheme_means_https() -> None:
    assert validate_host("127.0.0.1:18443") == "https://127.0.0.1:18443"
    assert validate_host("clientauth.one.digicert.com") == "https://clientauth.one.digicert.com"


# ---------------------------------------------------------------- permissions (item 4)


def test_a_group_writable_config_file_is_refused(umask_002: None) -> None:
    path = write_config('[profiles.default]\nhost = "https://x.example"\n', mode=None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o664  # what umask 002 gives
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={})
    message = info.value.message
    assert str(path) in message and "writable by" in message and "chmod" in message


def test_a_world_writable_config_file_is_refused() -> None:
    write_config('[profiles.default]\nhost = "https://x.example"\n', mode=0o646)
    with pytest.raises(ConfigError, match="writable by"):
        load_profile(None, env={})


def test_a_config_file_under_umask_022_is_accepted(umask_022: None) -> None:
    path = write_config('[profiles.default]\nhost = "https://x.example"\n', mode=None)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert load_profile(None, env={}).host == "https://x.example"


def test_a_config_not_owned_by_the_user_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config('[profiles.default]\nhost = "https://x.example"\n')
    real_uid = path.stat().st_uid
    monkeypatch.setattr(os, "getuid", lambda: real_uid + 1)  # as another user would see it
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={})
    assert "not owned by you" in info.value.message
    assert str(path.parent) in info.value.message


def test_a_config_dir_writable_by_others_is_refused() -> None:
    path = write_config('[profiles.default]\nhost = "https://x.example"\n')
    path.parent.chmod(0o777)
    with pytest.raises(ConfigError) as info:
        load_profile(None, env={})
    assert str(path.parent) in info.value.message and "writable by" in info.value.message


@pytest.mark.parametrize("mask", [0o002, 0o022])
def test_directories_stm_tui_creates_are_private_whatever_the_umask(
    mask: int, tmp_path: Path
) -> None:
    old = os.umask(mask)
    try:
        made = ensure_private_dir(tmp_path / "new" / "stm-tui")
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.stat().st_mode) == 0o700
