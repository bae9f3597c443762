"""The demo organisation, as data. The dashboard's snapshot tests render it: change it only
together with those snapshots."""

from __future__ import annotations

from typing import Any

ORG = "Acme Software"
ACCOUNTS = [("Acme Software", True), ("Acme Labs", False)]

# (key, name, email, roles, account indexes, user_type). The Leads also hold Account Manager's
# Account Administrator (to administer people and credentials); everyone else has STM roles
# only, which grant no Account Manager administration (C: N9).
USERS: list[tuple[str, str, str, list[str], list[int], str]] = [
    (
        "lead",
        "Dana Whitfield",
        "dana.whitfield@acme.example",
        ["SSM_LEAD", "AM_ACCOUNT_ADMINISTRATOR"],
        [0, 1],
        "standard",
    ),
    (
        "team_lead",
        "Marcus Oyelaran",
        "marcus.oyelaran@acme.example",
        ["SSM_TEAM_LEAD"],
        [0],
        "standard",
    ),
    ("developer", "Priya Raman", "priya.raman@acme.example", ["SSM_DEVELOPER"], [0, 1], "standard"),
    ("signer", "Tomas Berg", "tomas.berg@acme.example", ["SSM_SIGNER"], [0], "standard"),
    (
        "build_engineer",
        "Kenji Watanabe",
        "kenji.watanabe@acme.example",
        ["SSM_BUILD_ENGINEER"],
        [0],
        "standard",
    ),
    (
        "lena",
        "Lena Fischer",
        "lena.fischer@acme.example",
        ["SSM_TEAM_LEAD", "AM_ACCOUNT_VIEWER"],
        [0],
        "standard",
    ),
    ("omar", "Omar Haddad", "omar.haddad@acme.example", ["SSM_DEVELOPER"], [0], "standard"),
    ("sofia", "Sofia Russo", "sofia.russo@acme.example", ["SSM_DEVELOPER"], [0], "standard"),
    ("grace", "Grace Chen", "grace.chen@acme.example", ["SSM_SIGNER"], [0], "standard"),
    (
        "ivan",
        "Ivan Petrov",
        "ivan.petrov@acme.example",
        ["SSM_LEAD", "AM_ACCOUNT_ADMINISTRATOR"],
        [1],
        "standard",
    ),
    ("ci_bot", "ci-release-bot", "", ["SSM_SIGNER", "SSM_BUILD_ENGINEER"], [0], "service"),
    ("nightly", "nightly-build-svc", "", ["SSM_BUILD_ENGINEER"], [0], "service"),
]

# Standard users who have not enrolled an authenticator yet (a setup step to show).
NO_AUTHENTICATOR = {"omar", "sofia"}

# Pending approval requests: (kind, requester key, keypair alias, reason). Revocation
# requests are for the keypair's default certificate.
APPROVAL_REQUESTS = [
    (
        "KEYPAIR_DELETE",
        "omar",
        "desktop-legacy-signer",
        "Retired with the 3.x installers; its certificate expired",
    ),
    (
        "KEYPAIR_EXPORT",
        "sofia",
        "mobile-android-upload",
        "Escrow copy for the Play Store upload key",
    ),
    (
        "CERTIFICATE_REVOCATION",
        "developer",
        "platform-rpm-repo",
        "Replaced by the 2027 repository certificate",
    ),
]

# (name, description, lead key, member keys)
TEAMS = [
    (
        "Desktop Apps",
        "Windows and macOS desktop clients",
        "team_lead",
        ["developer", "signer", "omar", "ci_bot"],
    ),
    ("Mobile Apps", "Android and iOS applications", "lena", ["sofia", "grace", "build_engineer"]),
    (
        "Platform Services",
        "Backend services, containers and firmware",
        "team_lead",
        ["developer", "build_engineer", "nightly", "ci_bot"],
    ),
]

# Member permissions beyond what the member's role gives (team, member key) -> permissions:
# a Developer of Desktop Apps who approves keypair deletions for the team.
MEMBER_EXTRAS: dict[tuple[str, str], dict[str, bool]] = {
    ("Desktop Apps", "developer"): {"approve_keypair_deletion": True},
    ("Platform Services", "build_engineer"): {"approve_offline_releases": True},
}

KEYPAIR_PROFILES = [
    ("RSA-3072 production (HSM)", "FIXED", "ONLINE", "RSA", 3072, None, "PRODUCTION"),
    ("ECDSA P-256 test", "CUSTOMIZABLE", "ONLINE", "ECDSA", None, "P256", "TEST"),
    ("Ed25519 release keys", "FIXED", "OFFLINE", "EDDSA", None, "Ed25519", "PRODUCTION"),
    ("RSA-4096 offline root signing", "FIXED", "OFFLINE", "RSA", 4096, None, "PRODUCTION"),
]

# (name, hierarchy, type, enrollment, validity days, algs)
CERT_PROFILES = [
    (
        "Private code signing (1 year)",
        "PRIVATE",
        "PRIVATE",
        "PRIVATE_CA",
        365,
        ["RSA", "ECDSA", "EDDSA"],
    ),
    (
        "Private code signing (90 days)",
        "PRIVATE",
        "PRIVATE",
        "PRIVATE_CA",
        90,
        ["RSA", "ECDSA", "EDDSA"],
    ),
    ("EV code signing (CertCentral)", "PUBLIC", "EV", "CC_GENERATE", 365, ["RSA", "ECDSA"]),
    ("OV code signing (CertCentral)", "PUBLIC", "OV", "CC_GENERATE", 365, ["RSA", "ECDSA"]),
]

