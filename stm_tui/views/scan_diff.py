"""Comparing two scans of a project: the findings one has that the other has not.

A finding is matched by its `fingerprint` when the service gives one (INFERRED: the
emulator's stable mark of what was found), else by what it is (category, severity, title,
component, CVE, path); never by its id or byte offset, which change from build to build.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from stm_tui.api.models import Finding, Scan


def finding_key(f: Finding) -> tuple[str, ...]:
    mark = getattr(f, "fingerprint", None)
    if isinstance(mark, str) and mark:
        return ("fingerprint", mark)
    return tuple(
        (v or "").strip().lower()
        for v in (f.category, f.severity, f.title, f.component, f.cve, f.path)
    )


@dataclass(frozen=True)
class ScanDiff:
    before: Scan
    after: Scan
    added: list[Finding]
    removed: list[Finding]
    kept: int

    @property
    def same_project(self) -> bool:
        a = self.before.project.alias if self.before.project else None
        b = self.after.project.alias if self.after.project else None
        return a == b


def diff_scans(before: Scan, after: Scan) -> ScanDiff:
    """What `after` found that `before` did not (added), and the reverse (removed); a
    finding present twice in one and once in the other counts once as added or removed."""
    old = list(before.findings or [])
    new = list(after.findings or [])
    left = Counter(finding_key(f) for f in old)
    added: list[Finding] = []
    for f in new:
        key = finding_key(f)
        if left[key] > 0:
            left[key] -= 1
        else:
            added.append(f)
    right = Counter(finding_key(f) for f in new)
    removed: list[Finding] = []
    for f in old:
        key = finding_key(f)
        if right[key] > 0:
            right[key] -= 1
        else:
            removed.append(f)
    kept = len(new) - len(added)
    return ScanDiff(before, after, added, removed, kept)
