"""When each credential ends: the API token in use, the client certificate, and (for a Lead
or user administrator) every service user and the CertCentral key.

Credentials that expire unnoticed are the most common way a signing pipeline breaks (issue
threads: "it worked yesterday"), so each gets its days left and a warning inside the window.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api.errors import StmError
from stm_tui.diagnose.findings import EXIT_EXPIRY, EXIT_UNREACHABLE, Finding, fail, ok, skip, warn
from stm_tui.diagnose.p12 import P12Facts
from stm_tui.sanitize import clean_cell, clean_message

DEFAULT_WITHIN_DAYS = 30
# Keys under which a CertCentral integration could carry an end date; STM documents none.
_CERTCENTRAL_DATE_KEYS = ("expires_on", "expires_at", "expiry_date", "end_date", "valid_to")


def _day(value: datetime) -> str:
    return value.strftime("%Y-%m-%d")


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def days_left(end: datetime, now: datetime) -> int:
    """Whole days until `end` (negative once it has passed)."""
    return int((end - now).total_seconds() // 86400)


def _when(end: datetime, now: datetime) -> str:
    left = days_left(end, now)
    if end <= now:
        return f"expired on {_day(end)}"
    if left == 0:
        return f"expires today ({_iso(end)})"
    return f"ends {_day(end)} ({left} day{'s' if left != 1 else ''} left)"


def _hint_suffix(hint: str | None) -> str | None:
    """The visible tail of a server-side key hint (`…65b5`, `****65b5`), or None."""
    if not hint:
        return None
    match = re.search(r"[0-9A-Za-z_-]{4,}$", hint)
    return match.group(0) if match else None


def matching_tokens(tokens: Sequence[m.ApiToken], api_key: SecretStr) -> list[m.ApiToken]:
    value = api_key.get_secret_value()
    found = []
    for token in tokens:
        suffix = _hint_suffix(token.key_hint)
        if suffix and value.endswith(suffix):
            found.append(token)
    return found


def check_token_expiry(
    tokens: Sequence[m.ApiToken] | StmError | None,
    *,
    api_key: SecretStr | None,
    user: m.User | None,
    now: datetime,
    within_days: int,
) -> Finding:
    id, title = "api_token_expiry", "token expiry"
    if tokens is None or api_key is None:
        return skip(id, title, "not checked: needs an accepted API key")
    if isinstance(tokens, StmError):
        if tokens.kind in ("permission", "second_factor"):
            return skip(id, title, "not checked: this key may not list its API tokens")
        said = clean_message(tokens.message)
        return warn(id, title, f"the API token list could not be read: {said}", None,
                    EXIT_UNREACHABLE)
    matches = matching_tokens(tokens, api_key)
    ends: list[datetime] = [t.end_date for t in matches if t.end_date is not None]
    service_end = user.end_date if user is not None and user.user_type == "service" else None
    if service_end is not None:
        ends.append(service_end)  # the service user is its token (C: N11)
    names = ", ".join(repr(clean_cell(t.name or t.id)) for t in matches)
    named = f"API token {names}" if matches else "the API key"
    hints = ", ".join(clean_cell(t.key_hint) for t in matches if t.key_hint)
    data: dict[str, object] = {
        "tokens": [
            {"id": clean_cell(t.id), "name": clean_cell(t.name), "key_hint": clean_cell(t.key_hint),
             "status": clean_cell(t.status), "end_date": _iso(t.end_date) if t.end_date else None}
            for t in matches
        ],
        "within_days": within_days,
    }
    if not matches and service_end is None:
        return warn(
            id, title, "none of your API tokens carries this key's hint, so its end date is "
            "unknown", "compare the key with Account Manager > API tokens", EXIT_EXPIRY, **data,
        )
    if hints:
        named += f" ({hints})"
    if not ends:
        return ok(id, title, f"{named} has no end date", end_date=None, days_left=None, **data)
    end = min(ends)
    left = days_left(end, now)
    data.update(end_date=_iso(end), days_left=left)
    statuses = {t.status for t in matches}
    if end <= now or "EXPIRED" in statuses:
        return fail(id, title, f"{named} {_when(end, now)}",
                    "create a new API token in Account Manager and store it with `stm-tui login`",
                    EXIT_EXPIRY, **data)
    if left < within_days:
        return warn(id, title, f"{named} {_when(end, now)}",
                    "create its successor now (Account Manager > API tokens) and switch over "
                    "before it ends", EXIT_EXPIRY, **data)
    return ok(id, title, f"{named} {_when(end, now)}", **data)


def check_cert_expiry(facts: P12Facts | None, *, configured: bool, now: datetime,
                      within_days: int) -> Finding:
    id, title = "client_cert_expiry", "cert expiry"
    if not configured:
        return skip(id, title, "no client certificate configured")
    if facts is None:
        return skip(id, title, "not checked: the .p12 could not be opened")
    left = days_left(facts.not_after, now)
    data = {"not_after": _iso(facts.not_after), "days_left": left, "within_days": within_days,
            "serial_number": facts.serial_number}
    summary = f"{facts.subject} {_when(facts.not_after, now)}"
    if facts.not_after <= now:
        return fail(id, title, summary, "create a new client authentication certificate for "
                    "your API token in Account Manager", EXIT_EXPIRY, **data)
    if facts.not_before > now:
        return fail(id, title, f"{facts.subject} is not valid before {_iso(facts.not_before)} "
                    "(is this machine's clock right?)", None, EXIT_EXPIRY, **data)
    if left < within_days:
        return warn(id, title, summary, "create its successor now (Account Manager > API tokens "
                    "> client authentication certificates)", EXIT_EXPIRY, **data)
    return ok(id, title, summary, **data)


def check_service_users(
    users: Sequence[m.User] | StmError | None, *, now: datetime, within_days: int
) -> Finding | None:
    """None when the caller is not an administrator (nothing to report)."""
    id, title = "service_users", "service users"
    if users is None:
        return None
    if isinstance(users, StmError):
        if users.kind in ("permission", "second_factor"):
            return skip(id, title, "not checked: this key may not list users")
        return warn(id, title, f"the user list could not be read: {clean_message(users.message)}",
                    None, EXIT_UNREACHABLE)
    service = [u for u in users if u.user_type == "service"]
    if not service:
        return ok(id, title, "no service users in this account", users=[])
    rows: list[dict[str, object]] = []
    soon: list[str] = []
    gone: list[str] = []
    for user in service:
        name = clean_cell(user.display_name)
        end = user.end_date
        left = days_left(end, now) if end is not None else None
        rows.append({"id": clean_cell(user.id), "name": name, "status": clean_cell(user.status),
                     "end_date": _iso(end) if end else None, "days_left": left})
        if end is None:
            continue
        if end <= now or user.status == "EXPIRED":
            gone.append(f"{name} {_when(end, now)}")
        elif left is not None and left < within_days:
            soon.append(f"{name} {_when(end, now)}")
    data = {"users": rows, "within_days": within_days}
    if gone or soon:
        return warn(
            id, title, "; ".join(gone + soon) + f" ({len(service)} service users)",
            "renew them in Account Manager (a service user is its token: give it a later end "
            "date, or create a successor) before the pipelines using them fail",
            EXIT_EXPIRY, **data,
        )
    dated = [r for r in rows if r["end_date"]]
    nearest = min(dated, key=lambda r: str(r["end_date"]), default=None)
    tail = (f"; the first to end is {nearest['name']} on {str(nearest['end_date'])[:10]} "
            f"({nearest['days_left']} days)") if nearest else "; none has an end date"
    return ok(id, title, f"{len(service)} service users, none ending within {within_days} days"
              + tail, **data)


def check_certcentral(
    settings: m.AccountSettings | StmError | None, *, now: datetime, within_days: int
) -> Finding | None:
    id, title = "certcentral", "CertCentral"
    if settings is None:
        return None
    if isinstance(settings, StmError):
        if settings.kind in ("permission", "second_factor"):
            return skip(id, title, "not checked: this key may not read account settings")
        return warn(id, title, f"account settings could not be read: "
                    f"{clean_message(settings.message)}", None, EXIT_UNREACHABLE)
    cc = settings.certcentral or {}
    if not cc.get("configured"):
        return ok(id, title, "not set up (public certificates from CertCentral are not used)",
                  configured=False)
    region = clean_cell(cc.get("region") or "?")
    hint = clean_cell(cc.get("api_key_hint") or "")
    since = clean_cell(str(cc.get("configured_on") or "")[:10])
    described = f"set up{f' on {since}' if since else ''}, region {region}" + (
        f", key {hint}" if hint else "")
    data: dict[str, object] = {"configured": True, "region": region, "key_hint": hint or None}
    end_text = next((cc[k] for k in _CERTCENTRAL_DATE_KEYS if isinstance(cc.get(k), str)), None)
    end = _parse(end_text) if end_text else None
    if end is None:
        return ok(id, title, f"{described}; STM does not say when the key expires: check it in "
                  "CertCentral (Account > API keys)", end_date=None, **data)
    left = days_left(end, now)
    data.update(end_date=_iso(end), days_left=left)
    if end <= now:
        return warn(id, title, f"{described}; {_when(end, now)}", "create a new key in "
                    "CertCentral and update it under Account settings", EXIT_EXPIRY, **data)
    if left < within_days:
        return warn(id, title, f"{described}; {_when(end, now)}", "create its successor in "
                    "CertCentral before it ends", EXIT_EXPIRY, **data)
    return ok(id, title, f"{described}; {_when(end, now)}", **data)


def _parse(text: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)
