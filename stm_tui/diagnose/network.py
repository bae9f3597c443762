"""The way to the host, one step at a time: DNS, TCP, the TLS handshake, the certificate chain.

Each step is its own connection, so a failure names the step: "the name does not resolve" and
"the chain does not verify" need different fixes, and the client's own errors (one httpx
request doing all four) cannot always tell them apart. Nothing is sent over these connections:
they are opened, looked at and closed. The handshake step does not verify the server on
purpose (it only asks "does TLS work at all, and what certificate is offered?"); the next step
verifies exactly as the client does, and only verified connections ever carry a credential.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from cryptography import x509

from stm_tui.api.adapter import connect_failure_class
from stm_tui.api.errors import StmError
from stm_tui.api.hosts import is_loopback
from stm_tui.api.tls import build_ssl_context
from stm_tui.diagnose.findings import EXIT_UNREACHABLE, Finding, fail, ok, skip, warn
from stm_tui.sanitize import clean_message

# What OpenSSL says when the other side answered a ClientHello in plain HTTP.
_NOT_TLS = ("WRONG_VERSION_NUMBER", "RECORD_LAYER_FAILURE", "PACKET_LENGTH_TOO_LONG",
            "UNKNOWN_PROTOCOL", "HTTP_REQUEST")
_MAX_ADDRESSES = 4


@dataclass(frozen=True, slots=True)
class Target:
    url: str
    scheme: str
    hostname: str
    port: int

    @property
    def tls(self) -> bool:
        return self.scheme == "https"


def target_of(url: str) -> Target:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return Target(url, scheme, (parts.hostname or "").lower(), port)


@dataclass(frozen=True, slots=True)
class ServerCertificate:
    subject: str
    issuer: str
    not_after: datetime


def describe_certificate(der: bytes) -> ServerCertificate | None:
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return None
    subject = clean_message(cert.subject.rfc4514_string(), limit=200)
    issuer = clean_message(cert.issuer.rfc4514_string(), limit=200)
    return ServerCertificate(subject, issuer, cert.not_valid_after_utc)


def _proxy_note(proxy: str | None) -> str:
    return f" (requests go through the proxy {proxy}, which may reach it)" if proxy else ""


async def check_dns(
    target: Target, wait_s: float, proxy: str | None
) -> tuple[Finding, list[str]]:
    title = "DNS"
    try:
        ipaddress.ip_address(target.hostname.strip("[]"))
    except ValueError:
        pass
    else:
        address = target.hostname.strip("[]")
        return ok("dns", title, f"{address} is an IP address: nothing to resolve"), [address]
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(wait_s):
            infos = await loop.getaddrinfo(target.hostname, target.port, type=socket.SOCK_STREAM)
    except TimeoutError:
        reason = f"no answer from the resolver within {wait_s:g} s"
        return _dns_problem(target, reason, proxy), []
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        return _dns_problem(target, reason, proxy), []
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        address = str(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    shown = ", ".join(addresses[:_MAX_ADDRESSES])
    more = f" and {len(addresses) - _MAX_ADDRESSES} more" if len(addresses) > _MAX_ADDRESSES else ""
    return ok("dns", title, f"{target.hostname} resolves to {shown}{more}", addresses=addresses), (
        addresses
    )


def _dns_problem(target: Target, reason: str, proxy: str | None) -> Finding:
    summary = f"{target.hostname} could not be resolved: {clean_message(reason, limit=200)}"
    fix = (
        "check the host name (SM_HOST or the profile's host) for typos; the DigiCert ONE "
        "hosts are clientauth.one.digicert.com (USA), clientauth.one.ch.digicert.com, "
        "clientauth.one.digicert.co.jp, clientauth.one.nl.digicert.com and their demo. twins"
    )
    if proxy:
        return warn("dns", "DNS", summary + _proxy_note(proxy), fix, EXIT_UNREACHABLE)
    return fail("dns", "DNS", summary, fix, EXIT_UNREACHABLE)


async def _open(
    address: str, port: int, wait_s: float, **kw: object
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    async with asyncio.timeout(wait_s):
        return await asyncio.open_connection(address, port, **kw)  # type: ignore[arg-type]


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(Exception):
        async with asyncio.timeout(2):
            await writer.wait_closed()


async def check_tcp(
    target: Target, addresses: list[str], wait_s: float, proxy: str | None
) -> tuple[Finding, str | None]:
    title = "TCP"
    if not addresses:
        return skip("tcp", title, "not tried: the host name did not resolve"), None
    failures: list[str] = []
    for address in addresses[:_MAX_ADDRESSES]:
        started = time.perf_counter()
        try:
            _reader, writer = await _open(address, target.port, wait_s)
        except TimeoutError:
            failures.append(f"{address}: no answer within {wait_s:g} s (connect timeout)")
            continue
        except OSError as exc:
            failures.append(f"{address}: {connect_failure_class(exc)}")
            continue
        elapsed = (time.perf_counter() - started) * 1000
        await _close(writer)
        return ok(
            "tcp", title, f"connected to {address} port {target.port} ({elapsed:.0f} ms)",
            address=address, port=target.port, connect_ms=round(elapsed, 1),
        ), address
    summary = f"cannot connect to port {target.port}: " + "; ".join(failures)
    fix = (
        "check the port in the host URL, and the network, VPN or firewall between this "
        "machine and the host"
    )
    if is_loopback(target.hostname):
        fix = "nothing listens there: is the emulator running (stm-tui emulator), on this port?"
    if proxy:
        return warn("tcp", title, summary + _proxy_note(proxy), fix, EXIT_UNREACHABLE), None
    return fail("tcp", title, summary, fix, EXIT_UNREACHABLE, port=target.port), None


def _observing_context() -> ssl.SSLContext:
    """For the handshake step only: it looks at whatever certificate is offered; nothing is
    sent over it and the connection is closed at once (the chain step verifies)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _ssl_reason(exc: BaseException) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or getattr(exc, "strerror", None) or type(exc).__name__)


