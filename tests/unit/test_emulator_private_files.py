"""The emulator's private files (credentials, keys, the CA) appear whole: written beside
their name and renamed, 0600, never through a link someone left at the name."""

from __future__ import annotations

import stat
from pathlib import Path

from stm_tui.emulator.tls import write_private


def test_a_private_file_is_written_whole_0600_and_leaves_nothing_beside_it(
    tmp_path: Path,
) -> None:
    path = tmp_path / "creds" / "credentials.json"
    write_private(path, b'{"first": 1}')
    write_private(path, b'{"second": 2}')
    assert path.read_bytes() == b'{"second": 2}'
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["credentials.json"]


def test_a_link_at_the_name_is_replaced_not_written_through(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    path = tmp_path / "credentials.json"
    path.symlink_to(victim)
    write_private(path, b"{}")
    assert victim.read_bytes() == b"keep me"
    assert not path.is_symlink() and path.read_bytes() == b"{}"
