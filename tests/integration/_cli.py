"""Running `stm-tui` as a user does: a subprocess with a private HOME and XDG dirs, no usable
keyring (a headless jump host), no stdin."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def cli_env(tmp_path: Path, **env: str) -> dict[str, str]:
    base = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path / "home"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "NO_PROXY": "127.0.0.1,localhost",
    }
    return {**base, **env}


def run_cli(
    tmp_path: Path,
    *args: str,
    input: str | None = None,
    timeout: float = 60,
    env: Mapping[str, str] | None = None,
    **more_env: str,
) -> subprocess.CompletedProcess[str]:
    """`env` for a built mapping (typed apart from `input` and `timeout`), `more_env` inline."""
    return subprocess.run(
        [sys.executable, "-m", "stm_tui", *args],
        env=cli_env(tmp_path, **{**(env or {}), **more_env}),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        stdin=None if input is not None else subprocess.DEVNULL,
    )
