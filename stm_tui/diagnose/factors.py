"""Each factor on its own, then both: which one the server refuses, in words.

- the API key alone: one read (who am I) over a connection that presents no certificate;
- the client certificate alone: the same read with the certificate and no key (Account
  Manager accepts the certificate alone, C: D6), which also says whose certificate it is;
- both: a call that needs the second factor, made so it has no side effect: `POST
  /keypairs` (or, for a role that may only sign, a sign on a keypair id that does not exist)
  with an empty body. STM checks the permission, then the second factor, then the body, so
  the answer is 403 "not multi-factor authenticated" without the certificate and 400/422 (or
  404) past it (docs/emulator.md, "TLS, client certificates and the second factor").
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from stm_tui.api import models as m
from stm_tui.api.errors import AuthError, StmError, error_for_status
from stm_tui.api.routes import AM, STM
from stm_tui.diagnose.findings import (
    EXIT_AUTH,
    EXIT_CONFIG,
    EXIT_EXPIRY,
    EXIT_SECOND_FACTOR,
    EXIT_UNREACHABLE,
    Finding,
    fail,
    ok,
    skip,
    warn,
)
from stm_tui.diagnose.http import Answer
from stm_tui.diagnose.p12 import P12Facts
from stm_tui.sanitize import clean_cell, clean_message

ME_PATH = f"{AM}/user/me"
GENERATE_PROBE = f"{STM}/keypairs"
# No keypair has the nil UUID: past the factors the answer is 404 (or 400 for the body).
SIGN_PROBE = f"{STM}/keypairs/00000000-0000-0000-0000-000000000000/sign"

_CERT_FIX = (
    "set SM_CLIENT_CERT_FILE to the .p12 issued with this API key (Account Manager > API "
    "tokens > client authentication certificates), chmod 600, and SM_CLIENT_CERT_PASSWORD "
    "(or SM_CLIENT_CERT_PASSWORD_FILE) to the password shown when it was created"
)


def _server_says(answer: Answer) -> str:
    code, message = answer.error
    return clean_message(message or code or "no details", limit=300)


def parse_user(answer: Answer) -> m.User | None:
    try:
        return m.User.model_validate_json(answer.body)
    except (ValidationError, ValueError):
        return None


def who(user: m.User) -> str:
    name = clean_cell(user.display_name)
    email = clean_cell(user.email) if user.email and user.email != user.display_name else None
    return f"{name} <{email}>" if email else name


# ------------------------------------------------------------------ the API key alone


@dataclass(frozen=True, slots=True)
class KeyResult:
    finding: Finding
    user: m.User | None = None
    accepted: bool = False


def check_api_key(
    answer: Answer | StmError | None, *, source: str, host: str, region: str
) -> KeyResult:
    title = "API key"
    if answer is None:
        return KeyResult(fail(
            "api_key", title, "no API key is configured",
            "set SM_API_KEY (or SM_API_KEY_FILE), or store one with `stm-tui login`",
            EXIT_AUTH, source=source,
        ))
    data = {"source": source, "request": f"GET {ME_PATH}", "client_certificate_sent": False}
    if isinstance(answer, StmError):
        return KeyResult(_transport_failure("api_key", title, answer, data, cert=False))
    if answer.status == 200:
        user = parse_user(answer)
        if user is None:
            return KeyResult(fail(
                "api_key", title, f"the host accepted the key but its answer to GET {ME_PATH} "
                "is not a user", "the host may not be a DigiCert ONE host", EXIT_UNREACHABLE,
                **data,
            ))
        return KeyResult(
            ok("api_key", title, f"accepted on its own (no client certificate sent): {who(user)}",
               status=200, user_id=clean_cell(user.id), **data),
            user=user, accepted=True,
        )
    said = _server_says(answer)
    if answer.status == 401:
        return KeyResult(fail(
            "api_key", title, f"the API key from {source} was refused (401): {said}",
            f"keys work only on the host that issued them (this is {host}, {region}): check "
            "the region and demo/production; check it has not expired or been revoked "
            "(Account Manager > API tokens); store a new one with `stm-tui login`",
            EXIT_AUTH, status=401, **data,
        ))
    if answer.status == 403:
        return KeyResult(
            warn("api_key", title, f"accepted, but this key may not read its own user (403): "
                 f"{said}", None, EXIT_AUTH, status=403, **data),
            accepted=True,
        )
    return KeyResult(_status_failure("api_key", title, answer, data))


def _status_failure(id: str, title: str, answer: Answer, data: dict[str, object]) -> Finding:
    said = _server_says(answer)
    if answer.status == 404:
        return fail(
            id, title, f"the host answered 404 for {data.get('request')}: {said}",
            "the host URL must be the DigiCert ONE host itself, without a path "
            "(https://clientauth.one.digicert.com)", EXIT_UNREACHABLE, status=404, **data,
        )
    return fail(
        id, title, f"the server is failing ({answer.status}): {said}",
        "try again later; if it persists, the service (or a proxy in between) is at fault, "
        "not your credentials", EXIT_UNREACHABLE, status=answer.status, **data,
    )


def _transport_failure(
    id: str,
    title: str,
    err: StmError,
    data: dict[str, object],
    *,
    cert: bool,
    cert_named: str = "",
) -> Finding:
    message = clean_message(err.message, limit=400)
    closed = bool(getattr(err, "closed_without_answer", False))
    if isinstance(err, AuthError) or (cert and closed):
        if cert:
            which = f" {cert_named}" if cert_named else ""
            return fail(
                id, title, f"the server refused the client certificate{which} in the TLS "
                f"handshake: {message}", "use the .p12 issued for this host and API key; one "
                "from another CA or environment is refused before any request",
                EXIT_SECOND_FACTOR, **data,
            )
        return fail(
            id, title, f"the host wants a client certificate for every connection: {message}",
            _CERT_FIX, EXIT_SECOND_FACTOR, **data,
        )
    if err.kind == "config":
        return fail(id, title, message, None, EXIT_CONFIG, **data)
    return fail(id, title, message, None, EXIT_UNREACHABLE, **data)


# ------------------------------------------------------------------ the certificate alone


@dataclass(frozen=True, slots=True)
class CertResult:
    finding: Finding
    usable: bool = False
    user: m.User | None = None


def p12_problem(
    err: StmError, *, path: str, file_source: str | None, password_source: str
) -> Finding:
    title = "client cert"
    data = {"file": path, "file_from": file_source, "password_from": password_source}
    if err.kind == "config" and "password" in err.message:
        if password_source == "none":
            summary = (
                f"{path} (from {file_source}) cannot be opened: no password is configured "
                "(SM_CLIENT_CERT_PASSWORD unset)"
            )
        else:
            summary = (
                f"the password from {password_source} does not open {path} (from "
                f"{file_source}): wrong password or not a PKCS#12 file"
            )
        return fail("client_cert", title, summary,
                    "set SM_CLIENT_CERT_PASSWORD (or SM_CLIENT_CERT_PASSWORD_FILE) to the "
                    "password shown when the certificate was created, or store it with "
                    "`stm-tui login`", EXIT_SECOND_FACTOR, **data)
    return fail("client_cert", title, f"{clean_message(err.message)} (from {file_source})",
                _CERT_FIX, EXIT_SECOND_FACTOR, **data)


def check_client_cert(
    answer: Answer | StmError,
    *,
    facts: P12Facts,
    path: str,
    file_source: str | None,
    key_user: m.User | None,
    expired: bool,
) -> CertResult:
    title = "client cert"
    data: dict[str, object] = {
        "file": path, "file_from": file_source, "subject": facts.subject,
        "serial_number": facts.serial_number, "request": f"GET {ME_PATH}", "api_key_sent": False,
    }
    ends = facts.not_after.strftime("%Y-%m-%d")
    if expired:
        return CertResult(fail(
            "client_cert", title, f"{path} (from {file_source}) expired on {ends}",
            "create a new client authentication certificate for your API token in Account "
            "Manager and point SM_CLIENT_CERT_FILE at it", EXIT_EXPIRY, **data,
        ))
    named = f"{path} (from {file_source}, {facts.subject})"
    if isinstance(answer, StmError):
        return CertResult(
            _transport_failure("client_cert", title, answer, data, cert=True, cert_named=named)
        )
    if answer.status == 200:
        user = parse_user(answer)
        if user is not None and key_user is not None and user.id != key_user.id:
            return CertResult(fail(
                "client_cert", title, f"{named} belongs to {who(user)}, not to the API key's "
                f"user {who(key_user)}", "use your own certificate: the one issued with this "
                "API key's token", EXIT_SECOND_FACTOR, cert_user_id=clean_cell(user.id), **data,
            ), user=user)
        owner = f": it identifies {who(user)}" if user is not None else ""
        return CertResult(
            ok("client_cert", title, f"{named} opens and the server accepts it on its own{owner}",
               status=200, **data),
            usable=True, user=user,
        )
    said = _server_says(answer)
    if answer.status == 401 and any(w in said.lower() for w in ("api key", "x-api-key", "api-key")):
        # This host does not take the certificate alone; the TLS layer did accept it (it
        # answered). The check with both factors decides.
        return CertResult(
            ok("client_cert", title, f"{named} opens and the TLS layer accepts it (this host "
               "wants the API key with it for reads)", status=401, **data),
            usable=True,
        )
    if answer.status == 401:
        return CertResult(fail(
            "client_cert", title, f"the server refuses {named} (401): {said}",
            "it may be revoked, expired or not registered for your token: create a new "
            "client authentication certificate in Account Manager", EXIT_SECOND_FACTOR,
            status=401, **data,
        ))
    if answer.status == 403:
        return CertResult(
            ok("client_cert", title, f"{named} opens and the server accepts it (403 on reading "
               "the user, a permission matter)", status=403, **data),
            usable=True,
        )
    return CertResult(_status_failure("client_cert", title, answer, data))


# ------------------------------------------------------------------ both factors


def probe_for(permissions: frozenset[str] | None) -> tuple[str, str] | None:
    """(path, what it would do) of the side-effect-free two-factor probe for this caller, or
    None when the caller can do nothing that needs the second factor."""
    if permissions is None or "GENERATE_SM_KEYPAIR" in permissions:
        return GENERATE_PROBE, "keypair generation"
    if "SIGN_SM_HASH" in permissions:
        return SIGN_PROBE, "signing"
    return None


def check_second_factor(
    answer: Answer | StmError,
    *,
    path: str,
    operation: str,
    cert_path: str | None,
    cert_source: str | None,
    plain_http: bool,
) -> Finding:
    title = "second factor"
    data: dict[str, object] = {
        "request": f"POST {path}", "body": "{}", "client_certificate_sent": cert_path is not None,
        "checked": not plain_http,
    }
    if isinstance(answer, StmError):
        named = f"{cert_path} (from {cert_source})" if cert_path else ""
        return _transport_failure(
            "second_factor", title, answer, data, cert=cert_path is not None, cert_named=named
        )
    past = answer.status in (400, 422) or (path == SIGN_PROBE and answer.status == 404)
    if past and plain_http:
        return warn(
            "second_factor", title, "not checked: plain HTTP (the emulator's demo mode) cannot "
            f"see a client certificate, so {operation} works here with the API key alone",
            "run the emulator with --tls (`stm-tui emulator --tls`) to check both factors as "
            "production does", EXIT_SECOND_FACTOR, status=answer.status, **data,
        )
    if past and cert_path is not None:
        return ok(
            "second_factor", title, f"API key and client certificate together pass the "
            f"two-factor check for {operation} (the empty probe got {answer.status} for its body)",
            status=answer.status, **data,
        )
    if past:
        return ok(
            "second_factor", title, f"this host does not ask for a second factor for "
            f"{operation} (the empty probe got {answer.status} with the API key alone)",
            status=answer.status, **data,
        )
    error = error_for_status(answer.status, answer.body, method="POST", path=path,
                             content_type=answer.content_type)
    said = _server_says(answer)
    if error.kind == "second_factor":
        if cert_path is None:
            return fail(
                "second_factor", title, f"missing: the host wants a client certificate with the "
                f"API key for {operation}, and SM_CLIENT_CERT_FILE is not set (403: {said})",
                _CERT_FIX, EXIT_SECOND_FACTOR, status=403, **data,
            )
        return fail(
            "second_factor", title, f"the host did not take {cert_path} (from {cert_source}) as "
            f"the second factor (403: {said})",
            "check that the certificate was issued with this API key's token, for this host",
            EXIT_SECOND_FACTOR, status=403, **data,
        )
    if answer.status == 401:
        if cert_path is not None:
            return fail(
                "second_factor", title, f"refused with the client certificate {cert_path} (from "
                f"{cert_source}) (401): {said}",
                "use the certificate issued with this API key's token", EXIT_SECOND_FACTOR,
                status=401, **data,
            )
        return fail("second_factor", title, f"the API key was refused (401): {said}", None,
                    EXIT_AUTH, status=401, **data)
    if answer.status == 403:
        return warn(
            "second_factor", title, f"cannot tell: the probe needs the permission for "
            f"{operation}, and the host refused it (403): {said}", None, EXIT_AUTH,
            status=403, **data,
        )
    if 200 <= answer.status < 300:
        return warn(
            "second_factor", title, f"the host accepted an empty {operation} request "
            f"({answer.status}); it should have refused the body", "look at what it did "
            "(the audit log); this host does not behave like STM", EXIT_UNREACHABLE,
            status=answer.status, **data,
        )
    return _status_failure("second_factor", title, answer, data)


def not_probed(reason: str) -> Finding:
    return skip("second_factor", "second factor", reason)
