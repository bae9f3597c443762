"""Which DigiCert ONE region and environment a host is (stm-api.md section 1).

Credentials work only on the host that issued them, so "which region is this?" is the first
question when a key that works elsewhere is refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

from stm_tui.api.hosts import is_loopback

# The region's base domain, without the `clientauth.` and `demo.` prefixes.
REGION_DOMAINS: dict[str, str] = {
    "one.digicert.com": "USA",
    "one.ch.digicert.com": "Switzerland",
    "one.digicert.co.jp": "Japan",
    "one.nl.digicert.com": "Netherlands",
}

CLIENTAUTH = "clientauth."


@dataclass(frozen=True, slots=True)
class Region:
    label: str  # "USA production", "loopback emulator", "unknown host"
    region: str | None  # "USA", ... or None
    environment: str | None  # "production", "demo", "staging", "local"
    clientauth: bool  # the `clientauth.` host, the one that asks for a client certificate
    known: bool

    @property
    def mtls_host(self) -> str | None:
        """The `clientauth.` twin of an API-key-only host, for a hint."""
        if self.region is None or self.clientauth or self.environment == "local":
            return None
        domain = next(d for d, r in REGION_DOMAINS.items() if r == self.region)
        demo = "demo." if self.environment == "demo" else ""
        return f"https://{CLIENTAUTH}{demo}{domain}"


def region_of(hostname: str) -> Region:
    name = hostname.strip("[]").rstrip(".").lower()
    if is_loopback(name):
        return Region("loopback emulator", None, "local", False, True)
    clientauth = name.startswith(CLIENTAUTH)
    rest = name.removeprefix(CLIENTAUTH)
    environment = "production"
    if rest.startswith("demo."):
        environment, rest = "demo", rest.removeprefix("demo.")
    elif rest.startswith("stage."):
        environment, rest = "staging", rest.removeprefix("stage.")
    region = REGION_DOMAINS.get(rest)
    if region is None:
        return Region("unknown host (not a DigiCert ONE region)", None, None, clientauth, False)
    if environment == "staging":
        label = f"{region} staging (DigiCert internal)"
        return Region(label, region, environment, clientauth, False)
    return Region(f"{region} {environment}", region, environment, clientauth, True)
