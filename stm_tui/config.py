"""Profiles: where stm-tui connects and how, from a TOML file and the smctl `SM_*` variables.

The file lives at `<user_config_dir>/stm-tui/config.toml`:

    default_profile = "prod"

    [profiles.prod]
    host = "https://clientauth.one.digicert.com"
    account_id = "..."                       # optional: act on another account
    client_cert_file = "~/.stm/me.p12"       # optional PKCS#12 for mTLS
    ca_file = "/etc/ssl/corp-ca.pem"         # optional extra trust anchor
    conn_timeout_ms = 10000
    read_only = true
    theme = "dark"
    [profiles.prod.poll]                     # seconds, per resource
    releases = 5

Environment variables (as smctl reads them) override the file: `SM_HOST`,
`SM_CLIENT_CERT_FILE`, `SM_CA_FILE`, `SM_CONN_TIMEOUT` (ms). `SM_TLS_SKIP_VERIFY` is refused.
Secrets are never read from this file: see `stm_tui.credentials`.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stm_tui.api.errors import ConfigError

APP_NAME = "stm-tui"
DEFAULT_PROFILE = "default"

# Seconds between polls. Live monitoring (releases, signatures) is fast; inventories slower;
# people and profiles change rarely.
DEFAULT_POLL_INTERVALS: dict[str, float] = {
    "releases": 2.0,
    "signatures": 2.0,
    "scans": 15.0,
    "audit": 15.0,
    "keypairs": 30.0,
    "certificates": 60.0,
    "teams": 120.0,
    "users": 120.0,
    "accounts": 300.0,
    "account_settings": 120.0,
    "keypair_profiles": 300.0,
    "certificate_profiles": 300.0,
}

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    state_dir: Path
    log_dir: Path

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def secrets_file(self) -> Path:
        """The opt-in plain-text secret store (0600)."""
        return self.config_dir / "credentials.json"

    def as_dict(self) -> dict[str, Path]:
        return {
            "config file": self.config_file,
            "config": self.config_dir,
            "data": self.data_dir,
            "cache": self.cache_dir,
            "state": self.state_dir,
            "logs": self.log_dir,
        }


def app_paths() -> AppPaths:
    """Where stm-tui keeps things. Nothing is created here (see `ensure_private_dir`)."""
    dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
    return AppPaths(
        config_dir=Path(dirs.user_config_dir),
        data_dir=Path(dirs.user_data_dir),
        cache_dir=Path(dirs.user_cache_dir),
        state_dir=Path(dirs.user_state_dir),
        log_dir=Path(dirs.user_log_dir),
    )


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) as 0700 and tighten it if it already exists looser."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


class Profile(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    name: str = DEFAULT_PROFILE
    host: str
    account_id: str | None = None
    client_cert_file: Path | None = None
    ca_file: Path | None = None
    conn_timeout_ms: int = Field(default=10_000, gt=0, le=600_000)
    poll: dict[str, float] = Field(default_factory=dict)
    read_only: bool = True
    theme: str = "dark"
    # How times are shown: "utc" (the API's own, the default) or "local".
    time_zone: Literal["utc", "local"] = "utc"
    # Where the profile's settings came from, for `config show` and the status screen.
    source: str = "file"

    @field_validator("client_cert_file", "ca_file", mode="before")
    @classmethod
    def _expand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return Path(value).expanduser() if value.strip() else None
        return value

    @field_validator("host")
    @classmethod
    def _host(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value:
            raise ValueError("host is empty")
        return value

    @property
    def poll_intervals(self) -> dict[str, float]:
        """The profile's own poll overrides (seconds per resource)."""
        return dict(self.poll)

    def poll_interval(self, resource: str) -> float:
        return self.poll.get(resource, DEFAULT_POLL_INTERVALS.get(resource, 60.0))


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None


def _env_overrides(env: Mapping[str, str]) -> dict[str, Any]:
    skip = env.get("SM_TLS_SKIP_VERIFY", "").strip().lower()
    if skip not in _FALSE:
        raise ConfigError(
            "SM_TLS_SKIP_VERIFY is set, but stm-tui never turns TLS verification off; "
            "unset it and point SM_CA_FILE at the CA that issued the server's certificate"
        )
    out: dict[str, Any] = {}
    for var, key in (
        ("SM_HOST", "host"),
        ("SM_CLIENT_CERT_FILE", "client_cert_file"),
        ("SM_CA_FILE", "ca_file"),
    ):
        value = env.get(var, "").strip()
        if value:
            out[key] = value
    timeout = env.get("SM_CONN_TIMEOUT", "").strip()
    if timeout:
        try:
            out["conn_timeout_ms"] = int(timeout)
        except ValueError:
            raise ConfigError(
                f"SM_CONN_TIMEOUT must be milliseconds (an integer), not {timeout!r}"
            ) from None
    return out


def not_configured_message(paths: AppPaths | None = None) -> str:
    paths = paths or app_paths()
    return (
        "stm-tui is not configured: no STM host is set.\n"
        "  - set SM_HOST and SM_API_KEY (as for smctl), or\n"
        f"  - add a profile to {paths.config_file} (see docs/configuration.md), or\n"
        "  - try it out with the built-in emulator: stm-tui demo"
    )


def load_profile(name: str | None = None, *, env: Mapping[str, str] | None = None) -> Profile:
    """The named profile (or the default one), with `SM_*` variables applied on top."""
    env = os.environ if env is None else env
    paths = app_paths()
    data = _read_config_file(paths.config_file)
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {paths.config_file}: [profiles] must be a table")
    chosen = name or env.get("STM_TUI_PROFILE") or data.get("default_profile") or DEFAULT_PROFILE
    if not isinstance(chosen, str):
        raise ConfigError(f"config file {paths.config_file}: default_profile must be a string")
    settings = profiles.get(chosen)
    if settings is None and name is not None:
        known = ", ".join(sorted(profiles)) or "none"
        raise ConfigError(
            f"profile {name!r} is not in {paths.config_file} (profiles there: {known})"
        )
    if settings is not None and not isinstance(settings, dict):
        raise ConfigError(f"config file {paths.config_file}: [profiles.{chosen}] must be a table")
    merged: dict[str, Any] = dict(settings or {})
    overrides = _env_overrides(env)
    merged.update(overrides)
    if "host" not in merged:
        raise ConfigError(not_configured_message(paths))
    if settings is None:
        source = "environment"
    elif overrides:
        source = f"{paths.config_file} + environment"
    else:
        source = str(paths.config_file)
    try:
        return Profile.model_validate({**merged, "name": chosen, "source": source})
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        loc = ".".join(str(p) for p in first.get("loc", ()))
        raise ConfigError(f"profile {chosen!r}: {loc}: {first.get('msg')}") from None
