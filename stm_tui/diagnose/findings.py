"""What the doctor found: one `Finding` per check, in the order a connection is built up, and
the `Report` that turns them into an exit code and a JSON document.

Exit codes (documented in `stm-tui doctor --help` and docs/configuration.md) extend the
CLI's own: 0 ok, 2 configuration, 3 the API key (or the caller's permissions), 5 the host
cannot be reached or TLS fails, 6 the second factor (client certificate) is missing, cannot be
opened or is refused, 7 the clocks disagree, 8 a credential has expired (or, with --strict,
expires soon). The first failed line, in report order, decides: each line depends on the
ones above it, so the first failure is the one to fix first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skip"]
STATUSES: tuple[Status, ...] = ("ok", "warn", "fail", "skip")

EXIT_OK = 0
EXIT_CONFIG = 2
EXIT_AUTH = 3
EXIT_UNREACHABLE = 5
EXIT_SECOND_FACTOR = 6
EXIT_CLOCK = 7
EXIT_EXPIRY = 8

EXIT_CODES: Mapping[int, str] = {
    EXIT_OK: "everything signing needs works",
    EXIT_CONFIG: "configuration: no host, an unreadable profile or secret file",
    EXIT_AUTH: "the API key is missing or refused, or the caller may not sign",
    EXIT_UNREACHABLE: "the host cannot be reached (DNS, TCP, TLS, certificate chain) or is "
    "failing",
    EXIT_SECOND_FACTOR: "the client certificate (second factor) is missing, cannot be opened "
    "or is refused",
    EXIT_CLOCK: "this machine's clock and the server's differ by more than a minute",
    EXIT_EXPIRY: "a credential has expired (with --strict also: expires within --within days)",
}

# JSON document version: bump when a field changes meaning or goes away (adding is fine).
SCHEMA = "stm-tui.doctor/1"


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of the checklist.

    `summary` and `fix` are already safe to print (server text went through the sanitiser
    where the finding was made); `data` holds the machine-readable facts for `-o json`, never
    a secret; `code` is the exit code this line stands for when it fails (or warns, under
    --strict)."""

    id: str
    title: str
    status: Status
    summary: str
    fix: str | None = None
    code: int = EXIT_OK
    data: Mapping[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "summary": self.summary,
            "fix": self.fix,
            "exit_code": self.code if self.status in ("fail", "warn") else EXIT_OK,
            "data": dict(self.data),
        }


def ok(id: str, title: str, summary: str, **data: Any) -> Finding:
    return Finding(id, title, "ok", summary, data=data)


def skip(id: str, title: str, summary: str, **data: Any) -> Finding:
    return Finding(id, title, "skip", summary, data=data)


def warn(id: str, title: str, summary: str, fix: str | None, code: int, **data: Any) -> Finding:
    return Finding(id, title, "warn", summary, fix, code, data)


def fail(id: str, title: str, summary: str, fix: str | None, code: int, **data: Any) -> Finding:
    return Finding(id, title, "fail", summary, fix, code, data)


@dataclass(slots=True)
class Report:
    profile: str
    host: str
    findings: list[Finding] = field(default_factory=list)

    def add(self, finding: Finding) -> Finding:
        self.findings.append(finding)
        return finding

    def extend(self, findings: Iterable[Finding]) -> None:
        self.findings.extend(findings)

    def get(self, id: str) -> Finding | None:
        return next((f for f in self.findings if f.id == id), None)

    def first_problem(self, *, strict: bool = False) -> Finding | None:
        failed = next((f for f in self.findings if f.status == "fail"), None)
        if failed is not None or not strict:
            return failed
        return next((f for f in self.findings if f.status == "warn"), None)

    def exit_code(self, *, strict: bool = False) -> int:
        problem = self.first_problem(strict=strict)
        return EXIT_OK if problem is None else problem.code

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for f in self.findings if f.status == s) for s in STATUSES}

    def as_json(self, *, strict: bool = False) -> dict[str, Any]:
        code = self.exit_code(strict=strict)
        return {
            "schema": SCHEMA,
            "profile": self.profile or None,
            "host": self.host or None,
            "ok": code == EXIT_OK,
            "exit_code": code,
            "strict": strict,
            "counts": self.counts(),
            "checks": [f.as_json() for f in self.findings],
        }