async def check_tls(
    target: Target, address: str | None, wait_s: float
) -> tuple[Finding, ServerCertificate | None]:
    title = "TLS"
    if not target.tls:
        return skip("tls", title, "plain http:// (loopback only): no TLS to check"), None
    if address is None:
        return skip("tls", title, "not tried: no TCP connection"), None
    try:
        _reader, writer = await _open(
            address, target.port, wait_s, ssl=_observing_context(),
            server_hostname=target.hostname, ssl_handshake_timeout=wait_s,
        )
    except TimeoutError:
        return fail(
            "tls", title, f"no TLS handshake within {wait_s:g} s",
            "the port may not be the service's TLS port", EXIT_UNREACHABLE,
        ), None
    except (ssl.SSLError, OSError) as exc:
        reason = _ssl_reason(exc)
        if any(marker in reason.upper() for marker in _NOT_TLS):
            plain = f"http://{target.url.split('://', 1)[1]}"
            fix = (
                f"did you mean {plain}? (the emulator without --tls speaks plain HTTP)"
                if is_loopback(target.hostname)
                else "use the service's https:// address and port"
            )
            return fail(
                "tls", title, f"the server at {target.url} does not speak TLS (it answered in "
                "plain HTTP)", fix, EXIT_UNREACHABLE,
            ), None
        return fail(
            "tls", title, f"the TLS handshake failed ({clean_message(reason, limit=200)})",
            "a proxy or firewall may be intercepting the connection, or the server wants a "
            "TLS version or cipher this machine's OpenSSL does not offer",
            EXIT_UNREACHABLE,
        ), None
    ssl_object = writer.get_extra_info("ssl_object")
    version = ssl_object.version() if ssl_object else None
    cipher = ssl_object.cipher()[0] if ssl_object and ssl_object.cipher() else None
    der = ssl_object.getpeercert(binary_form=True) if ssl_object else None
    await _close(writer)
    server_cert = describe_certificate(der) if der else None
    summary = f"{version or 'TLS'} handshake" + (f" ({cipher})" if cipher else "")
    return ok("tls", title, summary, version=version, cipher=cipher), server_cert


async def check_chain(
    target: Target,
    address: str | None,
    *,
    ca_file: Path | None,
    ca_source: str,
    server_cert: ServerCertificate | None,
    wait_s: float,
    now: datetime,
) -> Finding:
    title = "server cert"
    if not target.tls:
        return skip("chain", title, "plain http://: no server certificate")
    if address is None or server_cert is None:
        return skip("chain", title, "not checked: no TLS handshake")
    anchors = f"{ca_file} (from {ca_source})" if ca_file else "the system trust store"
    try:
        ctx = build_ssl_context(ca_file=ca_file)
    except StmError as err:
        return fail(
            "chain", title, clean_message(err.message), "point SM_CA_FILE (or ca_file) at a PEM "
            "file of CA certificates", EXIT_UNREACHABLE,
        )
    facts = {
        "subject": server_cert.subject,
        "issuer": server_cert.issuer,
        "not_after": server_cert.not_after.isoformat().replace("+00:00", "Z"),
        "trust_anchors": str(ca_file) if ca_file else "system",
    }
    try:
        _reader, writer = await _open(
            address, target.port, wait_s, ssl=ctx, server_hostname=target.hostname,
            ssl_handshake_timeout=wait_s,
        )
    except ssl.SSLCertVerificationError as exc:
        why = clean_message(exc.verify_message or _ssl_reason(exc), limit=200)
        if ca_file is not None:
            fix = (
                f"{ca_file} (from {ca_source}) is not the CA that issued the server's certificate "
                f"(issuer: {server_cert.issuer}); point it at that CA"
            )
        else:
            fix = (
                f"set SM_CA_FILE (or ca_file in the profile) to the CA that issued it "
                f"(issuer: {server_cert.issuer}); TLS verification is never switched off"
            )
        return fail(
            "chain", title, f"does not verify against {anchors}: {why}", fix, EXIT_UNREACHABLE,
            **facts,
        )
    except (TimeoutError, ssl.SSLError, OSError) as exc:
        return fail(
            "chain", title, f"the verifying handshake failed ({clean_message(_ssl_reason(exc))})",
            None, EXIT_UNREACHABLE, **facts,
        )
    await _close(writer)
    days = (server_cert.not_after - now).days
    return ok(
        "chain", title,
        f"verifies against {anchors}; issued to {server_cert.subject} by "
        f"{server_cert.issuer}, valid {days} more days",
        **facts,
    )
