"""The local audit file: one JSON line before every write (intent) and one after (outcome).

It is the user's own record of what this tool did to their STM account, independent of the
server's audit log. It fails closed: if the intent line cannot be written and flushed to disk,
the write is not sent. Each line goes out in a single `write(2)` on an `O_APPEND` descriptor
and is fsynced, so a crash leaves complete lines only (an intent may lack its outcome; an
outcome never lacks its intent).
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from stm_tui.config import ensure_private_dir

FILE_MODE = 0o600
DIR_MODE = 0o700


class AuditUnavailable(Exception):
    """The intent could not be recorded, so the write must not be sent."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who acts, where: the same facts the identity bar shows."""

    user: str
    profile: str
    host: str
    local: str  # user@machine


def _utcnow() -> datetime:
    return datetime.now(UTC)


class AuditFile:
    def __init__(self, path: Path, *, clock: Callable[[], datetime] = _utcnow) -> None:
        self.path = path
        self._clock = clock

    def intent(self, actor: Actor, call: Mapping[str, Any]) -> str:
        """Record that `call` (a `WriteCall.record()`) is about to be sent; returns its id.

        Raises `AuditUnavailable` with the reason when the line is not safely on disk."""
        intent_id = uuid.uuid4().hex
        self._append(
            {
                "kind": "intent",
                "id": intent_id,
                "time": self._stamp(),
                "user": actor.user,
                "profile": actor.profile,
                "host": actor.host,
                "local": actor.local,
                "call": dict(call),
            }
        )
        return intent_id

    def outcome(
        self,
        intent_id: str,
        result: str,
        *,
        status: int | None = None,
        resource_id: str | None = None,
        error: str | None = None,
    ) -> bool:
        """Record how the write ended: `result` is "ok", "failed" or "unknown".

        Never raises: the write has happened (or not) already; a lost outcome line is
        reported by returning False so the caller can say so."""
        line: dict[str, Any] = {
            "kind": "outcome",
            "id": intent_id,
            "time": self._stamp(),
            "result": result,
        }
        if status is not None:
            line["status"] = status
        if resource_id is not None:
            line["resource_id"] = resource_id
        if error is not None:
            line["error"] = error[:500]
        try:
            self._append(line)
        except AuditUnavailable:
            return False
        return True

    def read(self) -> list[dict[str, Any]]:
        """Every complete line (for the in-app view and tests); unreadable lines skipped."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return []
        out: list[dict[str, Any]] = []
        for line in raw.splitlines():
            try:
                value = json.loads(line)
            except ValueError:
                continue
            if isinstance(value, dict):
                out.append(value)
        return out

    # ------------------------------------------------------------------ internals

    def _stamp(self) -> str:
        return self._clock().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def _append(self, line: Mapping[str, Any]) -> None:
        data = (json.dumps(line, ensure_ascii=True, separators=(",", ":")) + "\n").encode()
        try:
            self._ensure_dir()
            fd = os.open(
                self.path,
                os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC,
                FILE_MODE,
            )
        except OSError as exc:
            raise AuditUnavailable(
                f"cannot open the audit file {self.path}: {exc.strerror}"
            ) from None
        try:
            self._check_owner(fd)
            written = os.write(fd, data)
            if written != len(data):
                raise AuditUnavailable(f"short write to the audit file {self.path}")
            os.fsync(fd)
        except OSError as exc:
            raise AuditUnavailable(
                f"cannot write the audit file {self.path}: {exc.strerror}"
            ) from None
        finally:
            os.close(fd)

    def _ensure_dir(self) -> None:
        # Every directory made on the way is private, not only the last (mkdir's `parents`
        # would leave a fresh XDG data dir at the umask's 0775 under umask 002).
        ensure_private_dir(self.path.parent)

    def _check_owner(self, fd: int) -> None:
        info = os.fstat(fd)
        if info.st_uid != os.getuid():
            raise AuditUnavailable(f"the audit file {self.path} belongs to another user")
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise AuditUnavailable(
                f"the audit file {self.path} is writable by others; chmod 600 it"
            )
        if stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
