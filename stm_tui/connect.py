"""Building an `STMClient` (and a `Session` around it) from a profile and the credentials
resolved for it.

Kept out of `stm_tui.api` so that the API package never reads configuration: it takes hosts,
keys and timeouts as plain values (an import-linter contract holds that line).
"""

from __future__ import annotations

import ssl
from typing import Any

from stm_tui.api.client import STMClient
from stm_tui.api.engine import normalize_host
from stm_tui.api.errors import ConfigError
from stm_tui.api.tls import build_ssl_context
from stm_tui.cache.paths import inventory_dir
from stm_tui.config import Profile
from stm_tui.credentials import ResolvedCredentials
from stm_tui.provenance import for_profile
from stm_tui.session import Session


def client_for_profile(
    profile: Profile,
    credentials: ResolvedCredentials,
    *,
    ssl_context: ssl.SSLContext | None = None,
    **overrides: Any,
) -> STMClient:
    """A client for `profile`. The TLS context is built (and the client certificate opened)
    here, so a wrong p12 password fails before any request is made, unless `ssl_context` is
    the profile's, built already. `overrides` are `STMClient` keyword arguments that win over
    the profile's (`read_only`, `deadline`...)."""
    host = normalize_host(profile.host)
    if profile.client_cert_file is not None and not host.startswith("https://"):
        raise ConfigError("a client certificate needs an https:// host")
    context = ssl_context or build_ssl_context(
        ca_file=profile.ca_file,
        client_cert_file=profile.client_cert_file,
        client_cert_password=credentials.client_cert_password,
    )
    settings: dict[str, Any] = {
        "read_only": profile.read_only,
        "connect_timeout": profile.conn_timeout_ms / 1000,
        "read_timeout": profile.read_timeout_s,
        "deadline": profile.request_deadline_s,
        "max_body_bytes": profile.max_response_mb * 1024 * 1024,
        "page_size": profile.page_size,
        "client_cert": profile.client_cert_file is not None,
        **overrides,
    }
    return STMClient(
        host, credentials.api_key, account_id=profile.account_id, ssl_context=context, **settings
    )


def session_for_profile(
    profile: Profile,
    credentials: ResolvedCredentials,
    *,
    read_only: bool | None = None,
    cache: bool = False,
    ssl_context: ssl.SSLContext | None = None,
) -> Session:
    """A session on `profile`: its poll cadences, its signature-log bound, and the write mode
    asked for (default: the profile's); with `cache`, the local inventory cache."""
    mode = profile.read_only if read_only is None else read_only
    client = client_for_profile(profile, credentials, ssl_context=ssl_context, read_only=mode)
    return Session(
        client,
        profile_name=profile.name,
        read_only=mode,
        intervals=profile.poll_intervals or None,
        signature_log_limit=profile.signature_log_limit,
        cache_dir=inventory_dir() if cache else None,
        provenance=for_profile(profile, credentials),
    )
