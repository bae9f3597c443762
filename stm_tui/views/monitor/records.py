"""The monitor's own small records of signature attempts, release windows and scans.

They are built from whatever the client returned (a pydantic model, or a plain mapping from a
recording), so the monitor does not depend on the shape of the API models or the store. Every
server string is cleaned and bounded here, once: everything downstream (the screen, JSON
lines, CSV, the report) starts from text that is safe for a terminal. Repeated strings (a
keypair alias on 30,000 attempts) are interned so an hour of attempts costs little memory.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from stm_tui.sanitize import clean

# Bounds for server strings kept in memory: ids and names are short in any real service; a
# hostile one is cut (and says so) rather than held at its full size.
ID_LIMIT = 100
NAME_LIMIT = 128
VALUE_LIMIT = 256
MESSAGE_LIMIT = 500
SIGNATURE_LIMIT = 2048  # base64 of an RSA-4096 signature is 684 characters


def field(obj: Any, name: str) -> Any:
    """`obj.name` for a model, `obj[name]` for a mapping, None when absent."""
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def text(value: Any, limit: int = NAME_LIMIT, *, intern: bool = True) -> str:
    cleaned = clean(value, limit=limit)
    return sys.intern(cleaned) if intern and len(cleaned) <= 64 else cleaned


def optional_text(value: Any, limit: int = NAME_LIMIT) -> str | None:
    return None if value is None or value == "" else text(value, limit)


def timestamp(value: Any) -> datetime | None:
    """A datetime (aware, UTC) from a datetime or an ISO-8601 string; None when unreadable."""
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if isinstance(value, str) and 0 < len(value) <= 40:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    return None


def iso(value: datetime | None) -> str | None:
    """The API's own spelling: second precision, `Z`."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value >= 0 else None


@dataclass(frozen=True, slots=True)
class Named:
    """A reference to something with an id and a display name (keypair, user, release)."""

    id: str
    name: str

    @classmethod
    def of(cls, raw: Any, *names: str) -> Named | None:
        ident = field(raw, "id")
        if ident is None or ident == "":
            return None
        label = next((v for v in (field(raw, n) for n in names) if v), None)
        return cls(text(ident, ID_LIMIT), text(label) if label is not None else "")

    def as_dict(self, name_key: str = "name") -> dict[str, str]:
        return {"id": self.id, name_key: self.name}


@dataclass(frozen=True, slots=True)
class Attempt:
    """One entry of the signature log: a signature made, or an attempt refused."""

    id: str
    created_on: datetime | None
    status: str  # SUCCESS or FAILED (any other value is kept, cleaned)
    failure_reason: str | None
    failure_message: str | None
    keypair_id: str | None
    keypair_alias: str
    user_id: str | None
    user_name: str
    release_id: str | None
    release_name: str
    sig_alg: str
    hash: str
    client_ip: str
    keypair_type: str
    signature_type: str
    certificate_id: str | None = None
    certificate_alias: str = ""
    signature: str | None = None  # base64, None for a refused attempt
    # The server's insertion order where it sends one (the emulator does; STM documents
    # none): kept so a JSON line or a recording carries the log's fields unchanged.
    sequence: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "SUCCESS"

    def as_dict(self) -> dict[str, Any]:
        """The API's field names (for JSON lines and recordings)."""
        return {
            "id": self.id,
            "created_on": iso(self.created_on),
            "status": self.status,
            "failure_reason": self.failure_reason,
            "failure_message": self.failure_message,
            "keypair": None
            if self.keypair_id is None
            else {"id": self.keypair_id, "alias": self.keypair_alias},
            "certificate": None
            if self.certificate_id is None
            else {"id": self.certificate_id, "alias": self.certificate_alias},
            "user": None if self.user_id is None else {"id": self.user_id, "name": self.user_name},
            "release": None
            if self.release_id is None
            else {"id": self.release_id, "name": self.release_name},
            "sig_alg": self.sig_alg,
            "hash": self.hash,
            "signature": self.signature,
            "client_ip": self.client_ip,
            "keypair_type": self.keypair_type,
            "signature_type": self.signature_type,
            "sequence": self.sequence,
        }


def attempt_from(raw: Any) -> Attempt | None:
    """An `Attempt` from a signature record (model or mapping); None without an id."""
    ident = field(raw, "id")
    if ident is None or ident == "":
        return None
    keypair = Named.of(field(raw, "keypair"), "alias", "name")
    certificate = Named.of(field(raw, "certificate"), "alias", "name")
    signature = field(raw, "signature")
    user = Named.of(field(raw, "user"), "name", "email")
    release = Named.of(field(raw, "release"), "name")
    status = text(field(raw, "status") or "", 32)
    return Attempt(
        id=text(ident, ID_LIMIT, intern=False),
        created_on=timestamp(field(raw, "created_on")),
        status=status.upper(),
        failure_reason=optional_text(field(raw, "failure_reason"), 64),
        failure_message=optional_text(field(raw, "failure_message"), MESSAGE_LIMIT),
        keypair_id=keypair.id if keypair else None,
        keypair_alias=keypair.name if keypair else "",
        user_id=user.id if user else None,
        user_name=user.name if user else "",
        release_id=release.id if release else None,
        release_name=release.name if release else "",
        sig_alg=text(field(raw, "sig_alg") or "", 40),
        hash=text(field(raw, "hash") or "", VALUE_LIMIT, intern=False),
        client_ip=text(field(raw, "client_ip") or "", 64),
        keypair_type=text(field(raw, "keypair_type") or "", 32),
        signature_type=text(field(raw, "signature_type") or "", 32),
        certificate_id=certificate.id if certificate else None,
        certificate_alias=certificate.name if certificate else "",
        signature=None if not signature else text(signature, SIGNATURE_LIMIT, intern=False),
        sequence=_count(field(raw, "sequence")),
    )


