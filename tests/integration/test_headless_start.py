"""The dashboard starts on a headless host (reliability checklist 1-2, issue 16 item 1):
with no keyring at all, and with a keyring that hangs in `get_password`, it is up well
within its bound (the keyring lookup gives up after 3 s and the next source is used), and
its connection view (`I`) names the source the key really came from and the keyring's
state."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from stm_tui.config import load_profile
from stm_tui.emulator.server import EmulatorServer
from tests.pty import PtyRun, cli_env

REPO = Path(__file__).resolve().parents[2]
# Generous: a start is about 1 s; a keyring lookup that never gave up would never get there.
UP_WITHIN = 30.0


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_with_no_keyring_the_dashboard_starts_and_leaves_only_its_private_inventory_cache(
    emulator: EmulatorServer, tmp_path: Path
) -> None:
    key = emulator.credentials["users"]["lead"]["api_key"]
    with PtyRun.stm_tui(tmp_path, SM_HOST=emulator.url, SM_API_KEY=key) as run:
        run.wait_for(b"Overview", limit=UP_WITHIN)
        run.wait_for(b"Lead", limit=UP_WITHIN)  # the identity bar: the key worked
        run.send(b"I")  # the connection view says where the key came from
        run.wait_for(b"environment variable SM_API_KEY", limit=UP_WITHIN)
        run.wait_for(b"unavailable (fail Keyring)", limit=UP_WITHIN)
        run.send(b"qq")  # the first closes the view (Esc would read as alt+q), then quit
        assert run.finish() == 0
    assert key.encode() not in run.output
    for folder in ("config", "data", "state"):
        assert files_under(tmp_path / folder) == [], folder
    # The one file a start writes: the documented local inventory cache (no secret in it),
    # private to the user.
    (cache,) = files_under(tmp_path / "cache")
    assert cache.parent == tmp_path / "cache" / "stm-tui" / "inventory"
    assert cache.suffix == ".sqlite3" and cache.stat().st_mode & 0o777 == 0o600
    assert key.encode() not in cache.read_bytes()


def test_a_keyring_hanging_in_get_password_does_not_hold_the_dashboard(
    emulator: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = emulator.credentials["users"]["lead"]["api_key"]
    # The key is in the opt-in file store, so the keyring is asked for it first (and hangs).
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    profile = load_profile(None, env={"SM_HOST": emulator.url})
    store = tmp_path / "config" / "stm-tui"
    store.mkdir(parents=True, mode=0o700)
    (tmp_path / "config").chmod(0o700)
    secrets = store / "credentials.json"
    secrets.write_text(json.dumps({"profiles": {profile.name: {"api_key": key}}}))
    secrets.chmod(0o600)
    mark = tmp_path / "keyring-was-asked"
    env = {
        "SM_HOST": emulator.url,
        "PYTHON_KEYRING_BACKEND": "tests.hanging_keyring.HangingKeyring",
        "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
        "STM_TEST_KEYRING_MARK": str(mark),
    }
    with PtyRun([], cli_env(tmp_path, **env)) as run:
        run.wait_for(b"Overview", limit=UP_WITHIN)
        run.wait_for(b"Lead", limit=UP_WITHIN)  # the key from the file store worked
        assert mark.exists()  # the keyring was asked, and never answered
        run.send(b"I")  # the connection view: the key's real source, the keyring's state
        run.wait_for(b"file store (plain text)", limit=UP_WITHIN)
        run.wait_for(b"timed out (", limit=UP_WITHIN)
        run.wait_for(b"given up on, not used", limit=UP_WITHIN)
        run.send(b"qq")  # the first closes the view (Esc would read as alt+q), then quit
        assert run.finish() == 0
    assert key.encode() not in run.output
