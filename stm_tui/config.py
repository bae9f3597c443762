"""Profiles: where stm-tui connects and how, from a TOML file and the smctl `SM_*` variables.

The file lives at `<user_config_dir>/stm-tui/config.toml`:

    default_profile = "prod"

    [profiles.prod]
    host = "https://clientauth.one.digicert.com"
    account_id = "..."                       # optional: act on another account
    client_cert_file = "~/.stm/me.p12"       # optional PKCS#12 for mTLS
    ca_file = "/etc/ssl/corp-ca.pem"         # optional: CAs trusted instead of the system
    conn_timeout_ms = 10000
    read_timeout_s = 30                      # per wait for bytes
    request_deadline_s = 60                  # whole exchange, however the bytes trickle
    max_response_mb = 64                     # decompressed body bound
    page_size = 100
    read_only = true
    signature_log_limit = 50000              # newest signatures held; older ones evicted
    theme = "dark"
    signature_budget = 20000                 # optional: signatures a month, for the monitor
    [profiles.prod.poll]                     # seconds, per resource
    releases = 5
    [profiles.prod.alerts]                   # the release monitor's (docs/monitor.md)
    quota_warn = 0.9
    off = ["rate_spike"]

Every key and value is checked: an unknown key, an out-of-range number or a missing
`default_profile` is refused with a message naming the file, the profile and the key. The
file (and its directory) must be yours and writable by nobody else, since it decides which
host receives the API key. Plain `http://` is accepted only for loopback hosts.

Environment variables (as smctl reads them) override the file: `SM_HOST`,
`SM_CLIENT_CERT_FILE`, `SM_CA_FILE`, `SM_CONN_TIMEOUT` (ms). `SM_TLS_SKIP_VERIFY` is refused.
Secrets are never read from this file: see `stm_tui.credentials`.
"""

from __future__ import annotations

import difflib
import os
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from stm_tui.api.errors import ConfigError
from stm_tui.api.hosts import validate_host
from stm_tui.api.resources import ResourceName

__all__ = ["validate_host"]  # re-exported: config is where people look for host rules

APP_NAME = "stm-tui"
DEFAULT_PROFILE = "default"

