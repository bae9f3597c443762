"""The forms of the profile and CertCentral workflows, as `FormPlan`s over the store.

Rules beyond the request models (stm-console.md section 3, docs/emulator.md):

- a name already used by another profile of the same kind is refused before anything is sent;
- the algorithm decides whether a key size (RSA) or a curve is asked for;
- "inactive until" asks for the date only when chosen, shown in UTC and local time;
- the hierarchy decides the certificate types (CertCentral: EV or OV; private: PRIVATE), and
  a CertCentral profile is refused while the integration is not connected;
- an edit sends only what changed (unchanged fields are not rewritten), and a form with
  nothing changed cannot be submitted;
- the CertCentral API key is a secret input: masked, no copy or cut, cleared after use; only
  its hint is shown afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from stm_tui.api.models import AccountSettings, CertificateProfile, KeypairProfile, Team
from stm_tui.api.writes import profiles as p
from stm_tui.api.writes import settings as s
from stm_tui.api.writes.keypairs import CURVES, KEY_SIZES
from stm_tui.api.writes.validation import check
from stm_tui.tui.writes.keypair_form import ALGORITHMS, CURVE_LABELS, DEFAULT_CURVE, DEFAULT_SIZE
from stm_tui.tui.writes.plan import FormPlan, PlanFactory
from stm_tui.tui.writes.secret_input import SecretRule
from stm_tui.tui.writes.spec import Choice, FieldSpec, FormSpec, Kind, Values

INFERRED_NOTE = (
    "Fields other than the name are INFERRED (the real service may name them differently). "
    "Nothing is sent yet: the next step shows the exact request."
)
KIND_CHOICES = (Choice("FIXED", "Fixed"), Choice("CUSTOMIZABLE", "Customizable"))
SCOPE_CHOICES = (Choice("ACCOUNT", "Account"), Choice("SYSTEM", "System"))
ACTIVATION_CHOICES = (Choice("NOW", "Active now"), Choice("LATER", "Inactive until…"))
HIERARCHY_CHOICES = (
    Choice("PRIVATE", "Private hierarchy"),
    Choice("PUBLIC", "CertCentral (public)"),
)
REGION_CHOICES = tuple(Choice(k, v) for k, v in s.REGION_NAMES.items())
CC_KEY_RULE = SecretRule(min_length=8, max_length=512)
CC_NEW_KEY_RULE = SecretRule(min_length=0, max_length=512)


def _items(store: Any, name: str) -> list[Any]:
    return list(store.collection(name).items.values())


def _settings(store: Any) -> AccountSettings | None:
    found = _items(store, "account_settings")
    return found[0] if found else None


def _team_choices(store: Any) -> list[Choice]:
    teams: list[Team] = _items(store, "teams")
    return [Choice(t.id, t.name or t.id) for t in teams]


def _used_names(store: Any, collection: str, but: str | None = None) -> dict[str, str]:
    """Lower-cased name -> the name as held, for every profile but `but` (an id)."""
    return {
        (i.name or "").lower(): i.name or i.id
        for i in _items(store, collection)
        if i.id != but and i.name
    }


def _moment(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%dT%H:%MZ")


def _changed(model: Any, original: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a validated request whose value differs from the item's."""
    return {
        name: getattr(model, name)
        for name in model.model_fields_set
        if getattr(model, name) != original.get(name)
    }


# -- keypair profiles ------------------------------------------------------------------------


def _algorithm(values: Values) -> str | None:
    alg = values.get("key_alg")
    return alg if isinstance(alg, str) else None


def _curves(values: Values) -> list[Choice]:
    return [Choice(c, CURVE_LABELS.get(c, c)) for c in CURVES.get(_algorithm(values) or "", ())]


def _on_alg_change(name: str, values: Values) -> dict[str, Any]:
    if name != "key_alg":
        return {}
    alg = values.get("key_alg")
    if alg == "RSA":
        return {"key_size": values.get("key_size") or DEFAULT_SIZE, "curve": None}
    if alg in DEFAULT_CURVE:
        return {"key_size": None, "curve": DEFAULT_CURVE[alg]}
    return {}


