"""Every file stm-tui writes is 0600 in a 0700 directory, whatever the umask; every secret-
bearing file it reads is refused when others may read or write it or it is not the user's
(reliability checklist 4, issue 16 item 2).

`WRITERS` runs each writer of the product in a fresh home (nothing exists yet, so it also
creates the directories above its file) under umasks 002, 022 and 077, and then walks the
whole tree: no file looser than 0600 and no directory looser than 0700 anywhere, not only
the file's own. `READERS` feeds each reader a file the wrong way round.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

from stm_tui.api.errors import ConfigError
from stm_tui.api.models import Keypair
from stm_tui.api.writes.keypairs import suspend_keypair
from stm_tui.audit_file import Actor, AuditFile
from stm_tui.cache.file import CacheFile, Owner
from stm_tui.cache.paths import inventory_dir
from stm_tui.commands.demo import write_env_file, write_pid_file
from stm_tui.config import Profile, app_paths, load_profile
from stm_tui.credentials import resolve_credentials, store_secret
from stm_tui.emulator.db import Database
from stm_tui.session import default_audit_path
from stm_tui.views import export
from stm_tui.views.monitor.alerts import AlertConfig
from stm_tui.views.monitor.recording import Recorder

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
ACTOR = Actor(user="Lena", profile="default", host="https://stm.example", local="lena@jump")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A user whose XDG directories do not exist yet; the current directory is theirs."""
    root = tmp_path / "home"
    for name, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        monkeypatch.setenv(name, str(root / sub))
    monkeypatch.setenv("HOME", str(root))
    root.mkdir(mode=0o700)  # the home exists; what stm-tui keeps in it does not yet
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    monkeypatch.chdir(work)
    yield root


def _credential_store(_home: Path) -> None:
    store_secret(Profile(host="https://stm.example"), "api_key", SecretStr("k" * 24), store="file")


def _audit_file(_home: Path) -> None:
    AuditFile(default_audit_path()).intent(ACTOR, suspend_keypair("kp-1", "build").record())


def _exports(_home: Path) -> None:
    export.write_csv("keypairs", ["alias"], [["build"]], NOW)
    export.write_json("keypairs", [Keypair.model_validate({"id": "kp-1"})], NOW)


def _exports_without_a_writable_directory(home: Path) -> None:
    # The current directory is not writable: exports go to the data directory instead.
    real = os.access

    def access(path: object, mode: int, **kw: object) -> bool:
        return False if Path(str(path)) == Path.cwd() else real(str(path), mode)

    os.access = access
    try:
        made = export.write_csv("keypairs", ["alias"], [["build"]], NOW)
    finally:
        os.access = real
    assert home in made.parents


def _emulator_database(home: Path) -> Database:
    path = home / "data" / "stm-tui" / "emulator" / "emulator.sqlite3"
    db = Database(path)
    with db.tx() as c:
        c.execute("INSERT INTO settings (id, data) VALUES ('a', '{}')")
    # Still open (returned, so held): the -wal and -shm files exist and are checked too.
    assert path.with_name(path.name + "-wal").exists()
    assert path.with_name(path.name + "-shm").exists()
    return db


def _demo_files(home: Path) -> None:
    (home / "tmp").mkdir(mode=0o700)
    folder = home / "tmp" / "stm-tui-demo-x"
    folder.mkdir()
    folder.chmod(0o700)  # what mkdtemp gives the demo
    write_pid_file(folder)
    write_env_file(folder, "http://127.0.0.1:1", "k" * 24)


def _inventory_cache(_home: Path) -> CacheFile:
    cache = CacheFile(inventory_dir(), Owner("default", "https://stm.example", "user-1"))
    cache.open()
    assert cache.usable, cache.note
    cache.save("keypairs", [Keypair.model_validate({"id": "kp-1", "alias": "build"})], [], NOW,
               complete=True)
    return cache  # open, so SQLite's side files are checked too


def _monitor_recording(_home: Path) -> None:
    # Where the user points `watch --record`; the file is private whatever the umask.
    recorder = Recorder(Path.cwd() / "release.jsonl", config=AlertConfig(), started=NOW)
    recorder.close()


