"""What a host URL may be: https:// anywhere, plain http:// only to loopback (the emulator).

The API key travels in a header of every request, so plain HTTP to another machine would
hand it to anyone on the path. There is no opt-out: the emulator listens on loopback, and a
real STM is always https.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from stm_tui.sanitize import clean_message

LOOPBACK_NAMES = frozenset({"localhost"})


def is_loopback(hostname: str) -> bool:
    """127.0.0.0/8, ::1 and `localhost` (names are not resolved: DNS could lie)."""
    name = hostname.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def validate_host(raw: str) -> str:
    """The base URL for `raw` (`https://` when no scheme is given); ValueError saying what is
    wrong, quoting what was given."""
    shown = repr(clean_message(raw, limit=200))
    text = raw.strip()
    if not text:
        raise ValueError("the host is empty")
    if not text.isprintable() or any(ch.isspace() for ch in text):
        raise ValueError(f"{shown} is not a URL (expected https://HOST[:PORT])")
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"{shown}: {scheme}:// is not supported; use https://HOST[:PORT]")
    try:
        hostname = parts.hostname
        port = parts.port
    except ValueError:
        raise ValueError(f"{shown}: the port must be a number from 1 to 65535") from None
    if not hostname:
        raise ValueError(f"{shown} has no host name (expected https://HOST[:PORT])")
    if port == 0:
        raise ValueError(f"{shown}: the port must be a number from 1 to 65535")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{shown}: credentials do not belong in the URL")
    if parts.query or parts.fragment:
        raise ValueError(f"{shown}: a host URL takes no query or fragment")
    if scheme == "http" and not is_loopback(hostname):
        raise ValueError(
            f"plain http:// to {hostname} is refused: the API key would travel in clear "
            "over the network. Use https:// (plain HTTP is allowed only to loopback "
            "addresses such as 127.0.0.1, for the emulator)"
        )
    return f"{scheme}://{parts.netloc}{parts.path.rstrip('/')}"
