"""The keypair and certificate forms: specs for `RequestForm` over the real request models.

The rules beyond the model (stm-console.md section 3, docs/api-contract.md):

- the algorithm decides whether a key size (RSA) or a curve (ECDSA, EdDSA) is asked for and
  which curves are offered; changing it picks that algorithm's usual size or curve;
- a *Fixed* keypair profile locks algorithm, size/curve, status and category to its values;
  a *Customizable* one fills them in as defaults;
- the account setting "require a keypair profile" removes the custom option;
- an alias already used in the store is refused before anything is sent;
- certificate profiles are offered only when active and allowing the algorithm.

Everything here reads plain API models handed in by the caller (the coordinator passes the
store's collections), so it can be built and tested without a server.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from stm_tui.api.models import Certificate, CertificateProfile, KeypairProfile, Team, User
from stm_tui.api.writes.keypairs import CURVES, KEY_SIZES
from stm_tui.tui.writes.spec import Choice, FieldSpec, FormSpec, Kind, Lock, Values

ALGORITHMS = (Choice("RSA", "RSA"), Choice("ECDSA", "ECDSA"), Choice("EDDSA", "EdDSA"))
CURVE_LABELS = {"P256": "P-256", "P384": "P-384", "P521": "P-521", "Ed25519": "Ed25519"}
DEFAULT_SIZE = 3072
DEFAULT_CURVE = {"ECDSA": "P256", "EDDSA": "Ed25519"}
# What a Fixed profile decides (the emulator applies the same list).
PROFILE_FIELDS = ("key_alg", "key_size", "curve", "key_status", "key_type")


def _profile_label(profile: KeypairProfile) -> str:
    detail = profile.curve or (str(profile.key_size) if profile.key_size else "")
    kind = "Fixed" if (profile.profile_type or "").upper() == "FIXED" else "Customizable"
    parts = [p for p in (profile.key_alg, detail, profile.key_status, profile.key_type) if p]
    return f"{profile.name or profile.id} ({kind}: {' '.join(parts)})"


def _user_label(user: User) -> str:
    name = user.display_name
    return f"{name} <{user.email}>" if user.email and user.email != name else name


def generate_keypair_form(
    *,
    profiles: Sequence[KeypairProfile] = (),
    certificate_profiles: Sequence[CertificateProfile] = (),
    users: Sequence[User] = (),
    teams: Sequence[Team] = (),
    keypair_aliases: Mapping[str, str] | None = None,
    certificate_aliases: Collection[str] = (),
    require_profile: bool = False,
) -> FormSpec:
    """The "generate keypair" form for `GenerateKeypair`.

    `keypair_aliases` maps each alias in use to how the message names its holder
    ("build-key (RSA 3072, ONLINE)"); `certificate_aliases` are the certificate aliases in use.
    """
    by_id = {p.id: p for p in profiles}
    used = dict(keypair_aliases or {})
    used_certs = set(certificate_aliases)

    def profile(values: Values) -> KeypairProfile | None:
        return by_id.get(values.get("keypair_profile_id") or "")

    def fixed(values: Values) -> KeypairProfile | None:
        chosen = profile(values)
        if chosen is not None and (chosen.profile_type or "").upper() == "FIXED":
            return chosen
        return None

    def locked_by_profile(name: str) -> Any:
        def lock(values: Values) -> Lock | None:
            chosen = fixed(values)
            if chosen is None:
                return None
            return Lock(getattr(chosen, name), f"set by the Fixed profile {chosen.name}")

        return lock

    def algorithm(values: Values) -> str | None:
        alg = values.get("key_alg")
        if alg is None and profile(values) is not None:
            alg = profile(values).key_alg  # type: ignore[union-attr]
        return alg

    def curves(values: Values) -> list[Choice]:
        return [Choice(c, CURVE_LABELS.get(c, c)) for c in CURVES.get(algorithm(values) or "", ())]

    def cert_profiles(values: Values) -> list[Choice]:
        alg = algorithm(values)
        out = []
        for p in certificate_profiles:
            if (p.status or "ACTIVE").upper() not in ("ACTIVE", "ENABLED"):
                continue
            if alg and p.allowed_key_algs and alg not in p.allowed_key_algs:
                continue
            out.append(Choice(p.id, p.name or p.id))
        return out

    def on_change(name: str, values: Values) -> dict[str, Any]:
        if name == "key_alg":
            alg = values.get("key_alg")
            if alg == "RSA":
                return {"key_size": values.get("key_size") or DEFAULT_SIZE, "curve": None}
            if alg in DEFAULT_CURVE:
                return {"key_size": None, "curve": DEFAULT_CURVE[alg]}
        if name == "keypair_profile_id":
            chosen = profile(values)
            if chosen is not None and fixed(values) is None:
                # A Customizable profile's values are the defaults the user starts from.
                return {k: getattr(chosen, k) for k in PROFILE_FIELDS if getattr(chosen, k)}
        return {}

    def duplicates(data: Values) -> dict[str, str]:
        out: dict[str, str] = {}
        alias = data.get("alias")
        if isinstance(alias, str) and alias in used:
            out["alias"] = f"already used by keypair {used[alias]}"
        cert_alias = data.get("cert_alias")
        if isinstance(cert_alias, str) and cert_alias in used_certs:
            out["cert_alias"] = f"already used by certificate {cert_alias}"
        if require_profile and not data.get("keypair_profile_id"):
            out["keypair_profile_id"] = "required: the account requires a keypair profile"
        return out

    def restricted(values: Values) -> bool:
        return bool(values.get("limit_by_users"))

    def with_cert(values: Values) -> bool:
        return bool(values.get("generate_cert"))

    fields = [
        FieldSpec(
            "alias",
            "Alias",
            "3-64 letters, digits, '.', '_', '-'; unique",
            placeholder="build-key",
            max_length=64,
        ),
        FieldSpec(
            "keypair_profile_id",
            "Keypair profile",
            "required by the account settings" if require_profile
            else "optional: a profile sets or suggests the values",
            kind=Kind.CHOICE,
            choices=[Choice(p.id, _profile_label(p)) for p in profiles],
            blank="choose a profile" if require_profile else "custom (no profile)",
        ),
        FieldSpec(
            "key_alg",
            "Algorithm",
            choices=ALGORITHMS,
            default="RSA",
            lock=locked_by_profile("key_alg"),
            blank="from the profile",
        ),
        FieldSpec(
            "key_size",
            "Key size",
            choices=[Choice(s, str(s)) for s in KEY_SIZES],
            default=DEFAULT_SIZE,
            visible=lambda v: algorithm(v) == "RSA",
            lock=locked_by_profile("key_size"),
        ),
        FieldSpec(
            "curve",
            "Curve",
            choices=curves,
            visible=lambda v: algorithm(v) in CURVES,
            lock=locked_by_profile("curve"),
        ),
        FieldSpec(
            "key_storage",
            "Storage",
            "HSM: the key never leaves the HSM",
            kind=Kind.RADIO,
        ),
        FieldSpec(
            "key_status",
            "Status",
            "OFFLINE signs only in an approved release window",
            kind=Kind.RADIO,
            lock=locked_by_profile("key_status"),
        ),
        FieldSpec("key_type", "Category", kind=Kind.RADIO, lock=locked_by_profile("key_type")),
        FieldSpec(
            "limit_by_users",
            "Restricted",
            "on: only the users and teams picked (you, if none)",
        ),
        FieldSpec(
            "users",
            "Users",
            choices=[Choice(u.id, _user_label(u)) for u in users],
            visible=restricted,
        ),
        FieldSpec(
            "groups",
            "Teams",
            choices=[Choice(t.id, t.name or t.id) for t in teams],
            visible=restricted,
        ),
        FieldSpec("generate_cert", "Certificate too", "generate a certificate in the same step"),
        FieldSpec(
            "cert_alias",
            "Certificate alias",
            "3-64 letters, digits, '.', '_' or '-'",
            visible=with_cert,
            max_length=64,
        ),
        FieldSpec(
            "cert_profile_id",
            "Certificate profile",
            "active profiles that allow the algorithm",
            kind=Kind.CHOICE,
            choices=cert_profiles,
            visible=with_cert,
        ),
        FieldSpec("set_as_default_cert", "Make default", visible=with_cert),
    ]
    return FormSpec(
        title="Generate keypair",
        fields=fields,
        submit_label="Preview",
        validator=duplicates,
        on_change=on_change,
        intro="Nothing is sent yet: the next step shows the exact request.",
    )


def generate_certificate_form(
    *,
    keypair_alias: str,
    key_alg: str | None,
    certificate_profiles: Sequence[CertificateProfile] = (),
    certificate_aliases: Collection[str] = (),
) -> FormSpec:
    """The "generate certificate" form for `GenerateCertificate`, for one keypair."""
    used = set(certificate_aliases)
    choices = [
        Choice(p.id, p.name or p.id)
        for p in certificate_profiles
        if (p.status or "ACTIVE").upper() in ("ACTIVE", "ENABLED")
        and (not key_alg or not p.allowed_key_algs or key_alg in p.allowed_key_algs)
    ]

    def duplicates(data: Values) -> dict[str, str]:
        alias = data.get("alias")
        if isinstance(alias, str) and alias in used:
            return {"alias": f"already used by certificate {alias}"}
        return {}

    return FormSpec(
        title=f"Generate a certificate for keypair {keypair_alias}",
        fields=[
            FieldSpec("alias", "Alias", "3-64 letters, digits, '.', '_' or '-'", max_length=64),
            FieldSpec(
                "certificate_profile_id",
                "Profile",
                "active profiles that allow " + (key_alg or "the key's algorithm"),
                kind=Kind.CHOICE,
                choices=choices,
            ),
            FieldSpec("set_as_default_cert", "Make default", "sign with it by default"),
        ],
        submit_label="Preview",
        validator=duplicates,
    )


def changed_fields(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of `after` whose value differs from `before` (picks compared as sets)."""
    out: dict[str, Any] = {}
    for name, value in after.items():
        old = before.get(name)
        if isinstance(value, tuple | list) and isinstance(old, tuple | list):
            if set(value) != set(old):
                out[name] = value
        elif value != old:
            out[name] = value
    return out


