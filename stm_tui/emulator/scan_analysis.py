"""The emulator's threat scan: a real look at the uploaded bytes, within reason.

- malware: the EICAR test string (the industry's harmless "this is a virus" marker);
- secrets: PEM private keys, AWS access key ids, GitHub personal access tokens, and API keys
  shaped like DigiCert ONE's (26 hex, `_`, 64 hex);
- vulnerabilities: a small table of library version strings with known CVEs;
- tampering: a checksum that differs from the previous scan of the same project and version.

Findings never quote a secret: they name its kind and where it sits (byte offset). The
status is FAIL when anything but a LOW or MEDIUM vulnerability is found; the risk level is
the worst finding's severity (NONE without findings)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

SEVERITIES = ("NONE", "LOW", "MEDIUM", "HIGH", "CRITICAL")
CATEGORIES = ("malware", "vulnerabilities", "secrets", "licenses", "tampering")

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

# (pattern, title, severity)
SECRET_PATTERNS: tuple[tuple[re.Pattern[bytes], str, str], ...] = (
    (
        re.compile(rb"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----"),
        "PEM private key embedded",
        "CRITICAL",
    ),
    (
        re.compile(rb"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])"),
        "AWS access key id embedded",
        "HIGH",
    ),
    (
        re.compile(rb"(?<![A-Za-z0-9_])ghp_[A-Za-z0-9]{36}(?![A-Za-z0-9])"),
        "GitHub personal access token embedded",
        "HIGH",
    ),
    (
        re.compile(rb"(?<![0-9a-fA-F])[0-9a-f]{26}_[0-9a-f]{64}(?![0-9a-fA-F])"),
        "DigiCert ONE API key embedded",
        "CRITICAL",
    ),
)

# (the version string as it appears in a binary or a manifest, component, CVE, severity, title)
VULNERABLE: tuple[tuple[bytes, str, str, str, str], ...] = (
    (
        b"log4j-core-2.14.1",
        "log4j-core 2.14.1",
        "CVE-2021-44228",
        "CRITICAL",
        "Log4Shell: remote code execution through JNDI lookups",
    ),
    (
        b"OpenSSL 1.0.1f",
        "OpenSSL 1.0.1f",
        "CVE-2014-0160",
        "HIGH",
        "Heartbleed: TLS heartbeat over-read",
    ),
    (b"zlib 1.2.11", "zlib 1.2.11", "CVE-2018-25032", "HIGH", "zlib deflate memory corruption"),
    (
        b"struts2-core-2.3.31",
        "struts2-core 2.3.31",
        "CVE-2017-5638",
        "CRITICAL",
        "Struts Jakarta multipart remote code execution",
    ),
    (b"libwebp 1.3.1", "libwebp 1.3.1", "CVE-2023-4863", "HIGH", "libwebp heap buffer overflow"),
    (
        b"jquery-3.4.1",
        "jquery 3.4.1",
        "CVE-2020-11022",
        "MEDIUM",
        "jQuery cross-site scripting in htmlPrefilter",
    ),
    (
        b"lodash-4.17.15",
        "lodash 4.17.15",
        "CVE-2020-8203",
        "LOW",
        "lodash prototype pollution in zipObjectDeep",
    ),
)


@dataclass
class Finding:
    category: str
    severity: str
    title: str
    detail: str
    component: str
    cve: str | None
    offset: int | None

    def as_dict(self, finding_id: str, path: str) -> dict[str, Any]:
        # Stable across scans of different files, so two scans can be compared.
        mark = f"{self.category}|{self.title}|{self.component}|{self.cve}".encode()
        return {
            "id": finding_id,
            "fingerprint": hashlib.sha256(mark).hexdigest()[:16],
            "category": self.category,
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "component": self.component,
            "cve": self.cve,
            "path": path,
            "offset": self.offset,
        }


def analyse(
    data: bytes, previous_checksum: str | None, previous_alias: str | None
) -> list[Finding]:
    findings: list[Finding] = []
    at = data.find(EICAR)
    if at >= 0:
        findings.append(
            Finding(
                "malware",
                "CRITICAL",
                "EICAR test file",
                f"The EICAR anti-virus test string was found at byte {at}.",
                "EICAR-Test-File",
                None,
                at,
            )
        )
    for pattern, title, severity in SECRET_PATTERNS:
        for match in pattern.finditer(data):
            findings.append(
                Finding(
                    "secrets",
                    severity,
                    title,
                    f"{title} at byte {match.start()} ({match.end() - match.start()} bytes);"
                    " rotate it: anyone with the file has it.",
                    "embedded credential",
                    None,
                    match.start(),
                )
            )
    for needle, component, cve, severity, title in VULNERABLE:
        at = data.find(needle)
        if at >= 0:
            findings.append(
                Finding(
                    "vulnerabilities",
                    severity,
                    title,
                    f"{component} ({cve}) found at byte {at}.",
                    component,
                    cve,
                    at,
                )
            )
    checksum = sha1_hex(data)
    if previous_checksum is not None and previous_checksum != checksum:
        findings.append(
            Finding(
                "tampering",
                "HIGH",
                "Checksum changed for the same version",
                f"SHA-1 {checksum} differs from {previous_checksum} of the earlier scan"
                f" {previous_alias} of this project and version: the file changed without a"
                " new version.",
                "release artifact",
                None,
                None,
            )
        )
    return findings


def sha1_hex(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()  # noqa: S324 (the checksum smctl prints, C: N14)


def verdict(findings: list[dict[str, Any]]) -> tuple[str, str, dict[str, int]]:
    """(status PASS|FAIL, risk level, counts per category)."""
    counts = dict.fromkeys(CATEGORIES, 0)
    for f in findings:
        counts[f["category"]] += 1
    risk = max((f["severity"] for f in findings), key=SEVERITIES.index, default="NONE")
    failing = any(
        f["category"] not in ("vulnerabilities", "licenses")
        or f["severity"] in ("HIGH", "CRITICAL")
        for f in findings
    )
    return ("FAIL" if failing else "PASS"), risk, counts
