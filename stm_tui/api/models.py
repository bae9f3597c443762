"""Pydantic v2 models of the STM and Account Manager resources.

Field names are the API's. Every model keeps unknown fields (`extra="allow"`) and all fields
but `id` are optional, so a server that adds or drops a field never breaks a screen. Binary
fields stay base64 strings; decoded views turn them into `cryptography` objects.

Memory matters: a dashboard holds 100,000 certificates (and each keypair embeds its own
certificates again). So a certificate keeps only a small summary of its display fields, full
`x509` objects live in a bounded LRU, and the bookkeeping pydantic keeps per model (the set of
fields that were sent) is shared between models with the same set (`stm_tui.memory`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Annotated, Any, Generic, Self, TypeVar, overload

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator

from stm_tui import memory


def _as_utc(value: datetime) -> datetime:
    # The API sends `Z` timestamps, but one nested field is documented without a zone: read
    # naive values as UTC so every comparison in the app is between aware datetimes.
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


Timestamp = Annotated[datetime, AfterValidator(_as_utc)]


class ApiModel(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)

    @model_validator(mode="after")
    def _share_fields_set(self) -> Self:
        memory.share_fields_set(self)
        return self

    def __setattr__(self, name: str, value: Any) -> None:
        memory.own_fields_set(self)
        super().__setattr__(name, value)


class Resource(ApiModel):
    id: str


class SharedValue(ApiModel):
    """A small nested value (a reference, a chain entry) that many items carry identically:
    equal ones are one shared, frozen instance (a certificate carries seven references)."""

    model_config = ConfigDict(frozen=True)

    def __init__(self, /, **data: Any) -> None:
        with memory.constructing():
            super().__init__(**data)

    memory.mark_pydantic_init(__init__)

    @model_validator(mode="after")
    def _shared_instance(self) -> Self:
        return memory.shared_instance(self)


class Ref(SharedValue):
    """A nested reference such as `{"id", "name"}` or `{"id", "alias"}`."""

    id: str | None = None
    name: str | None = None
    alias: str | None = None


def _colon_hex(digest: bytes) -> str:
    return digest.hex(":").upper()


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        return None


# ---------------------------------------------------------------- Account Manager


class SignInMethod(ApiModel):
    """One of an account's sign-in methods; Account Manager words these keys in camelCase
    (stm-api.md N10)."""

    signInMethod: str | None = None
    status: str | None = None
    mfaStatus: str | None = None
    clientAuthCertLoginEnabled: bool | None = None


class Account(Resource):
    name: str | None = None
    status: str | None = None
    organization_id: str | None = None
    cert_central_integration_allowed: bool | None = None
    created_at: Timestamp | None = None
    sign_in_methods: list[SignInMethod] = Field(default_factory=list)

    @property
    def mfa_required(self) -> bool | None:
        """Whether the account requires two-factor sign-in (the standard method's
        `mfaStatus`); None when the account does not say."""
        for method in self.sign_in_methods:
            if (method.signInMethod or "standard") == "standard" and method.mfaStatus:
                return method.mfaStatus.lower() == "enabled"
        return None


class RoleRef(ApiModel):
    id: str | None = None
    code: str | None = None
    name: str | None = None


class Application(ApiModel):
    id: str | None = None
    name: str | None = None
    permissions: list[str] = Field(default_factory=list)
    roles: list[RoleRef] = Field(default_factory=list)


class User(Resource):
    email: str | None = None
    name: str | None = None
    status: str | None = None
    access_scope: str | None = None
    primary_account_id: str | None = None
    accounts: list[Ref] = Field(default_factory=list)
    created_at: Timestamp | None = None
    created_by: str | None = None
    user_type: str | None = None
    friendly_name: str | None = None
    description: str | None = None
    locale: str | None = None
    end_date: Timestamp | None = None
    applications: list[Application] = Field(default_factory=list)
    teams: list[Ref] = Field(default_factory=list)
    two_factor_enabled: bool | None = None  # older name of `authenticator_enrolled`
    authenticator_enrolled: bool | None = None
    active_client_certificates: int | None = None
    client_certificate_valid_to: Timestamp | None = None
    two_factor_ready: bool | None = None
    # Returned once when a service user is created; a secret, so never shown by repr.
    api_token: SecretStr | None = None

    @property
    def display_name(self) -> str:
        return self.name or self.friendly_name or self.email or self.id

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset(p for app in self.applications for p in app.permissions)

    @property
    def role_codes(self) -> list[str]:
        return [r.code for app in self.applications for r in app.roles if r.code]


class Role(Resource):
    code: str | None = None
    name: str | None = None
    application_code: str | None = None
    permissions: list[str] = Field(default_factory=list)


class ApiToken(Resource):
    name: str | None = None
    user_id: str | None = None
    key_hint: str | None = None
    created_at: Timestamp | None = None
    end_date: Timestamp | None = None
    last_used_at: Timestamp | None = None
    status: str | None = None
    token: SecretStr | None = None  # only in the create response


class ClientCertificate(Resource):
    name: str | None = None
    user_id: str | None = None
    token_id: str | None = None
    serial_number: str | None = None
    subject: str | None = None
    valid_from: Timestamp | None = None
    valid_to: Timestamp | None = None
    status: str | None = None
    created_at: Timestamp | None = None
    # Only in the create response: the PKCS#12 and the password the service generated for it.
    p12: SecretStr | None = None
    password: SecretStr | None = None


# ---------------------------------------------------------------- STM


class TeamMember(ApiModel):
    user_id: str | None = None
    name: str | None = None
    is_lead: bool | None = None
    permissions: dict[str, bool] = Field(default_factory=dict)


class Team(Resource):
    name: str | None = None
    description: str | None = None
    status: str | None = None
    members: list[TeamMember] = Field(default_factory=list)
    created_on: Timestamp | None = None
    created_by: str | None = None
    modified_on: Timestamp | None = None
    modified_by: str | None = None


class KeypairProfile(Resource):
    name: str | None = None
    profile_type: str | None = None
    scope: str | None = None
    key_status: str | None = None
    key_alg: str | None = None
    key_size: int | None = None
    curve: str | None = None
    key_type: str | None = None
    teams: list[Ref] = Field(default_factory=list)
    created_on: Timestamp | None = None
    modified_on: Timestamp | None = None
    # INFERRED (docs/emulator.md): enable/disable set `enabled`; `status` is DISABLED, INACTIVE
    # (until `active_from`) or ACTIVE; storage follows the keypair form.
    key_storage: str | None = None
    enabled: bool | None = None
    status: str | None = None
    active_from: Timestamp | None = None


class CertificateProfile(Resource):
    name: str | None = None
    status: str | None = None
    hierarchy: str | None = None
    certificate_type: str | None = None
    enrollment_method: str | None = None
    validity_days: int | None = None
    allowed_key_algs: list[str] = Field(default_factory=list)
    subject_template: dict[str, Any] = Field(default_factory=dict)
    created_on: Timestamp | None = None
    modified_on: Timestamp | None = None


def _shared(value: str) -> str:
    # Every certificate of an issuer carries the same chain blobs (~1.4 kB each). Interning
    # keeps one copy per distinct blob: ~140 MB less for 100,000 certificates.
    return sys.intern(value)


SharedText = Annotated[str, AfterValidator(_shared)]


class ChainEntry(SharedValue):
    cert_type: SharedText | None = None
    blob: SharedText | None = None


_T = TypeVar("_T")


class decoded_once(Generic[_T]):
    """`functools.cached_property` without its lock: the value is computed on first use and
    kept in the instance's `__dict__`, where later lookups find it first.

    Python 3.11's `cached_property` holds one lock per property across all instances, so
    while the inventory cache's thread decoded one certificate's summary, the UI thread
    building another certificate's row waited for it. Two threads decoding the same
    certificate at once both compute the same value; the one kept is either."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> decoded_once[_T]: ...

    @overload
    def __get__(self, instance: object, owner: type | None = None) -> _T: ...

    def __get__(self, instance: object | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = self.func(instance)
        instance.__dict__[self.name] = value
        return value


class Certificate(Resource):
    model_config = ConfigDict(ignored_types=(decoded_once,))

    alias: str | None = None
    cert: str | None = None
    chain: list[ChainEntry] = Field(default_factory=list)
    certificate_fingerprint: str | None = None
    certificate_status: str | None = None
    valid_from: Timestamp | None = None
    valid_to: Timestamp | None = None
    default_cert: bool | None = None
    keypair: Ref | None = None
    account: Ref | None = None
    certificate_profile: Ref | None = None
    hierarchy: str | None = None
    certificate_type: str | None = None
    enrollment_method: str | None = None
    organization: Ref | None = None
    ca_certificate: Ref | None = None
    custom_fields: list[Any] = Field(default_factory=list)
    auto_renewal: bool | None = None
    serial_number: str | None = None
    subject: str | None = None
    revoked_on: Timestamp | None = None
    revocation_reason: str | None = None
    created_on: Timestamp | None = None
    created_by: str | None = None
    created_by_user: Ref | None = None
    modified_on: Timestamp | None = None
    modified_by: str | None = None
    modified_by_user: Ref | None = None

    # Decoded views. A certificate that does not decode yields None rather than an error,
    # so one bad blob cannot take a whole inventory screen down. The list and the Overview
    # read only the summary; the full x509 object (detail view) comes from a bounded LRU.

    @property
    def der(self) -> bytes | None:
        return _b64decode(self.cert) if self.cert else None

    @property
    def x509_cert(self) -> x509.Certificate | None:
        return _load_x509(self.cert) if self.cert else None

    @property
    def decoded_chain(self) -> list[x509.Certificate]:
        out: list[x509.Certificate] = []
        for entry in self.chain:
            decoded = _load_x509(entry.blob) if entry.blob else None
            if decoded is not None:
                out.append(decoded)
        return out

    @decoded_once
    def summary(self) -> CertSummary | None:
        """The display fields, decoded once; None when `cert` is absent or undecodable."""
        return _summarise(self.cert) if self.cert else None

    @property
    def validity(self) -> tuple[datetime, datetime] | None:
        """(not before, not after) from the certificate itself. From the summary: the
        Overview asks for every certificate's dates and the certificates list for every
        summary, and one decode for both (~14 us; names come from a cache by their bytes)
        costs half of decoding twice."""
        s = self.summary
        return (s.not_before, s.not_after) if s is not None else None

    @property
    def subject_name(self) -> str | None:
        s = self.summary
        return s.subject if s is not None else self.subject

    @property
    def issuer_name(self) -> str | None:
        s = self.summary
        return s.issuer if s is not None else None

    @property
    def serial_hex(self) -> str | None:
        s = self.summary
        return s.serial if s is not None else self.serial_number

    @property
    def sha256_fingerprint(self) -> str | None:
        """SHA-256 over the DER, colon-separated upper-case hex (as browsers show it)."""
        s = self.summary
        if s is not None:
            return s.fingerprint
        der = self.der  # valid base64 that is not a certificate still has a fingerprint
        return _colon_hex(hashlib.sha256(der).digest()) if der is not None else None

    @property
    def not_before(self) -> datetime | None:
        v = self.validity
        return v[0] if v is not None else self.valid_from

    @property
    def not_after(self) -> datetime | None:
        v = self.validity
        return v[1] if v is not None else self.valid_to

    def days_left(self, now: datetime | None = None) -> int | None:
        """Whole days until expiry (negative once expired); None when unknown."""
        end = self.not_after
        if end is None:
            return None
        moment = _as_utc(now) if now is not None else datetime.now(UTC)
        return (end - moment).days


@dataclass(frozen=True, slots=True)
class CertSummary:
    """What the lists show of a certificate, decoded once (~0.3 kB instead of ~5 kB for the
    DER and the x509 object). Names are shared between certificates with the same name."""

    subject: str
    issuer: str
    serial: str
    not_before: datetime
    not_after: datetime
    fingerprint: str


@lru_cache(maxsize=512)
def _load_x509(b64: str) -> x509.Certificate | None:
    # Keyed by the base64 text: the detail view of one certificate, and every chain blob of
    # an issuer (shared by all its certificates), decodes once.
    der = _b64decode(b64)
    if der is None:
        return None
    try:
        return x509.load_der_x509_certificate(der)
    except ValueError:
        return None


_NAMES: dict[bytes, str] = {}
_NAMES_MAX = 4096


def _name_text(raw: bytes | None, name: Callable[[], x509.Name]) -> str:
    # Building a `Name` (validated Python objects per attribute) and formatting it is the
    # slow part of decoding (~25 us); issuers repeat across thousands of certificates, and
    # so do most subjects of one organisation: one string per distinct encoded name.
    text = _NAMES.get(raw) if raw is not None else None
    if text is None:
        text = name().rfc4514_string()
        if raw is not None:
            if len(_NAMES) >= _NAMES_MAX:
                _NAMES.clear()
            _NAMES[raw] = text
    return text


def _tlv(der: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, content start, end) of the DER element at `pos`."""
    tag, length = der[pos], der[pos + 1]
    start = pos + 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(der[start:start + count], "big")
        start += count
    end = start + length
    if end > len(der):
        raise ValueError("truncated DER")
    return tag, start, end


def _raw_names(der: bytes) -> tuple[bytes, bytes] | None:
    """The encoded issuer and subject of a certificate, found without decoding them:
    Certificate > TBSCertificate > [version], serial, signature, issuer, validity, subject."""
    try:
        _tag, start, _end = _tlv(der, 0)
        _tag, pos, tbs_end = _tlv(der, start)
        fields: list[bytes] = []
        while pos < tbs_end and len(fields) < 6:
            tag, _start, end = _tlv(der, pos)
            if tag != 0xA0 or fields:
                fields.append(der[pos:end])
            pos = end
        return (fields[2], fields[4]) if len(fields) >= 5 else None
    except (IndexError, ValueError):
        return None


def _summarise(b64: str) -> CertSummary | None:
    der = _b64decode(b64)
    if der is None:
        return None
    try:
        c = x509.load_der_x509_certificate(der)
        not_before, not_after = c.not_valid_before_utc, c.not_valid_after_utc
        raw = _raw_names(der)
        return CertSummary(
            subject=_name_text(raw[1] if raw else None, lambda: c.subject),
            issuer=_name_text(raw[0] if raw else None, lambda: c.issuer),
            serial=f"{c.serial_number:x}",
            not_before=not_before,
            not_after=not_after,
            fingerprint=_colon_hex(hashlib.sha256(der).digest()),
        )
    except ValueError:
        return None


class UserRef(SharedValue):
    id: str | None = None
    name: str | None = None
    auth_type: str | None = None


class Keypair(Resource):
    alias: str | None = None
    key_alg: str | None = None
    key_size: int | None = None
    curve: str | None = None
    key_type: str | None = None
    key_storage: str | None = None
    key_status: str | None = None
    key_modal_type: str | None = None
    public_key: str | None = None
    certificates: list[Certificate] = Field(default_factory=list)
    number_of_active_certificates: int | None = None
    account: Ref | None = None
    limit_by_users: bool | None = None
    users: list[UserRef] = Field(default_factory=list)
    groups: list[Ref] = Field(default_factory=list)
    is_signable_by_me: bool | None = None
    suspended: bool | None = None
    keypair_profile: Ref | None = None
    team_ids: list[str] = Field(default_factory=list)
    created_on: Timestamp | None = None
    created_by: str | None = None
    created_by_user: UserRef | None = None
    modified_on: Timestamp | None = None
    modified_by_user: UserRef | None = None
    hsm_partition_details: dict[str, Any] | None = None

    @cached_property
    def public_key_der(self) -> bytes | None:
        return _b64decode(self.public_key) if self.public_key else None

    @cached_property
    def public_key_object(self) -> Any:
        """The `cryptography` public key, or None when absent or undecodable."""
        der = self.public_key_der
        if der is None:
            return None
        try:
            return serialization.load_der_public_key(der)
        except (ValueError, TypeError):
            return None

    @property
    def public_key_fingerprint(self) -> str | None:
        """SHA-256 over the DER SubjectPublicKeyInfo, colon-separated upper-case hex."""
        der = self.public_key_der
        return _colon_hex(hashlib.sha256(der).digest()) if der is not None else None

    @property
    def default_certificate(self) -> Certificate | None:
        for cert in self.certificates:
            if cert.default_cert:
                return cert
        return self.certificates[0] if self.certificates else None


class ReleaseWindow(Resource):
    name: str | None = None
    version: str | None = None
    team_id: str | None = None
    release_type: str | None = None
    purpose: str | None = None
    status: str | None = None
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    keypairs: list[Ref] = Field(default_factory=list)
    users: list[Ref] = Field(default_factory=list)
    max_signatures: int | None = None
    signature_count: int | None = None
    block_on_failed_scan: bool | None = None
    project: str | None = None
    notes: str | None = None
    approved_by_user: Ref | None = None
    approved_on: Timestamp | None = None
    created_on: Timestamp | None = None
    created_by_user: Ref | None = None
    modified_on: Timestamp | None = None


class Signature(Resource):
    keypair: Ref | None = None
    certificate: Ref | None = None
    release: Ref | None = None
    user: Ref | None = None
    sig_alg: str | None = None
    hash: str | None = None
    status: str | None = None
    client_ip: str | None = None
    created_on: Timestamp | None = None


class SignResult(Resource):
    """The answer to a sign call: the signature's id and the base64 signature bytes."""

    signature: str | None = None

    @property
    def signature_bytes(self) -> bytes | None:
        return _b64decode(self.signature) if self.signature else None


class Finding(ApiModel):
    id: str | None = None
    category: str | None = None
    severity: str | None = None
    title: str | None = None
    detail: str | None = None
    component: str | None = None
    cve: str | None = None
    path: str | None = None


class Scan(Resource):
    alias: str | None = None
    project: Ref | None = None
    release: Ref | None = None
    version: str | None = None
    file_name: str | None = None
    status: str | None = None
    risk_level: str | None = None
    finding_counts: dict[str, int] = Field(default_factory=dict)
    reports: list[dict[str, Any]] = Field(default_factory=list)
    findings: list[Finding] | None = None  # only on GET /scans/{id}
    created_on: Timestamp | None = None
    completed_on: Timestamp | None = None
    created_by_user: Ref | None = None
    deleted: bool = False  # deleting a scan flags it; it stays listed (as smctl shows it)


class ApprovalRequest(Resource):
    """Something waiting on a second person (INFERRED shape): a keypair deletion or export,
    a certificate revocation, or a requested offline release (id = the release's id)."""

    kind: str | None = None  # KEYPAIR_DELETE, KEYPAIR_EXPORT, CERTIFICATE_REVOCATION, ...
    status: str | None = None  # PENDING, APPROVED, REJECTED, CANCELLED
    resource: Ref | None = None
    keypair: Ref | None = None
    certificate: Ref | None = None
    release: Ref | None = None
    team_ids: list[str] = Field(default_factory=list)
    reason: str | None = None
    revocation_reason: str | None = None
    requested_by_user: Ref | None = None
    created_on: Timestamp | None = None
    decided_by_user: Ref | None = None
    decided_on: Timestamp | None = None
    decision_reason: str | None = None
    can_decide: bool | None = None
    modified_on: Timestamp | None = None


class AuditEvent(Resource):
    account_id: str | None = None
    resource_type: str | None = None
    resource_id: str | None = None
    action: str | None = None
    status: str | None = None
    user_id: str | None = None
    user_name: str | None = None
    client_ip: str | None = None
    details: Any = None
    created_on: Timestamp | None = None


class AccountSettings(Resource):
    """Account settings have no id of their own: `id` is the account's id."""

    account: Ref | None = None
    two_factor_required: bool | None = None
    require_keypair_profile: bool | None = None
    certcentral: dict[str, Any] | None = None
    release_preferences: dict[str, Any] | None = None
    modified_on: Timestamp | None = None

    @model_validator(mode="before")
    @classmethod
    def _id_from_account(cls, data: Any) -> Any:
        if isinstance(data, dict) and "id" not in data:
            account = data.get("account")
            acc_id = account.get("id") if isinstance(account, dict) else None
            return {**data, "id": acc_id if isinstance(acc_id, str) else "account"}
        return data