def _keypair_profile_fields(store: Any) -> list[FieldSpec]:
    return [
        FieldSpec("name", "Name", "unique among the account's keypair profiles", max_length=100),
        FieldSpec("profile_type", "Kind", "Fixed locks the values; Customizable suggests them",
                  kind=Kind.RADIO, choices=KIND_CHOICES),
        FieldSpec("scope", "Scope", kind=Kind.RADIO, choices=SCOPE_CHOICES),
        FieldSpec("activation", "Active", kind=Kind.RADIO, choices=ACTIVATION_CHOICES),
        FieldSpec("active_from", "Active from", "ISO date-time with a zone",
                  visible=lambda v: v.get("activation") == "LATER"),
        FieldSpec("key_status", "Key status", "OFFLINE keys sign only in an approved release "
                  "window", kind=Kind.RADIO),
        FieldSpec("key_alg", "Algorithm", kind=Kind.CHOICE, choices=ALGORITHMS, blank="choose…"),
        FieldSpec("key_size", "Key size", kind=Kind.CHOICE,
                  choices=[Choice(n, str(n)) for n in KEY_SIZES],
                  visible=lambda v: _algorithm(v) == "RSA"),
        FieldSpec("curve", "Curve", kind=Kind.CHOICE, choices=_curves,
                  visible=lambda v: _algorithm(v) in CURVES),
        FieldSpec("key_type", "Category", kind=Kind.RADIO),
        FieldSpec("key_storage", "Storage", "HSM: the key never leaves the HSM", kind=Kind.RADIO),
        FieldSpec("team_ids", "Teams", "optional: the teams that may use it", kind=Kind.MULTI,
                  choices=_team_choices(store)),
    ]


def create_keypair_profile_plan(store: Any, item: Any, account: str) -> FormPlan:
    used = _used_names(store, "keypair_profiles")

    def validator(data: Values) -> dict[str, str]:
        name = data.get("name")
        if isinstance(name, str) and name.strip().lower() in used:
            return {"name": f"already used by keypair profile {used[name.strip().lower()]}"}
        return {}

    spec = FormSpec(
        title="New keypair profile",
        fields=_keypair_profile_fields(store),
        submit_label="Preview",
        validator=validator,
        on_change=_on_alg_change,
        initial={"key_alg": "RSA", "key_size": DEFAULT_SIZE},
        intro="Nothing is sent yet: the next step shows the exact request.",
    )
    return FormPlan(p.CreateKeypairProfile, spec, p.create_keypair_profile)


def _keypair_profile_values(item: KeypairProfile) -> dict[str, Any]:
    later = (item.status or "").upper() == "INACTIVE" and item.active_from is not None
    return {
        "name": item.name,
        "profile_type": (item.profile_type or "FIXED").upper(),
        "scope": (item.scope or "ACCOUNT").upper(),
        "activation": "LATER" if later else "NOW",
        "active_from": item.active_from if later else None,
        "key_status": item.key_status,
        "key_alg": item.key_alg,
        "key_size": item.key_size,
        "curve": item.curve,
        "key_type": item.key_type,
        "key_storage": item.key_storage or "HSM",
        "team_ids": tuple(t.id for t in item.teams if t.id),
    }


