"""`diagnose()`: every check, in the order a working connection is built up.

Each line depends on the ones above it: when the host cannot be reached, the credential
checks are listed as skipped (with the reason) rather than failing a second time; every
check id is always present, so scripts can rely on the JSON document's shape.
"""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import SecretStr

from stm_tui.api import models as m
from stm_tui.api.errors import ConfigError, StmError
from stm_tui.api.tls import build_ssl_context
from stm_tui.config import Profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.diagnose import expiry, factors, identity, network
from stm_tui.diagnose.clock import check_clock
from stm_tui.diagnose.findings import (
    EXIT_CONFIG,
    EXIT_SECOND_FACTOR,
    EXIT_UNREACHABLE,
    Finding,
    Report,
    fail,
    ok,
    skip,
    warn,
)
from stm_tui.diagnose.http import Answer, Prober
from stm_tui.diagnose.p12 import P12Facts, read_p12
from stm_tui.diagnose.regions import Region, region_of
from stm_tui.diagnose.sources import Sources, check_sources, sources_of, unreadable_credentials

Clock = Callable[[], datetime]

# The doctor waits less than the dashboard: it is asked "what is wrong", usually right now.
MAX_DEADLINE = 30.0

# Every check, in report order (the JSON document always lists all of them).
CHECK_IDS = (
    "profile", "credentials", "region", "dns", "tcp", "tls", "chain", "clock", "api_key",
    "client_cert", "second_factor", "identity", "permissions", "api_token_expiry",
    "client_cert_expiry", "service_users", "certcentral",
)
_TITLES = {
    "clock": "clock", "api_key": "API key", "client_cert": "client cert",
    "second_factor": "second factor", "identity": "identity", "permissions": "permissions",
    "api_token_expiry": "token expiry", "client_cert_expiry": "cert expiry",
    "service_users": "service users", "certcentral": "CertCentral",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def proxy_for(scheme: str, hostname: str, env: Mapping[str, str]) -> str | None:
    """The proxy httpx would use for this host (its `trust_env` rules), shown without any
    user name or password it may carry."""
    lowered = {k.lower(): v for k, v in env.items()}
    proxy = (lowered.get(f"{scheme}_proxy") or lowered.get("all_proxy") or "").strip()
    if not proxy:
        return None
    for entry in (e.strip().lower() for e in lowered.get("no_proxy", "").split(",")):
        if not entry:
            continue
        entry = entry.split("://", 1)[-1].split(":", 1)[0].lstrip("*").lstrip(".")
        if entry in ("", "*") or hostname == entry or hostname.endswith("." + entry):
            return None
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    shown = parts.hostname or "?"
    return f"{parts.scheme}://{shown}" + (f":{parts.port}" if parts.port else "")


def check_region(region: Region, hostname: str, *, client_cert: bool) -> Finding:
    title = "region"
    data = {"region": region.region, "environment": region.environment,
            "clientauth_host": region.clientauth, "label": region.label}
    if region.environment == "local":
        return ok("region", title, f"{hostname}: loopback emulator (not DigiCert ONE)", **data)
    if not region.known:
        return warn(
            "region", title, f"{hostname}: {region.label}",
            "credentials work only on the DigiCert ONE host that issued them: "
            "clientauth.one.digicert.com (USA), clientauth.one.ch.digicert.com (Switzerland), "
            "clientauth.one.digicert.co.jp (Japan), clientauth.one.nl.digicert.com "
            "(Netherlands), or their clientauth.demo. twins",
            EXIT_UNREACHABLE, **data,
        )
    if region.clientauth:
        return ok("region", title, f"{hostname}: {region.label} (the clientauth. host, which "
                  "asks for the client certificate)", **data)
    if client_cert:
        return warn(
            "region", title, f"{hostname}: {region.label}, the API-key-only host: the client "
            "certificate is asked for only by the clientauth. host",
            f"use {region.mtls_host} for signing with the client certificate",
            EXIT_SECOND_FACTOR, **data,
        )
    return ok("region", title, f"{hostname}: {region.label} (the API-key-only host; signing "
              f"with two factors uses {region.mtls_host})", **data)


class _Doctor:
    def __init__(
        self,
        profile: Profile,
        credentials: ResolvedCredentials | None,
        *,
        env: Mapping[str, str],
        clock: Clock,
        within_days: int,
        credentials_error: str,
    ) -> None:
        self.profile = profile
        self.credentials = credentials
        self.credentials_error = credentials_error
        self.env = env
        self.clock = clock
        self.within_days = within_days
        self.target = network.target_of(profile.host)
        self.timeout = profile.conn_timeout_ms / 1000
        self.deadline = min(profile.request_deadline_s, MAX_DEADLINE)
        self._probers: list[Prober] = []

    @property
    def api_key(self) -> SecretStr | None:
        return self.credentials.api_key if self.credentials else None

    def prober(
        self, *, api_key: SecretStr | None, ctx: ssl.SSLContext | None, cert: bool
    ) -> Prober:
        made = Prober(
            self.target.url, api_key=api_key, ssl_context=ctx, client_cert=cert,
            connect_timeout=self.timeout, read_timeout=min(self.profile.read_timeout_s, 30.0),
            deadline=self.deadline, clock=self.clock,
        )
        self._probers.append(made)
        return made

    async def close(self) -> None:
        for made in self._probers:
            await made.aclose()

    async def send(
        self, prober: Prober, method: str, path: str, body: Any = None
    ) -> Answer | StmError:
        try:
            return await prober.send(method, path, body)
        except StmError as err:
            return err

    def reads_client(self, ctx: ssl.SSLContext | None, cert: bool) -> Any:
        """The client's own reads (paging, models) for the expiry lists; read-only."""
        from stm_tui.api.client import STMClient

        return STMClient(
            self.target.url, self.api_key, account_id=self.profile.account_id,
            ssl_context=ctx, connect_timeout=self.timeout,
            read_timeout=min(self.profile.read_timeout_s, 30.0), deadline=self.deadline,
            client_cert=cert, read_only=True,
        )

    async def run(self, report: Report) -> None:
        profile, target = self.profile, self.target
        report.add(ok("profile", "profile", f"{profile.name!r} from {profile.source}; host "
                      f"{target.url}", name=profile.name, source=profile.source, host=target.url))
        sources: Sources | None = None
        if self.credentials is not None:
            sources = sources_of(profile, self.credentials, self.env)
            report.add(check_sources(profile, sources))
        else:
            report.add(unreadable_credentials(self.credentials_error))
        region = region_of(target.hostname)
        has_cert = profile.client_cert_file is not None
        report.add(check_region(region, target.hostname, client_cert=has_cert))

        proxy = proxy_for(target.scheme, target.hostname, self.env)
        dns, addresses = await network.check_dns(target, self.timeout, proxy)
        tcp, address = await network.check_tcp(target, addresses, self.timeout, proxy)
        tls, server_cert = await network.check_tls(target, address, self.timeout)
        ca_source = sources.ca_file if sources and sources.ca_file else "none"
        chain = await network.check_chain(
            target, address, ca_file=profile.ca_file, ca_source=ca_source,
            server_cert=server_cert, wait_s=self.timeout, now=self.clock(),
        )
        report.extend([dns, tcp, tls, chain])
        blocked = next((f for f in (dns, tcp, tls, chain) if f.status == "fail"), None)
        if blocked is not None:
            reason = f"not tried: {blocked.title} failed"
            self._skip_rest(report, reason)
            return
        if self.credentials is None:
            self._skip_rest(report, "not tried: the credentials could not be read")
            return
        await self._credentials(report, sources, region)

    def _skip_rest(self, report: Report, reason: str) -> None:
        for check in CHECK_IDS[CHECK_IDS.index("clock"):]:
            report.add(skip(check, _TITLES[check], reason))

    async def _credentials(self, report: Report, sources: Sources | None, region: Region) -> None:
        assert self.credentials is not None and sources is not None
        profile, target, creds = self.profile, self.target, self.credentials
        try:
            key_ctx = build_ssl_context(ca_file=profile.ca_file) if target.tls else None
        except StmError as err:  # the chain step reported it already
            self._skip_rest(report, f"not tried: {err.message}")
            return

        # The API key alone (this exchange also brings the server's clock).
        key_prober = self.prober(api_key=creds.api_key, ctx=key_ctx, cert=False)
        answer = await self.send(key_prober, "GET", factors.ME_PATH)
        if isinstance(answer, Answer):
            report.add(check_clock(answer.date, answer.sent, answer.received))
        else:
            report.add(check_clock(None, None, None))
        key = factors.check_api_key(
            answer if creds.api_key is not None else None, source=creds.api_key_source,
            host=target.hostname, region=region.label,
        )
        report.add(key.finding)

        facts, cert_ctx, cert_usable, cert_user = await self._client_cert(report, sources, key)

        # Both factors, with a call that needs the second one and changes nothing.
        user = key.user or cert_user
        if not key.accepted:
            report.add(factors.not_probed("not tried: needs an accepted API key"))
        elif profile.client_cert_file is not None and not cert_usable:
            report.add(factors.not_probed("not tried: the client certificate cannot be used "
                                          "(see above)"))
        else:
            probe = factors.probe_for(user.permissions if user is not None else None)
            if probe is None:
                report.add(factors.not_probed(
                    "not needed: this user may neither sign nor generate keypairs"))
            else:
                both = (self.prober(api_key=creds.api_key, ctx=cert_ctx, cert=True)
                        if cert_usable else key_prober)
                path, operation = probe
                probe_answer = await self.send(both, "POST", path, {})
                report.add(factors.check_second_factor(
                    probe_answer, path=path, operation=operation,
                    cert_path=str(profile.client_cert_file) if cert_usable else None,
                    cert_source=sources.client_cert_file, plain_http=not target.tls,
                ))

        report.add(identity.check_identity(user, profile.account_id))
        report.add(identity.check_permissions(user))
        await self._expiry(report, user, facts, cert_ctx if cert_usable else key_ctx,
                           cert_usable, key.accepted)

    async def _client_cert(
        self, report: Report, sources: Sources, key: factors.KeyResult
    ) -> tuple[P12Facts | None, ssl.SSLContext | None, bool, m.User | None]:
        """The .p12 file, then the certificate alone against the server: (what the file
        says, a context presenting it, whether the server takes it, whose it is)."""
        assert self.credentials is not None
        profile, target, creds = self.profile, self.target, self.credentials
        title = "client cert"
        cert_path = profile.client_cert_file
        if cert_path is None:
            why = ("none configured (SM_CLIENT_CERT_FILE or client_cert_file)" if target.tls
                   else "plain HTTP cannot carry one")
            report.add(skip("client_cert", title, why))
            return None, None, False, None
        try:
            facts = read_p12(cert_path, creds.client_cert_password)
        except StmError as err:
            report.add(factors.p12_problem(
                err, path=str(cert_path), file_source=sources.client_cert_file,
                password_source=creds.client_cert_password_source,
            ))
            return None, None, False, None
        if not target.tls:
            # The client refuses this combination before any request (the dashboard too).
            report.add(fail(
                "client_cert", title, f"{cert_path} (from {sources.client_cert_file}) is "
                "configured, but a client certificate needs an https:// host",
                "unset SM_CLIENT_CERT_FILE for the plain-HTTP emulator, or run it with --tls",
                EXIT_CONFIG,
            ))
            return facts, None, False, None
        try:
            ctx = build_ssl_context(
                ca_file=profile.ca_file, client_cert_file=cert_path,
                client_cert_password=creds.client_cert_password,
            )
        except (StmError, ssl.SSLError) as exc:  # OpenSSL refused the key or the chain
            why = exc.message if isinstance(exc, StmError) else f"OpenSSL: {exc.reason or exc}"
            report.add(factors.p12_problem(
                ConfigError(f"client certificate {cert_path.name} cannot be used: {why}"),
                path=str(cert_path), file_source=sources.client_cert_file,
                password_source=creds.client_cert_password_source,
            ))
            return facts, None, False, None
        alone = self.prober(api_key=None, ctx=ctx, cert=True)
        answer = await self.send(alone, "GET", factors.ME_PATH)
        result = factors.check_client_cert(
            answer, facts=facts, path=str(cert_path), file_source=sources.client_cert_file,
            key_user=key.user, expired=facts.not_after <= self.clock(),
        )
        report.add(result.finding)
        return facts, ctx, result.usable, result.user

    async def _expiry(
        self, report: Report, user: m.User | None, facts: P12Facts | None,
        ctx: ssl.SSLContext | None, cert: bool, key_accepted: bool,
    ) -> None:
        now = self.clock()
        within = self.within_days
        tokens: Any = None
        users: Any = None
        settings: Any = None
        admin = user is not None and identity.is_administrator(user)
        if key_accepted and self.api_key is not None:
            client = self.reads_client(ctx, cert)
            try:
                tokens = await _read(client.list_all("api_tokens"))
                if admin:
                    users = await _read(client.list_all("users", user_type="service"))
                    settings = await _read(client.get_item("account_settings", "account"))
            finally:
                await client.aclose()
        report.add(expiry.check_token_expiry(tokens, api_key=self.api_key, user=user, now=now,
                                              within_days=within))
        report.add(expiry.check_cert_expiry(facts, configured=self.profile.client_cert_file
                                            is not None, now=now, within_days=within))
        not_admin = "not checked: only for a Lead or a user administrator"
        if not key_accepted:
            not_admin = "not checked: needs an accepted API key"
        report.add(expiry.check_service_users(users, now=now, within_days=within)
                   or skip("service_users", "service users", not_admin))
        report.add(expiry.check_certcentral(settings, now=now, within_days=within)
                   or skip("certcentral", "CertCentral", not_admin))


async def _read(awaitable: Any) -> Any:
    try:
        return await awaitable
    except StmError as err:
        return err


async def diagnose(
    profile: Profile,
    credentials: ResolvedCredentials | None,
    *,
    credentials_error: str | None = None,
    env: Mapping[str, str] | None = None,
    clock: Clock | None = None,
    within_days: int = expiry.DEFAULT_WITHIN_DAYS,
) -> Report:
    """Run every check against the profile's host. `credentials` None (with the reason in
    `credentials_error`) when they could not be read: the host is still checked."""
    report = Report(profile.name, profile.host)
    doctor = _Doctor(
        profile, credentials, env=os.environ if env is None else env, clock=clock or utc_now,
        within_days=within_days,
        credentials_error=credentials_error or "the credentials could not be read",
    )
    try:
        await doctor.run(report)
    finally:
        await doctor.close()
    return report
