"""Secret resolution: API key and client-certificate password.

Order (reliability.md 1.4): environment variable, `*_FILE` variable, OS keyring (a real
backend only, looked up in a daemon thread with a timeout), the opt-in 0600 file store, and
finally an interactive prompt whose answer lives in memory only. The result says where each
secret came from, never what it is.

`resolve_credentials` may block for up to `keyring_timeout` seconds: call it before the UI
starts, or through `resolve_credentials_async` (a worker thread), never on the UI thread.
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import SecretStr

from stm_tui.api.errors import ConfigError
from stm_tui.api.tls import read_private_file
from stm_tui.config import Profile, app_paths, ensure_private_dir
from stm_tui.redact import register_secret

KEYRING_SERVICE = "stm-tui"
KEYRING_TIMEOUT = 3.0

SecretName = Literal["api_key", "client_cert_password"]
ENV_NAMES: dict[str, str] = {
    "api_key": "SM_API_KEY",
    "client_cert_password": "SM_CLIENT_CERT_PASSWORD",
}
_LABELS: dict[str, str] = {
    "api_key": "API key",
    "client_cert_password": "client certificate password",
}

Prompt = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class ResolvedCredentials:
    api_key: SecretStr | None
    api_key_source: str
    client_cert_password: SecretStr | None = None
    client_cert_password_source: str = "none"
    keyring_status: str = "not checked"
    # The backend's name ("SecretService Keyring", "fail Keyring"): which keyring was asked.
    keyring_backend: str = ""

    def describe(self) -> str:
        """One line for a status bar: sources only, never values."""
        parts = [f"credentials: {self.api_key_source}"]
        if self.client_cert_password_source != "none":
            parts.append(f"client cert password: {self.client_cert_password_source}")
        parts.append(f"keyring: {self.keyring_status}")
        return "; ".join(parts)


def keyring_username(profile: Profile, which: SecretName) -> str:
    return f"{profile.name}:{which}"


# ------------------------------------------------------------------ keyring, bounded


def _keyring_backend_status(keyring: Any) -> str:
    return _backend_status(keyring.get_keyring())


def _backend_status(backend: Any) -> str:
    modules = [type(backend).__module__]
    modules += [type(b).__module__ for b in getattr(backend, "backends", [])]
    if any(mod.startswith("keyrings.alt") for mod in modules):
        return "insecure (keyrings.alt)"
    if modules[0] in ("keyring.backends.fail", "keyring.backends.null"):
        return "unavailable"
    return "available"


def _backend_name(backend: Any) -> str:
    chained = getattr(backend, "backends", None) or [backend]
    names = [str(getattr(b, "name", "") or type(b).__name__) for b in chained]
    return " + ".join(names)


def _run_bounded(fn: Callable[[], Any], timeout: float) -> tuple[bool, Any]:
    """Run `fn` in a daemon thread; (finished, result). A stuck keyring (a locked collection
    waiting for a GUI prompt nobody can answer) is left behind: Python cannot kill a thread."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn()
        except Exception as exc:  # any backend failure means "unavailable"
            box["error"] = exc

    thread = threading.Thread(target=target, name="stm-tui-keyring", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return False, None
    if "error" in box:
        return True, box["error"]
    return True, box.get("result")


def _keyring_lookup(
    usernames: list[str], timeout: float
) -> tuple[str, dict[str, str], str]:
    """(status, the secrets found by user name, the backend's name). The name is noted as
    soon as the backend is known, so a lookup that then hangs still says which one hung."""
    seen: dict[str, str] = {}

    def work() -> tuple[str, dict[str, str]]:
        import keyring

        backend = keyring.get_keyring()
        seen["backend"] = _backend_name(backend)
        status = _backend_status(backend)
        found: dict[str, str] = {}
        if status != "available":
            return status, found
        for name in usernames:
            value = keyring.get_password(KEYRING_SERVICE, name)
            if value:
                found[name] = value
        return status, found

    finished, result = _run_bounded(work, timeout)
    backend = seen.get("backend", "")
    if not finished:
        return "unavailable (timeout)", {}, backend
    if isinstance(result, BaseException):
        return "unavailable", {}, backend
    status, found = result
    return status, found, backend


# ------------------------------------------------------------------ opt-in file store


def _file_store_path() -> Path:
    return app_paths().secrets_file


def _read_file_store(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    raw = read_private_file(path, "credential file store")
    try:
        data = json.loads(raw)
    except ValueError:
        raise ConfigError(f"credential file store {path} is not valid JSON") from None
    return data if isinstance(data, dict) else {}


def _file_store_secret(profile: Profile, which: SecretName) -> str | None:
    entry = _read_file_store(_file_store_path()).get("profiles", {}).get(profile.name, {})
    value = entry.get(which) if isinstance(entry, dict) else None
    return value if isinstance(value, str) and value else None


def _write_file_store(path: Path, data: dict[str, Any]) -> None:
    """Atomic write with mode 0600 from the first byte (umask cannot loosen it)."""
    ensure_private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ resolution


def _from_env(which: SecretName, env: Mapping[str, str]) -> tuple[SecretStr, str] | None:
    var = ENV_NAMES[which]
    value = env.get(var, "")
    if value:
        return SecretStr(value), f"env ({var})"
    file_var = f"{var}_FILE"
    file_name = env.get(file_var, "").strip()
    if file_name:
        raw = read_private_file(Path(file_name).expanduser(), f"{file_var} file")
        text = raw.decode("utf-8", errors="strict").strip()
        if not text:
            raise ConfigError(f"{file_var} points at an empty file")
        return SecretStr(text), f"file ({file_var})"
    return None


def resolve_credentials(
    profile: Profile,
    *,
    env: Mapping[str, str] | None = None,
    prompt: Prompt | None = None,
    keyring_timeout: float = KEYRING_TIMEOUT,
    use_keyring: bool = True,
) -> ResolvedCredentials:
    env = os.environ if env is None else env
    wanted: list[SecretName] = ["api_key"]
    if profile.client_cert_file is not None:
        wanted.append("client_cert_password")

    values: dict[str, tuple[SecretStr | None, str]] = {}
    missing: list[SecretName] = []
    for which in wanted:
        got = _from_env(which, env)
        if got is None:
            missing.append(which)
        else:
            values[which] = got

    # The keyring is probed even when the environment supplied everything, so the status
    # screen can say "keyring: unavailable"; the probe is bounded like every lookup.
    status = "not checked"
    backend = ""
    found: dict[str, str] = {}
    if use_keyring:
        names = [keyring_username(profile, which) for which in missing]
        status, found, backend = _keyring_lookup(names, keyring_timeout)

    for which in missing:
        from_keyring = found.get(keyring_username(profile, which))
        if from_keyring:
            values[which] = (SecretStr(from_keyring), "keyring")
            continue
        stored = _file_store_secret(profile, which)
        if stored:
            values[which] = (SecretStr(stored), "file store (plain text)")
            continue
        answer = prompt(f"{_LABELS[which]} for {profile.host}") if prompt else None
        values[which] = (SecretStr(answer), "prompt") if answer else (None, "none")

    for secret, _source in values.values():
        register_secret(secret)
    api_key, api_source = values["api_key"]
    password, password_source = values.get("client_cert_password", (None, "none"))
    return ResolvedCredentials(
        api_key=api_key,
        api_key_source=api_source,
        client_cert_password=password,
        client_cert_password_source=password_source,
        keyring_status=status,
        keyring_backend=backend,
    )


async def resolve_credentials_async(profile: Profile, **kwargs: Any) -> ResolvedCredentials:
    """`resolve_credentials` in a worker thread, for callers already inside an event loop."""
    return await asyncio.to_thread(resolve_credentials, profile, **kwargs)


def keyring_status(timeout: float = KEYRING_TIMEOUT) -> str:
    status, _, _ = _keyring_lookup([], timeout)
    return status


def store_secret(
    profile: Profile,
    which: SecretName,
    value: SecretStr,
    *,
    store: Literal["keyring", "file"] = "keyring",
    timeout: float = KEYRING_TIMEOUT,
) -> str:
    """Save a secret; returns a description of where it went. Refuses silent plaintext: the
    keyring path fails loudly if only an insecure or no backend exists."""
    if store == "file":
        path = _file_store_path()
        data = _read_file_store(path)
        profiles = data.setdefault("profiles", {})
        profiles.setdefault(profile.name, {})[which] = value.get_secret_value()
        _write_file_store(path, data)
        return f"file store (plain text) at {path}"

    def work() -> str:
        import keyring

        status = _keyring_backend_status(keyring)
        if status == "available":
            keyring.set_password(
                KEYRING_SERVICE, keyring_username(profile, which), value.get_secret_value()
            )
        return status

    finished, result = _run_bounded(work, timeout)
    if not finished:
        status = "unavailable (timeout)"
    elif isinstance(result, BaseException):
        status = "unavailable"
    else:
        status = str(result)
    if status != "available":
        raise ConfigError(
            f"the OS keyring is {status}, so the {_LABELS[which]} was not saved. Use "
            f"`stm-tui login --store file` (a 0600 plain-text file), or set "
            f"{ENV_NAMES[which]} / {ENV_NAMES[which]}_FILE instead"
        )
    return "keyring"