def edit_keypair_profile_plan(store: Any, item: KeypairProfile, account: str) -> FormPlan:
    original = _keypair_profile_values(item)
    used = _used_names(store, "keypair_profiles", but=item.id)
    label = item.name or item.id

    def changes(model: p.UpdateKeypairProfile) -> dict[str, Any]:
        found = _changed(model, original)
        if "active_from" in found or "activation" in found:
            found["activation"] = model.activation
            if model.activation == "LATER":
                found["active_from"] = model.active_from
            else:
                found.pop("active_from", None)
        if {"key_alg", "key_size", "curve"} & found.keys():
            found.update(key_alg=model.key_alg, key_size=model.key_size, curve=model.curve)
        return found

    def validator(data: Values) -> dict[str, str]:
        name = data.get("name")
        if isinstance(name, str) and name.strip().lower() in used:
            return {"name": f"already used by keypair profile {used[name.strip().lower()]}"}
        model, _ = check(p.UpdateKeypairProfile, data)
        if model is not None and not changes(model):
            return {"_": "nothing changed yet"}
        return {}

    def build(model: p.UpdateKeypairProfile) -> Any:
        request = p.UpdateKeypairProfile.model_validate(changes(model))
        return p.update_keypair_profile(item.id, label, request)

    initial = dict(original)
    initial["active_from"] = _moment(item.active_from) if original["active_from"] else ""
    spec = FormSpec(
        title=f"Edit keypair profile {label}",
        fields=_keypair_profile_fields(store),
        submit_label="Preview",
        validator=validator,
        on_change=_on_alg_change,
        initial=initial,
        intro="Only what you change is sent; keypairs generated before keep their values.",
    )
    return FormPlan(p.UpdateKeypairProfile, spec, build)


def require_profile_plan(store: Any, item: Any, account: str) -> FormPlan:
    current = _settings(store)
    now = bool(current and current.require_keypair_profile)

    def validator(data: Values) -> dict[str, str]:
        if bool(data.get("require_keypair_profile")) == now:
            return {"_": f"unchanged: it is {'on' if now else 'off'} now"}
        return {}

    spec = FormSpec(
        title=f"Require a keypair profile in {account}",
        fields=[
            FieldSpec(
                "require_keypair_profile",
                "Require a profile",
                "on: every new keypair must be generated from a keypair profile",
                kind=Kind.BOOL,
            )
        ],
        submit_label="Preview",
        validator=validator,
        initial={"require_keypair_profile": now},
        intro=f"Now: {'on' if now else 'off'}. An account setting (Manage account settings).",
    )

    def build(model: s.UpdateAccountSettings) -> Any:
        return s.set_require_keypair_profile(account, bool(model.require_keypair_profile))

    return FormPlan(s.UpdateAccountSettings, spec, build)


# -- certificate profiles --------------------------------------------------------------------


def _types(values: Values) -> list[Choice]:
    hierarchy = values.get("hierarchy") or "PRIVATE"
    return [Choice(t, t) for t in p.TYPES_OF.get(str(hierarchy), ())]


def _on_hierarchy_change(name: str, values: Values) -> dict[str, Any]:
    if name == "hierarchy":
        allowed = p.TYPES_OF.get(str(values.get("hierarchy")), ())
        if values.get("certificate_type") not in allowed and allowed:
            return {"certificate_type": allowed[0]}
    return {}


def certcentral_problem(store: Any) -> str | None:
    """Why a CertCentral profile cannot be made now, or None (as the emulator judges it)."""
    current = _settings(store)
    cc = (current.certcentral if current else None) or {}
    if not cc.get("configured"):
        return "CertCentral is not set up: set it up first (CertCentral screen, key Z)"
    if cc.get("enabled") is False:
        return "CertCentral is disabled: enable it first (CertCentral screen, key Z)"
    if not cc.get("connected"):
        return "CertCentral is not connected: fix the key first (CertCentral screen, key Z)"
    return None


def _cert_profile_fields(store: Any) -> list[FieldSpec]:
    return [
        FieldSpec("name", "Name", "unique among the account's certificate profiles",
                  max_length=100),
        FieldSpec("hierarchy", "Issued by", kind=Kind.RADIO, choices=HIERARCHY_CHOICES),
        FieldSpec("certificate_type", "Type", "CertCentral: EV or OV; private: PRIVATE",
                  kind=Kind.CHOICE, choices=_types),
        FieldSpec("validity_days", "Validity (days)", "1-3650; public code signing is capped "
                  "at 458 days from 2026-03-01", kind=Kind.NUMBER),
        FieldSpec("allowed_key_algs", "Key algorithms", kind=Kind.MULTI, choices=ALGORITHMS),
        FieldSpec("common_name", "Subject CN", "subject template; empty: the account's name",
                  max_length=64),
        FieldSpec("organization", "Subject O", max_length=64),
        FieldSpec("country", "Subject C", "two capital letters", max_length=2),
        FieldSpec("team_ids", "Teams", "optional: the teams that may use it", kind=Kind.MULTI,
                  choices=_team_choices(store)),
    ]