def attempts_from(items: Iterable[Any]) -> list[Attempt]:
    return [a for a in (attempt_from(i) for i in items) if a is not None]


# Server statuses after which a window never opens (again).
FINAL_STATUSES = frozenset({"CLOSED", "REJECTED", "EXPIRED"})


@dataclass(frozen=True, slots=True)
class Window:
    """A release window as the monitor needs it."""

    id: str
    name: str
    release_type: str
    status: str
    start_time: datetime | None
    end_time: datetime | None
    max_signatures: int | None
    signature_count: int | None
    keypairs: tuple[Named, ...]
    signers: tuple[Named, ...]
    block_on_failed_scan: bool
    closed_on: datetime | None = None  # a window closed early: when (its last change)

    @property
    def keypair_ids(self) -> frozenset[str]:
        return frozenset(k.id for k in self.keypairs)

    @property
    def signer_ids(self) -> frozenset[str]:
        return frozenset(u.id for u in self.signers)

    def status_at(self, now: datetime) -> str:
        """The status now: the server derives OPEN and EXPIRED from the times when it is
        asked; between two refreshes the monitor does the same."""
        if self.status in ("CLOSED", "REJECTED", "PENDING_APPROVAL"):
            return self.status
        if self.end_time is not None and now >= self.end_time:
            return "EXPIRED"
        if self.status in ("APPROVED", "OPEN") and (
            self.start_time is None or now >= self.start_time or self.status == "OPEN"
        ):
            return "OPEN"
        return self.status

    def covers(self, when: datetime | None) -> bool:
        """`when` falls inside the window's times (a missing time is open-ended)."""
        if when is None:
            return False
        if self.start_time is not None and when < self.start_time:
            return False
        end = self.effective_end
        return not (end is not None and when >= end)

    @property
    def effective_end(self) -> datetime | None:
        """The end time, or when it was closed, if that was earlier."""
        if self.closed_on is not None and (self.end_time is None or self.closed_on < self.end_time):
            return self.closed_on
        return self.end_time

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "release_type": self.release_type,
            "status": self.status,
            "start_time": iso(self.start_time),
            "end_time": iso(self.end_time),
            "max_signatures": self.max_signatures,
            "signature_count": self.signature_count,
            "keypairs": [k.as_dict("alias") for k in self.keypairs],
            "users": [u.as_dict() for u in self.signers],
            "block_on_failed_scan": self.block_on_failed_scan,
            "modified_on": iso(self.closed_on),
        }


# Watching more keypairs or signers than this in one window is not a real release.
_MAX_REFS = 200


def window_from(raw: Any) -> Window | None:
    ident = field(raw, "id")
    if ident is None or ident == "":
        return None
    keypairs = [Named.of(k, "alias", "name") for k in (field(raw, "keypairs") or [])[:_MAX_REFS]]
    signers = [Named.of(u, "name", "email") for u in (field(raw, "users") or [])[:_MAX_REFS]]
    status = text(field(raw, "status") or "", 32).upper()
    return Window(
        id=text(ident, ID_LIMIT),
        name=text(field(raw, "name") or ident),
        release_type=text(field(raw, "release_type") or "", 32),
        status=status,
        start_time=timestamp(field(raw, "start_time")),
        end_time=timestamp(field(raw, "end_time")),
        max_signatures=_count(field(raw, "max_signatures")),
        signature_count=_count(field(raw, "signature_count")),
        keypairs=tuple(k for k in keypairs if k is not None),
        signers=tuple(u for u in signers if u is not None),
        block_on_failed_scan=field(raw, "block_on_failed_scan") is True,
        closed_on=timestamp(field(raw, "modified_on")) if status == "CLOSED" else None,
    )


@dataclass(frozen=True, slots=True)
class ScanState:
    """A threat scan attached to a release window."""

    id: str
    alias: str
    status: str  # PASS, FAIL, IN_PROGRESS, ERROR
    risk_level: str
    created_on: datetime | None
    deleted: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alias": self.alias,
            "status": self.status,
            "risk_level": self.risk_level,
            "created_on": iso(self.created_on),
            "deleted": self.deleted,
        }


def scan_from(raw: Any) -> ScanState | None:
    ident = field(raw, "id")
    if ident is None or ident == "":
        return None
    return ScanState(
        id=text(ident, ID_LIMIT),
        alias=text(field(raw, "alias") or field(raw, "file_name") or ""),
        status=text(field(raw, "status") or "", 32).upper(),
        risk_level=text(field(raw, "risk_level") or "", 32).upper(),
        created_on=timestamp(field(raw, "created_on")),
        deleted=field(raw, "deleted") is True,
    )
