"""`stm-tui config path|show`: where things live, and the profile that would be used."""

from __future__ import annotations

import click

from stm_tui.commands._common import fail, profile_name


@click.group("config")
def config() -> None:
    """Show where config, data, cache and logs live, or the active profile."""


@config.command("path")
def path_cmd() -> None:
    """Print the config, data, cache, state and log locations."""
    from stm_tui.cache.paths import inventory_dir
    from stm_tui.config import app_paths

    rows = {**app_paths().as_dict(), "inventory": inventory_dir()}
    for label, location in rows.items():
        click.echo(f"{label + ':':<13} {location}")


# An older name for `path`, kept working for scripts but not listed.
locate_cmd = click.Command(
    "locate", callback=path_cmd.callback, help=path_cmd.help, hidden=True
)
config.add_command(locate_cmd)


@config.command("show")
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def show(ctx: click.Context, profile: str | None) -> None:
    """Print the resolved profile and where each credential comes from (never the values)."""
    from stm_tui.api.errors import StmError
    from stm_tui.config import load_profile
    from stm_tui.credentials import resolve_credentials

    try:
        prof = load_profile(profile_name(ctx.find_root(), profile))
        creds = resolve_credentials(prof)
    except StmError as err:
        fail(err)
    rows = {
        "profile": prof.name,
        "source": prof.source,
        "host": prof.host,
        "account id": prof.account_id or "(primary)",
        "client cert": str(prof.client_cert_file or "(none)"),
        "CA file": str(prof.ca_file or "(system trust store)"),
        "timeout": f"{prof.conn_timeout_ms} ms connect, {prof.read_timeout_s:g} s read",
        "deadline": f"{prof.request_deadline_s:g} s per request",
        "max response": f"{prof.max_response_mb} MB",
        "page size": str(prof.page_size),
        "read-only": "yes" if prof.read_only else "no",
        "API key": creds.api_key_source,
        "cert password": creds.client_cert_password_source,
        "keyring": creds.keyring_status,
    }
    for label, value in rows.items():
        click.echo(f"{label + ':':<15} {value}")