def _cert_validator(
    store: Any, used: Mapping[str, str]
) -> Callable[[Values], dict[str, str]]:
    def validator(data: Values) -> dict[str, str]:
        out: dict[str, str] = {}
        name = data.get("name")
        if isinstance(name, str) and name.strip().lower() in used:
            out["name"] = f"already used by certificate profile {used[name.strip().lower()]}"
        if data.get("hierarchy") == "PUBLIC":
            problem = certcentral_problem(store)
            if problem:
                out["hierarchy"] = problem
        return out

    return validator


def create_certificate_profile_plan(store: Any, item: Any, account: str) -> FormPlan:
    spec = FormSpec(
        title="New certificate profile",
        fields=_cert_profile_fields(store),
        submit_label="Preview",
        validator=_cert_validator(store, _used_names(store, "certificate_profiles")),
        on_change=_on_hierarchy_change,
        intro=INFERRED_NOTE,
    )
    return FormPlan(p.CreateCertificateProfile, spec, p.create_certificate_profile)


_SUBJECT = ("common_name", "organization", "country")


def edit_certificate_profile_plan(
    store: Any, item: CertificateProfile, account: str
) -> FormPlan:
    template = item.subject_template or {}
    original: dict[str, Any] = {
        "name": item.name,
        "hierarchy": (item.hierarchy or "PRIVATE").upper(),
        "certificate_type": (item.certificate_type or "PRIVATE").upper(),
        "validity_days": item.validity_days,
        "allowed_key_algs": tuple(item.allowed_key_algs),
        **{k: template.get(k) for k in _SUBJECT},
        "team_ids": tuple(
            t.get("id") for t in (getattr(item, "teams", None) or []) if isinstance(t, dict)
        ),
    }
    label = item.name or item.id
    plain_validator = _cert_validator(store, _used_names(store, "certificate_profiles", item.id))

    def changes(model: p.UpdateCertificateProfile) -> dict[str, Any]:
        found = _changed(model, original)
        subject = {
            k: getattr(model, k) if k in model.model_fields_set else None for k in _SUBJECT
        }
        for key in _SUBJECT:
            found.pop(key, None)
        if any(subject[k] != original.get(k) for k in _SUBJECT):
            found.update(subject)  # the template is sent whole
        if "certificate_type" in found or "hierarchy" in found:
            found.update(hierarchy=model.hierarchy, certificate_type=model.certificate_type)
        return found

    def validator(data: Values) -> dict[str, str]:
        found = plain_validator(data)
        if data.get("hierarchy") == original["hierarchy"]:
            found.pop("hierarchy", None)  # an existing CertCentral profile may be edited
        if found:
            return found
        model, _ = check(p.UpdateCertificateProfile, data)
        if model is not None and not changes(model):
            return {"_": "nothing changed yet"}
        return {}

    def build(model: p.UpdateCertificateProfile) -> Any:
        found = {k: v for k, v in changes(model).items() if v is not None}
        request = p.UpdateCertificateProfile.model_validate(found)
        return p.update_certificate_profile(item.id, label, request)

    spec = FormSpec(
        title=f"Edit certificate profile {label}",
        fields=_cert_profile_fields(store),
        submit_label="Preview",
        validator=validator,
        on_change=_on_hierarchy_change,
        initial={k: v for k, v in original.items() if v is not None},
        intro="Only what you change is sent; issued certificates keep their terms. "
        + INFERRED_NOTE.split(". ")[0] + ".",
    )
    return FormPlan(p.UpdateCertificateProfile, spec, build)