WRITERS: dict[str, Callable[[Path], object]] = {
    "inventory cache": _inventory_cache,
    "monitor recording": _monitor_recording,
    "credential file store": _credential_store,
    "audit file": _audit_file,
    "exports": _exports,
    "exports without a writable directory": _exports_without_a_writable_directory,
    "emulator database": _emulator_database,
    "demo env and pid files": _demo_files,
}


def loose(root: Path) -> list[str]:
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        limit = 0o700 if path.is_dir() else 0o600
        if mode & ~limit:
            found.append(f"{path.relative_to(root.parent)} {mode:o}")
    return found


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077], ids=["002", "022", "077"])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_every_file_written_is_private_and_so_is_every_directory_made_for_it(
    home: Path, writer: str, umask: int
) -> None:
    old = os.umask(umask)
    try:
        held = WRITERS[writer](home)  # a database stays open while its files are checked
    finally:
        os.umask(old)
    work = Path.cwd()
    files = [p for p in [*home.rglob("*"), *work.rglob("*")] if p.is_file()]
    assert files, f"{writer} wrote nothing"
    assert loose(home) == [] and loose(work) == []
    del held


# -- reading: refused when others could read or change it, or it is not ours ---------------


def _secret_file(path: Path, _home: Path) -> None:
    resolve_credentials(Profile(host="https://stm.example"), env={"SM_API_KEY_FILE": str(path)},
                        use_keyring=False)


def _password_file(path: Path, home: Path) -> None:
    p12 = home / "client.p12"
    p12.write_bytes(b"not read first")
    p12.chmod(0o600)
    resolve_credentials(
        Profile(host="https://stm.example", client_cert_file=p12),
        env={"SM_API_KEY": "k" * 24, "SM_CLIENT_CERT_PASSWORD_FILE": str(path)},
        use_keyring=False,
    )


def _credential_store_file(path: Path, _home: Path) -> None:
    target = app_paths().secrets_file
    target.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    os.replace(path, target)
    resolve_credentials(Profile(host="https://stm.example"), env={}, use_keyring=False)


def _client_certificate(path: Path, _home: Path) -> None:
    from stm_tui.api.tls import build_ssl_context

    build_ssl_context(client_cert_file=path, client_cert_password=SecretStr("x"))


def _config_file(path: Path, _home: Path) -> None:
    target = app_paths().config_file
    target.parent.mkdir(parents=True, mode=0o700, exist_ok=True)
    path.write_text('[profiles.default]\nhost = "https://stm.example"\n')
    os.replace(path, target)
    load_profile(None, env={})


READERS: dict[str, Callable[[Path, Path], None]] = {
    "SM_API_KEY_FILE": _secret_file,
    "SM_CLIENT_CERT_PASSWORD_FILE": _password_file,
    "credential file store": _credential_store_file,
    "client certificate (.p12)": _client_certificate,
    "config file": _config_file,
}
# The config file holds no secret: readable by others is fine, writable by them is not.
SECRET_READERS = [name for name in READERS if name != "config file"]


def _prepare(home: Path, mode: int, owner: int | None) -> Path:
    path = home / "given"
    path.write_text('{"profiles": {}}')
    path.chmod(mode)
    if owner is not None:
        os.chown(path, owner, owner)
    return path


@pytest.mark.parametrize("reader", list(READERS))
@pytest.mark.parametrize("mode", [0o620, 0o602], ids=["group-writable", "world-writable"])
def test_a_file_others_can_write_is_refused_with_what_to_do(
    home: Path, reader: str, mode: int
) -> None:
    path = _prepare(home, mode, None)
    with pytest.raises(ConfigError) as info:
        READERS[reader](path, home)
    assert "chmod" in info.value.message, info.value.message


@pytest.mark.parametrize("reader", SECRET_READERS)
def test_a_secret_file_others_can_read_is_refused(home: Path, reader: str) -> None:
    path = _prepare(home, 0o644, None)
    with pytest.raises(ConfigError) as info:
        READERS[reader](path, home)
    assert "readable by other users" in info.value.message and "chmod 600" in info.value.message


@pytest.mark.parametrize("reader", list(READERS))
def test_a_file_of_another_user_is_refused(home: Path, reader: str) -> None:
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    path = _prepare(home, 0o600, 54321)
    with pytest.raises(ConfigError) as info:
        READERS[reader](path, home)
    assert "not owned" in info.value.message, info.value.message
