"""This machine's clock against the server's (the HTTP `Date` header).

API tokens and client certificates have end dates, release windows open and close, and TOTP
codes are valid for 30 s: a machine whose clock is minutes off sees "expired" or "not yet
valid" where the server sees nothing wrong. `Date` has a resolution of one second and
arrives after a round trip, so the comparison uses the middle of the exchange and half a
second of slack.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from stm_tui.diagnose.findings import EXIT_CLOCK, Finding, fail, ok, skip, warn
from stm_tui.sanitize import clean_message

WARN_AFTER_S = 10.0
FAIL_AFTER_S = 60.0

_FIX = (
    "sync this machine's clock (NTP: `timedatectl set-ntp true`, chrony or ntpd); tokens, "
    "certificates and TOTP codes depend on it"
)


def parse_http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def check_clock(
    date_header: str | None, sent: datetime | None, received: datetime | None
) -> Finding:
    title = "clock"
    if sent is None or received is None:
        return skip("clock", title, "not compared: no answer from the server")
    if not date_header:
        return warn(
            "clock", title, "the server sent no Date header, so the clocks cannot be compared",
            None, EXIT_CLOCK,
        )
    server = parse_http_date(date_header)
    if server is None:
        shown = clean_message(date_header, limit=80)
        return warn(
            "clock", title, f"the server's Date header is not a date ({shown!r})", None, EXIT_CLOCK
        )
    local = sent + (received - sent) / 2
    # Date is truncated to the second: the server's time lies in [Date, Date + 1 s).
    skew = (server - local).total_seconds() + 0.5
    slack = 0.5 + (received - sent).total_seconds() / 2
    size = max(0.0, abs(skew) - slack)
    data = {
        "skew_seconds": round(skew, 1),
        "server_time": server.isoformat().replace("+00:00", "Z"),
        "local_time": local.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "warn_after_seconds": WARN_AFTER_S,
        "fail_after_seconds": FAIL_AFTER_S,
    }
    if size <= WARN_AFTER_S:
        within = max(1, round(abs(skew)))
        return ok(
            "clock", title, f"the server's clock and this machine's agree (within {within} s)",
            **data,
        )
    direction = "ahead of" if skew > 0 else "behind"
    summary = f"the server's clock is {_duration(abs(skew))} {direction} this machine's"
    if size <= FAIL_AFTER_S:
        return warn("clock", title, summary, _FIX, EXIT_CLOCK, **data)
    return fail("clock", title, summary, _FIX, EXIT_CLOCK, **data)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.0f} days"
