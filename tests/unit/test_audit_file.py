"""The local audit file: intent before, outcome after, complete lines, fail closed."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from stm_tui.api.writes.keypairs import delete_keypair
from stm_tui.audit_file import Actor, AuditFile, AuditUnavailable

ACTOR = Actor(user="Lena Lead", profile="default", host="https://stm.example", local="lena@jump")


def test_intent_then_outcome_as_json_lines(tmp_path: Path) -> None:
    audit = AuditFile(tmp_path / "data" / "audit.jsonl")
    call = delete_keypair("kp-1", "build-key")
    intent = audit.intent(ACTOR, call.record())
    assert audit.outcome(intent, "ok", status=204, resource_id="kp-1")
    lines = [json.loads(line) for line in audit.path.read_text().splitlines()]
    assert [line["kind"] for line in lines] == ["intent", "outcome"]
    assert lines[0]["call"]["path"] == "/signingmanager/api/v1/keypairs/kp-1"
    assert lines[0]["host"] == "https://stm.example"
    assert lines[1]["id"] == lines[0]["id"] == intent
    assert stat.S_IMODE(audit.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(audit.path.parent.stat().st_mode) == 0o700


@pytest.mark.parametrize("umask", [0o002, 0o022, 0o077])
def test_modes_do_not_depend_on_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        audit = AuditFile(tmp_path / "d" / "audit.jsonl")
        audit.intent(ACTOR, {"action": "x"})
    finally:
        os.umask(old)
    assert stat.S_IMODE(audit.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(audit.path.parent.stat().st_mode) == 0o700


def test_an_unwritable_audit_file_refuses_the_intent(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o500)
    audit = AuditFile(folder / "audit.jsonl")
    if os.geteuid() == 0:
        # root writes anywhere: make the path itself unusable instead
        (folder / "audit.jsonl").mkdir()
    with pytest.raises(AuditUnavailable, match="audit file"):
        audit.intent(ACTOR, {"action": "x"})
    assert audit.outcome("nope", "ok") is False


def test_a_file_writable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_text("")
    path.chmod(0o666)
    with pytest.raises(AuditUnavailable, match="writable by others"):
        AuditFile(path).intent(ACTOR, {"action": "x"})


def test_a_symlink_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    target.write_text("")
    link = tmp_path / "audit.jsonl"
    link.symlink_to(target)
    with pytest.raises(AuditUnavailable):
        AuditFile(link).intent(ACTOR, {"action": "x"})
    assert target.read_text() == ""


def test_reading_skips_a_torn_last_line(tmp_path: Path) -> None:
    audit = AuditFile(tmp_path / "audit.jsonl")
    audit.intent(ACTOR, {"action": "x"})
    with audit.path.open("a") as fh:
        fh.write('{"kind": "outc')
    assert [line["kind"] for line in audit.read()] == ["intent"]
