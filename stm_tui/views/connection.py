"""The connection view's content: who and where the dashboard acts, where each credential
came from (in words: a secret's value is never part of it), and where the local files are.

Pure view logic over the `Session` (its identity, mode and `Provenance`): the dashboard's
connection screen renders these sections. Every value is cleaned: host and names come from
a config file or the server, paths from environment variables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from stm_tui.config import app_paths
from stm_tui.diagnose.regions import region_of
from stm_tui.provenance import Provenance
from stm_tui.sanitize import clean, clean_cell
from stm_tui.session import Session

# Long enough for any real path; a hostile 6 MB variable is cut.
VALUE_LIMIT = 1024

NOT_RECORDED = "not recorded for this session"

# The CertCentral integration's key goes to STM when it is set up; no copy is kept here.
CERTCENTRAL = "not kept on this machine: STM holds it once set up"


@dataclass(frozen=True)
class Section:
    title: str
    rows: tuple[tuple[str, str], ...]


def _value(text: object) -> str:
    return clean(text, limit=VALUE_LIMIT)


def tls_words(host: str, provenance: Provenance | None) -> list[tuple[str, str]]:
    if urlsplit(host).scheme == "http":
        return [("TLS", "none: plain HTTP (allowed to loopback hosts only)")]
    if provenance is None:
        mode = "TLS (whether a client certificate is used was not recorded)"
    elif provenance.client_cert is not None:
        mode = "mTLS: the client certificate and the API key"
    else:
        mode = "TLS with the API key only (no client certificate)"
    trust = provenance.trust if provenance is not None else "the system trust store"
    return [("TLS", mode), ("Server check", f"always verified, against {trust}")]


def connection_sections(
    session: Session, *, step_up: str, key_for: Callable[[str], str]
) -> list[Section]:
    """The view's sections. `step_up` is where a step-up code would come from now
    (`stm_tui.step_up.seed_source`, read when the view opens); `key_for` names the key an
    action is bound to, for the hints."""
    identity = session.identity
    host = session.client.host
    where = region_of(urlsplit(host).hostname or host).label
    provenance = session.provenance
    connection = [
        ("Profile", clean_cell(session.profile_name)),
        ("Settings from", _value(provenance.profile) if provenance else NOT_RECORDED),
        ("Host", clean_cell(host)),
        ("Region", where),
    ]
    if identity is None:
        connection.append(("Identity", "not known yet (connecting, or the server refused)"))
    else:
        account = clean_cell(identity.account_name)
        if identity.account_id and identity.account_id != identity.account_name:
            account += f" ({clean_cell(identity.account_id)})"
        roles = ", ".join(identity.roles) or "no role"
        connection += [
            ("Account", account),
            ("User", f"{clean_cell(identity.user_name)} ({clean_cell(roles)})"),
            ("Local user", clean_cell(identity.local)),
        ]
        if identity.is_production:
            connection.append(("Production", "yes: a DigiCert ONE production host"))
    write = key_for("write_mode")
    if session.read_only:
        mode = f"read-only: every write is refused ({write} enters write mode)"
    else:
        mode = f"WRITE: writes are sent once confirmed ({write} leaves write mode)"
    connection.append(("Mode", mode))
    connection += tls_words(host, provenance)

    credentials: list[tuple[str, str]] = []
    if provenance is None:
        credentials.append(("API key", NOT_RECORDED))
    else:
        credentials.append(("API key", _value(provenance.api_key)))
        if provenance.client_cert is None:
            credentials.append(("Client cert", "none"))
        else:
            credentials.append(("Client cert", _value(provenance.client_cert)))
            credentials.append(("Its password", _value(provenance.client_cert_password)))
    credentials.append(("Step-up code", _value(step_up)))
    credentials.append(("CertCentral key", f"{CERTCENTRAL} ({key_for('certcentral')})"))
    credentials.append(
        ("OS keyring", _value(provenance.keyring) if provenance else NOT_RECORDED)
    )

    paths = app_paths()
    store = paths.secrets_file
    files = [
        ("Config file", _value(provenance.config_file if provenance else paths.config_file)),
        ("File store", f"{_value(store)} ({'present' if store.exists() else 'not present'})"),
        ("Audit file", f"{_value(session.audit_path)} (this tool's writes)"),
        (
            "Command log",
            f"in memory only, {session.command_log.total} calls so far "
            f"({key_for('command_log')} shows them)",
        ),
        ("Inventory cache", _inventory(session)),
    ]
    return [
        Section("Connection", tuple(connection)),
        Section("Credentials: where each came from (never the values)", tuple(credentials)),
        Section("Local files", tuple(files)),
    ]


def _inventory(session: Session) -> str:
    if session.cache is not None:
        file = session.cache.file
        note = f" ({_value(file.note)})" if file.note else ""  # why it was restarted or is off
        return _value(file.path) + note
    if session.cache_dir is not None:
        return f"{_value(session.cache_dir)} (not opened yet)"
    provenance = session.provenance
    return provenance.cache_off if provenance is not None else "off"