def clone_certificate_profile_plan(
    store: Any, item: CertificateProfile, account: str
) -> FormPlan:
    used = _used_names(store, "certificate_profiles")
    label = item.name or item.id

    def validator(data: Values) -> dict[str, str]:
        name = data.get("name")
        if isinstance(name, str) and name.strip().lower() in used:
            return {"name": f"already used by certificate profile {used[name.strip().lower()]}"}
        if (item.hierarchy or "").upper() == "PUBLIC":
            problem = certcentral_problem(store)
            if problem:
                return {"name": problem}
        return {}

    spec = FormSpec(
        title=f"Clone certificate profile {label}",
        fields=[FieldSpec("name", "New name", "the copy is active and has no teams",
                          max_length=100)],
        submit_label="Preview",
        validator=validator,
        initial={"name": f"{label} (copy)"[:100]},
    )

    def build(model: p.CloneCertificateProfile) -> Any:
        return p.clone_certificate_profile(item.id, label, model)

    return FormPlan(p.CloneCertificateProfile, spec, build)


# -- CertCentral -----------------------------------------------------------------------------

KEY_HELP = (
    "made in CertCentral (Automation > API keys, restricted to Orders, Domains and "
    "Organizations); masked, never shown again: only its last four characters are kept"
)


def setup_certcentral_plan(store: Any, item: Any, account: str) -> FormPlan:
    spec = FormSpec(
        title=f"Set up CertCentral for {account}",
        fields=[
            FieldSpec("region", "Located in", "where is your CertCentral account located?",
                      kind=Kind.RADIO, choices=REGION_CHOICES),
            FieldSpec("api_key", "API key", KEY_HELP, kind=Kind.SECRET, secret_rule=CC_KEY_RULE),
        ],
        submit_label="Preview",
        intro="The key is checked with CertCentral at once (validate later with v).",
    )

    def build(model: s.SetCertCentral) -> Any:
        return s.set_certcentral(account, model)

    return FormPlan(s.SetCertCentral, spec, build)


def update_certcentral_plan(store: Any, item: Any, account: str) -> FormPlan:
    current = _settings(store)
    cc = (current.certcentral if current else None) or {}
    region = str(cc.get("region") or "GLOBAL")

    def validator(data: Values) -> dict[str, str]:
        if data.get("region") == region and data.get("api_key") is None:
            return {"_": "nothing to change: pick the other region or type a new key"}
        return {}

    def build(model: s.UpdateCertCentral) -> Any:
        request = s.UpdateCertCentral(
            region=model.region if model.region != region else None, api_key=model.api_key
        )
        return s.update_certcentral(account, request)

    hint = str(cc.get("api_key_hint") or "?")
    spec = FormSpec(
        title=f"Update CertCentral for {account}",
        fields=[
            FieldSpec("region", "Located in", kind=Kind.RADIO, choices=REGION_CHOICES),
            FieldSpec("api_key", "New API key", f"empty: keep the key ending {hint}; "
                      + KEY_HELP.split("; ")[1], kind=Kind.SECRET, secret_rule=CC_NEW_KEY_RULE),
        ],
        submit_label="Preview",
        validator=validator,
        initial={"region": region},
    )
    return FormPlan(s.UpdateCertCentral, spec, build)


PLANS: dict[str, PlanFactory] = {
    "keypair_profile.create": create_keypair_profile_plan,
    "keypair_profile.update": edit_keypair_profile_plan,
    "account_settings.require_keypair_profile": require_profile_plan,
    "certificate_profile.create": create_certificate_profile_plan,
    "certificate_profile.update": edit_certificate_profile_plan,
    "certificate_profile.clone": clone_certificate_profile_plan,
    "certcentral.set": setup_certcentral_plan,
    "certcentral.update": update_certcentral_plan,
}