# Seconds between polls. Live monitoring (releases, signatures) is fast; inventories slower;
# people and profiles change rarely.
DEFAULT_POLL_INTERVALS: dict[ResourceName, float] = {
    "releases": 2.0,
    "signatures": 2.0,
    "scans": 15.0,
    "scan_reports": 15.0,  # also as soon as the scans change
    "audit": 15.0,
    "keypairs": 30.0,
    "certificates": 60.0,
    "teams": 120.0,
    "users": 120.0,
    "accounts": 300.0,
    "account_settings": 120.0,
    "keypair_profiles": 300.0,
    "certificate_profiles": 300.0,
    # your own credentials: they change when you change them (a write refreshes at once)
    "api_tokens": 300.0,
    "client_certificates": 300.0,
    "approvals": 10.0,  # the inbox: a new request shows within one interval
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
    """Create `path` (and parents) as 0700, whatever the umask, and tighten it if it already
    exists looser. (`mkdir(mode=...)` is masked by the umask, and the parents it creates get
    the umask's mode.)"""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    # Parents we created are ours to make private too (a fresh `~/.config` under umask 002
    # would otherwise be group-writable).
    for created in missing:
        created.chmod(0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    return path


TOP_LEVEL_KEYS: tuple[str, ...] = ("default_profile", "profiles")

# Seconds; a poll interval of zero hammered the service with ~22 requests/s per resource.
POLL_MIN = 1.0
POLL_MAX = 86_400.0


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or nothing."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_private_config(path: Path) -> None:
    """Refuse a config file (or its directory) that someone else could have written: it
    decides which host receives the API key. A missing file is fine."""
    try:
        info = path.stat()
        dir_info = path.parent.stat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None
    uid = os.getuid() if hasattr(os, "getuid") else None
    for what, where, facts, fix in (
        ("config directory", path.parent, dir_info, "chmod go-w"),
        ("config file", path, info, "chmod 600"),
    ):
        if uid is not None and facts.st_uid != uid:
            raise ConfigError(
                f"{what} {where} is not owned by you (uid {uid}), so it is not used: it "
                "decides which host receives your API key"
            )
        mode = stat.S_IMODE(facts.st_mode)
        if mode & 0o022:
            if mode & 0o022 == 0o022:
                who = "the group and other users"
            else:
                who = "the group" if mode & 0o020 else "other users"
            raise ConfigError(
                f"{what} {where} is writable by {who} (mode {mode:o}), so it is not used: "
                f"it decides which host receives your API key. Run: {fix} {where}"
            )


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = DEFAULT_PROFILE
    host: str
    account_id: str | None = None
    client_cert_file: Path | None = None
    ca_file: Path | None = None
    conn_timeout_ms: int = Field(default=10_000, ge=100, le=600_000)
    read_timeout_s: float = Field(default=30.0, ge=1, le=600)
    request_deadline_s: float = Field(default=60.0, ge=1, le=3600)
    max_response_mb: int = Field(default=64, ge=1, le=4096)
    page_size: int = Field(default=100, ge=1, le=1000)
    poll: dict[str, float] = Field(default_factory=dict)
    read_only: bool = True
    # The newest signatures a dashboard holds; older ones are evicted as new ones arrive.
    signature_log_limit: int = Field(default=50_000, ge=1_000, le=10_000_000)
    theme: str = "dark"
    # How times are shown: "utc" (the API's own, the default) or "local".
    time_zone: Literal["utc", "local"] = "utc"
    # Action id -> keys ("keypair.suspend" = "ctrl+x"); the ids are checked when the
    # dashboard starts (stm_tui.tui.actions), which is the layer that knows them.
    keymap: dict[str, str] = Field(default_factory=dict)
    # The release monitor's alerts (`quota_warn = 0.8`, `bell = false`, `off = ["rate_spike"]`,
    # ...), checked when a monitor starts (stm_tui.views.monitor.alerts knows the names).
    alerts: dict[str, Any] = Field(default_factory=dict)
    # Signatures a month the account budgets for: the monitor's budget view projects against it.
    signature_budget: int | None = Field(default=None, ge=1)
    # Ring the terminal bell once when a new request waits on your approval (the toast and
    # the count on the status line come either way).
    approval_bell: bool = True
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
        return validate_host(value)

    @field_validator("keymap", mode="before")
    @classmethod
    def _keymap(cls, value: Any) -> Any:
        # An unquoted dotted key (`keypair.suspend = "X"`) is a nested table in TOML.
        if not isinstance(value, dict):
            raise ValueError("keymap: must be a table of action id = keys")
        flat: dict[str, Any] = {}
        for key, keys in value.items():
            if isinstance(keys, dict):
                flat.update({f"{key}.{k}": v for k, v in cls._keymap(keys).items()})
            else:
                flat[key] = keys
        return flat

    @field_validator("poll", mode="before")
    @classmethod
    def _poll(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            raise ValueError("poll: must be a table of resource = seconds")
        known: tuple[str, ...] = tuple(DEFAULT_POLL_INTERVALS)
        for resource, seconds in value.items():
            if resource not in known:
                raise ValueError(
                    f"poll.{resource}: unknown resource{suggest(resource, known)}; "
                    f"known: {', '.join(sorted(known))}"
                )
            if isinstance(seconds, bool) or not isinstance(seconds, int | float):
                raise ValueError(f"poll.{resource}: must be a number of seconds")
            if not POLL_MIN <= seconds <= POLL_MAX:
                raise ValueError(
                    f"poll.{resource}: {seconds} s is out of range "
                    f"({POLL_MIN:g} to {POLL_MAX:g} seconds)"
                )
        return value

    @property
    def poll_intervals(self) -> dict[ResourceName, float]:
        """The profile's own poll overrides (seconds per resource)."""
        return {name: self.poll[name] for name in DEFAULT_POLL_INTERVALS if name in self.poll}

    def poll_interval(self, resource: ResourceName) -> float:
        return self.poll.get(resource, DEFAULT_POLL_INTERVALS.get(resource, 60.0))


# Keys a profile may set: the model's fields, except the loader's own `name` and `source`
# (so a field added to `Profile` is accepted without a second list to update).
PROFILE_KEYS: tuple[str, ...] = tuple(
    key for key in Profile.model_fields if key not in ("name", "source")
)


def _read_config_file(path: Path) -> dict[str, Any]:
    check_private_config(path)
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"config file {path} cannot be read: {exc.strerror}") from None


# Which variable sets which key, to name the right source in an error message.
_ENV_FOR_KEY = {
    "host": "SM_HOST",
    "client_cert_file": "SM_CLIENT_CERT_FILE",
    "ca_file": "SM_CA_FILE",
    "conn_timeout_ms": "SM_CONN_TIMEOUT",
}


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


def _choose(
    name: str | None, env: Mapping[str, str], data: Mapping[str, Any]
) -> tuple[Any, str | None]:
    """(profile name, where it came from): None for an explicit --profile, "" for the
    built-in default."""
    if name:
        return name, None
    if env.get("STM_TUI_PROFILE"):
        return env["STM_TUI_PROFILE"], "STM_TUI_PROFILE"
    if "default_profile" in data:
        return data["default_profile"], "default_profile"
    return DEFAULT_PROFILE, ""


def load_profile(name: str | None = None, *, env: Mapping[str, str] | None = None) -> Profile:
    """The named profile (or the default one), with `SM_*` variables applied on top."""
    env = os.environ if env is None else env
    paths = app_paths()
    file = paths.config_file
    data = _read_config_file(file)
    for key in data:
        if key not in TOP_LEVEL_KEYS:
            raise ConfigError(
                f"config file {file}: unknown key {key!r}{suggest(key, TOP_LEVEL_KEYS)}; "
                f"valid top-level keys: {', '.join(TOP_LEVEL_KEYS)}"
            )
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"config file {file}: [profiles] must be a table")
    known = ", ".join(sorted(profiles)) or "none"
    chosen, origin = _choose(name, env, data)
    if not isinstance(chosen, str):
        raise ConfigError(f"config file {file}: default_profile must be a string")
    settings = profiles.get(chosen)
    if settings is None and origin is None:
        raise ConfigError(f"profile {chosen!r} is not in {file} (profiles there: {known})")
    if settings is None and origin == "default_profile":
        raise ConfigError(
            f"config file {file}: default_profile = {chosen!r} names a profile that does not "
            f"exist{suggest(chosen, list(profiles))}; profiles there: {known}"
        )
    if settings is None and origin == "STM_TUI_PROFILE":
        raise ConfigError(
            f"STM_TUI_PROFILE={chosen} names a profile that is not in {file}"
            f"{suggest(chosen, list(profiles))}; profiles there: {known}"
        )
    where = f"config file {file}, profile {chosen!r}"
    if settings is not None and not isinstance(settings, dict):
        raise ConfigError(f"config file {file}: [profiles.{chosen}] must be a table")
    for key in settings or {}:
        if key not in PROFILE_KEYS:
            raise ConfigError(
                f"{where}: unknown key {key!r}{suggest(key, PROFILE_KEYS)}; valid keys: "
                f"{', '.join(PROFILE_KEYS)}"
            )
    merged: dict[str, Any] = dict(settings or {})
    overrides = _env_overrides(env)
    merged.update(overrides)
    if "host" not in merged:
        raise ConfigError(not_configured_message(paths))
    if settings is None:
        source = "environment"
    elif overrides:
        source = f"{file} + environment"
    else:
        source = str(file)
    try:
        return Profile.model_validate({**merged, "name": chosen, "source": source})
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        key = ".".join(str(p) for p in first.get("loc", ()))
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        top = key.split(".")[0]
        if top in overrides:
            raise ConfigError(f"{_ENV_FOR_KEY.get(top, top)}: {message}") from None
        if message.startswith((f"{key}.", f"{key}:")):
            raise ConfigError(f"{where}: {message}") from None  # it names its own sub-key
        raise ConfigError(f"{where}: {key}: {message}") from None
