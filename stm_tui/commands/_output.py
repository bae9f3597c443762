"""Rendering resources for `stm-tui get`: stable JSON, CSV with a header, a readable table.

Server text is data and goes through `stm_tui.sanitize`: table cells are cleaned and cut,
CSV cells are cleaned and never spreadsheet formulas, JSON keeps every value exactly but
writes the characters a terminal would act on as `\\uXXXX` escapes.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from stm_tui.api import models as m
from stm_tui.sanitize import clean_cell, escape_json, spreadsheet_cell

_MAX_CELL = 60

Getter = Callable[[m.Resource, dict[str, Any]], Any]


def dump(item: m.Resource) -> dict[str, Any]:
    """The item as the API sent it (field names and values), secrets masked."""
    return item.model_dump(mode="json", exclude_unset=True)


def field_path(dotted: str) -> Getter:
    parts = dotted.split(".")

    def get(_item: m.Resource, data: dict[str, Any]) -> Any:
        value: Any = data
        for part in parts:
            if not isinstance(value, dict):
                return None
            value = value.get(part)
        return value

    return get


def _days_left(item: m.Resource, _data: dict[str, Any]) -> Any:
    if not isinstance(item, m.Certificate):
        return None
    if item.certificate_status == "REVOKED":
        return "revoked"  # no time left to count
    return item.days_left(datetime.now(UTC))


def _not_after(item: m.Resource, _data: dict[str, Any]) -> Any:
    return item.not_after if isinstance(item, m.Certificate) else None


class TimeField:
    """A time column: the API's ISO text as a datetime, so it is shown in the chosen zone
    and its header can say which zone that is."""

    def __init__(self, get: Getter) -> None:
        self.get = get

    def __call__(self, item: m.Resource, data: dict[str, Any]) -> Any:
        value = self.get(item, data)
        if isinstance(value, str):
            try:
                return datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return value
        return value


def time_field(dotted: str) -> TimeField:
    return TimeField(field_path(dotted))


def _roles(item: m.Resource, _data: dict[str, Any]) -> Any:
    return ",".join(item.role_codes) if isinstance(item, m.User) else None


def _name(item: m.Resource, _data: dict[str, Any]) -> Any:
    return item.display_name if isinstance(item, m.User) else None


def _count(key: str) -> Getter:
    return lambda _item, data: len(data.get(key) or [])


def _size(_item: m.Resource, data: dict[str, Any]) -> Any:
    return data.get("key_size") or data.get("curve")


def _signatures(_item: m.Resource, data: dict[str, Any]) -> Any:
    count, limit = data.get("signature_count"), data.get("max_signatures")
    return f"{count or 0}/{limit}" if limit else count


F = field_path
T = time_field
COLUMNS: dict[str, list[tuple[str, Getter]]] = {
    "keypairs": [
        ("ID", F("id")), ("ALIAS", F("alias")), ("ALG", F("key_alg")), ("SIZE", _size),
        ("TYPE", F("key_type")), ("STATUS", F("key_status")),
        ("ACTIVE CERTS", F("number_of_active_certificates")),
    ],
    "certificates": [
        ("ID", F("id")), ("ALIAS", F("alias")), ("STATUS", F("certificate_status")),
        ("KEYPAIR", F("keypair.alias")), ("EXPIRES", TimeField(_not_after)), ("DAYS", _days_left),
        ("SUBJECT", F("subject")),
    ],
    "users": [
        ("ID", F("id")), ("NAME", _name), ("EMAIL", F("email")), ("TYPE", F("user_type")),
        ("STATUS", F("status")), ("ROLES", _roles),
    ],
    "accounts": [("ID", F("id")), ("NAME", F("name")), ("STATUS", F("status"))],
    "account_settings": [
        ("ID", F("id")), ("ACCOUNT", F("account.name")), ("2FA", F("two_factor_required")),
        ("KEYPAIR PROFILE REQUIRED", F("require_keypair_profile")),
        ("CERTCENTRAL", F("certcentral.configured")),
    ],
    "roles": [("ID", F("id")), ("CODE", F("code")), ("NAME", F("name"))],
    "teams": [
        ("ID", F("id")), ("NAME", F("name")), ("STATUS", F("status")),
        ("MEMBERS", _count("members")),
    ],
    "keypair_profiles": [
        ("ID", F("id")), ("NAME", F("name")), ("PROFILE", F("profile_type")),
        ("ALG", F("key_alg")), ("SIZE", _size), ("TYPE", F("key_type")),
    ],
    "certificate_profiles": [
        ("ID", F("id")), ("NAME", F("name")), ("STATUS", F("status")),
        ("HIERARCHY", F("hierarchy")), ("TYPE", F("certificate_type")),
        ("DAYS", F("validity_days")),
    ],
    "releases": [
        ("ID", F("id")), ("NAME", F("name")), ("VERSION", F("version")), ("STATUS", F("status")),
        ("TYPE", F("release_type")), ("START", T("start_time")), ("END", T("end_time")),
        ("SIGNATURES", _signatures),
    ],
    "signatures": [
        ("ID", F("id")), ("TIME", T("created_on")), ("KEYPAIR", F("keypair.alias")),
        ("USER", F("user.name")), ("ALG", F("sig_alg")), ("STATUS", F("status")),
    ],
    "scans": [
        ("ID", F("id")), ("ALIAS", F("alias")), ("STATUS", F("status")),
        ("RISK", F("risk_level")), ("FILE", F("file_name")), ("CREATED", T("created_on")),
    ],
    "audit": [
        ("TIME", T("created_on")), ("ACTION", F("action")), ("RESOURCE", F("resource_type")),
        ("RESOURCE ID", F("resource_id")), ("USER", F("user_name")), ("STATUS", F("status")),
    ],
    "api_tokens": [
        ("ID", F("id")), ("NAME", F("name")), ("HINT", F("key_hint")), ("STATUS", F("status")),
        ("ENDS", T("end_date")),
    ],
    "client_certificates": [
        ("ID", F("id")), ("NAME", F("name")), ("STATUS", F("status")),
        ("VALID TO", T("valid_to")),
    ],
}


def show_time(value: datetime, local: bool) -> str:
    shown = value.astimezone() if local else value.astimezone(UTC)
    return shown.strftime("%Y-%m-%d %H:%M")


def zone_label(local: bool) -> str:
    return (datetime.now(UTC).astimezone().strftime("%Z") or "local") if local else "UTC"


def cell(value: Any, *, local: bool = False) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return show_time(value, local)
    if isinstance(value, dict | list):
        value = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    text = clean_cell(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 1] + "…"


def render_table(resource: str, items: Sequence[m.Resource], *, local: bool = False) -> str:
    columns = COLUMNS.get(resource) or [("ID", F("id"))]
    rows = []
    for item in items:
        data = dump(item)
        rows.append([cell(getter(item, data), local=local) for _h, getter in columns])
    # Times carry their zone in the header: `EXPIRES (UTC)`.
    zone = zone_label(local)
    headers = [f"{h} ({zone})" if isinstance(g, TimeField) else h for h, g in columns]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines) + "\n"


def render_json(data: Any) -> str:
    return escape_json(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def render_csv(items: Sequence[m.Resource]) -> str:
    dumped = [dump(item) for item in items]
    header: list[str] = []
    for data in dumped:
        for key in data:
            if key not in header:
                header.append(key)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spreadsheet_cell(key) for key in header])
    for data in dumped:
        writer.writerow([spreadsheet_cell(_text(data.get(key))) for key in header])
    return out.getvalue()


def _text(value: Any) -> str:
    """A value as the text a filter compares and a CSV cell holds (before sanitising)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return str(value)


def matches(item: m.Resource, filters: Sequence[tuple[str, str]]) -> bool:
    """Client-side exact match on (possibly dotted) fields, validated by the caller; a field
    the item does not carry compares as empty."""
    data = dump(item)
    for key, expected in filters:
        value = field_path(key)(item, data)
        if _text(value) != expected:
            return False
    return True