# Keypairs of the primary account: (alias, alg, size/curve, key_type, status, storage,
# team index or None, cert plan). Cert plans: "active", "expiring" (soon), "expired",
# "revoked", "rotated" (a revoked old one plus an active new one), "none", "public".
KEYPAIRS: list[tuple[str, str, Any, str, str, str, int | None, str]] = [
    ("desktop-win-release", "RSA", 3072, "PRODUCTION", "ONLINE", "HSM", 0, "rotated"),
    ("desktop-mac-release", "RSA", 2048, "PRODUCTION", "ONLINE", "HSM", 0, "public"),
    ("desktop-nightly", "ECDSA", "P256", "TEST", "ONLINE", "DISK", 0, "active"),
    ("desktop-installer-ev", "RSA", 3072, "PRODUCTION", "OFFLINE", "HSM", 0, "public"),
    ("desktop-legacy-signer", "RSA", 2048, "PRODUCTION", "ONLINE", "HSM", 0, "expired"),
    ("desktop-driver-kit", "RSA", 2048, "PRODUCTION", "OFFLINE", "HSM", 0, "active"),
    ("desktop-plugin-sdk", "ECDSA", "P384", "PRODUCTION", "ONLINE", "HSM", 0, "expiring"),
    ("mobile-android-upload", "RSA", 2048, "PRODUCTION", "ONLINE", "HSM", 1, "active"),
    ("mobile-android-test", "ECDSA", "P256", "TEST", "ONLINE", "DISK", 1, "active"),
    ("mobile-ios-enterprise", "ECDSA", "P256", "PRODUCTION", "OFFLINE", "HSM", 1, "expiring"),
    ("mobile-sdk-release", "EDDSA", "Ed25519", "PRODUCTION", "ONLINE", "HSM", 1, "rotated"),
    ("mobile-beta-channel", "ECDSA", "P384", "TEST", "ONLINE", "DISK", 1, "revoked"),
    ("mobile-wearables", "EDDSA", "Ed25519", "TEST", "ONLINE", "DISK", 1, "none"),
    ("platform-container-sign", "ECDSA", "P256", "PRODUCTION", "ONLINE", "HSM", 2, "active"),
    ("platform-firmware-root", "RSA", 4096, "PRODUCTION", "OFFLINE", "HSM", 2, "active"),
    ("platform-firmware-update", "ECDSA", "P521", "PRODUCTION", "OFFLINE", "HSM", 2, "active"),
    ("platform-helm-charts", "EDDSA", "Ed25519", "PRODUCTION", "ONLINE", "HSM", 2, "active"),
    ("platform-rpm-repo", "RSA", 3072, "PRODUCTION", "ONLINE", "HSM", 2, "expiring"),
    ("platform-deb-repo", "RSA", 2048, "PRODUCTION", "ONLINE", "HSM", 2, "active"),
    ("platform-sbom-attest", "ECDSA", "P384", "PRODUCTION", "ONLINE", "HSM", 2, "active"),
    ("platform-canary", "ECDSA", "P256", "TEST", "ONLINE", "DISK", 2, "expired"),
    ("platform-terraform-mods", "EDDSA", "Ed25519", "PRODUCTION", "ONLINE", "DISK", 2, "revoked"),
    ("shared-codesign-ev", "RSA", 3072, "PRODUCTION", "ONLINE", "HSM", None, "public"),
    ("shared-timestamp-test", "ECDSA", "P521", "TEST", "ONLINE", "DISK", None, "active"),
    ("shared-docs-signing", "EDDSA", "Ed25519", "PRODUCTION", "ONLINE", "HSM", None, "active"),
    ("shared-powershell", "RSA", 2048, "PRODUCTION", "ONLINE", "HSM", None, "expiring"),
    ("shared-java-jars", "RSA", 3072, "PRODUCTION", "ONLINE", "HSM", None, "active"),
    ("shared-nuget-packages", "ECDSA", "P256", "PRODUCTION", "ONLINE", "HSM", None, "rotated"),
    ("shared-vsix-extensions", "RSA", 2048, "TEST", "ONLINE", "DISK", None, "none"),
    ("shared-archive-2023", "RSA", 2048, "PRODUCTION", "OFFLINE", "HSM", None, "expired"),
    ("shared-suspended-key", "ECDSA", "P384", "PRODUCTION", "ONLINE", "HSM", None, "active"),
    ("shared-python-wheels", "EDDSA", "Ed25519", "PRODUCTION", "ONLINE", "HSM", None, "active"),
    ("shared-msix-bundles", "RSA", 2048, "PRODUCTION", "ONLINE", "HSM", None, "active"),
    ("shared-gpg-bridge", "ECDSA", "P384", "TEST", "ONLINE", "DISK", None, "none"),
]
# Suspended keypairs: key_status OFFLINE (C: N6), with a Suspend entry in the audit log.
SUSPENDED = {"shared-suspended-key", "mobile-beta-channel"}
OPEN_KEYPAIRS = {
    "shared-timestamp-test",
    "shared-docs-signing",
    "desktop-nightly",
    "mobile-android-test",
    "platform-canary",
}  # limit_by_users false

LABS_KEYPAIRS: list[tuple[str, str, Any, str, str, str, int | None, str]] = [
    ("labs-research-proto", "ECDSA", "P256", "TEST", "ONLINE", "DISK", None, "active"),
    ("labs-ml-models", "EDDSA", "Ed25519", "PRODUCTION", "ONLINE", "HSM", None, "active"),
    ("labs-edge-firmware", "RSA", 2048, "PRODUCTION", "OFFLINE", "HSM", None, "active"),
    ("labs-old-prototype", "ECDSA", "P384", "TEST", "ONLINE", "DISK", None, "expired"),
]