def _cert_label(cert: Certificate) -> str:
    to = f", to {cert.valid_to:%Y-%m-%d}" if cert.valid_to else ""
    return f"{cert.alias or cert.id}{to}" + (" (default now)" if cert.default_cert else "")


def update_keypair_form(
    *,
    keypair_alias: str,
    current: Mapping[str, Any],
    certificates: Sequence[Certificate] = (),
    users: Sequence[User] = (),
    teams: Sequence[Team] = (),
    keypair_aliases: Mapping[str, str] | None = None,
) -> FormSpec:
    """The "update keypair" form for `UpdateKeypair`: alias, access, default certificate.

    `current` is the keypair as it is (the form starts there and refuses to preview an
    unchanged keypair); `keypair_aliases` are the aliases of the *other* keypairs.
    """
    used = dict(keypair_aliases or {})
    active = [c for c in certificates if (c.certificate_status or "").upper() == "ACTIVE"]

    def restricted(values: Values) -> bool:
        return bool(values.get("limit_by_users"))

    def check(data: Values) -> dict[str, str]:
        out: dict[str, str] = {}
        alias = data.get("alias")
        if isinstance(alias, str) and alias in used:
            out["alias"] = f"already used by keypair {used[alias]}"
        if not out and not changed_fields(current, data):
            out["_"] = "nothing changed yet"
        return out

    return FormSpec(
        title=f"Update keypair {keypair_alias}",
        fields=[
            FieldSpec("alias", "Alias", "3-64 letters, digits, '.', '_', '-'; unique",
                      max_length=64),
            FieldSpec("limit_by_users", "Restricted",
                      "on: only the users and teams picked; off: open to everyone"),
            FieldSpec("users", "Users", choices=[Choice(u.id, _user_label(u)) for u in users],
                      visible=restricted),
            FieldSpec("groups", "Teams", choices=[Choice(t.id, t.name or t.id) for t in teams],
                      visible=restricted),
            FieldSpec(
                "default_certificate_id",
                "Default certificate",
                "signing uses it unless a certificate is named; ACTIVE ones only",
                kind=Kind.CHOICE,
                choices=[Choice(c.id, _cert_label(c)) for c in active],
                blank="none chosen",
            ),
        ],
        submit_label="Preview",
        validator=check,
        initial=dict(current),
        intro="Only what you change is sent.",
    )


REVOCATION_LABELS = {
    "unspecified": "unspecified",
    "key_compromise": "key compromise",
    "superseded": "superseded",
    "cessation_of_operation": "cessation of operation",
}


def revoke_certificate_form(certificate_alias: str) -> FormSpec:
    """The reason for `RevokeCertificate`; the typed confirmation follows in its own modal."""
    return FormSpec(
        title=f"Revoke certificate {certificate_alias}",
        fields=[
            FieldSpec(
                "reason",
                "Reason",
                "key compromise tells relying parties to distrust past signatures too",
                kind=Kind.CHOICE,
                choices=[Choice(k, v) for k, v in REVOCATION_LABELS.items()],
            )
        ],
        submit_label="Preview",
    )
