"""The `stm-tui` command line.

Sub-commands live in `stm_tui.commands.*` and are imported only when invoked, so that
`stm-tui --version` and `stm-tui --help` stay fast (no Textual, httpx or FastAPI import).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from stm_tui import __version__

# name -> (module, attribute, one-line help). Keeping the help here avoids importing a
# sub-command's module just to list it.
_COMMANDS: dict[str, tuple[str, str, str]] = {
    "demo": ("stm_tui.commands.demo", "demo", "Open the dashboard on the built-in STM emulator."),
    "emulator": ("stm_tui.commands.emulator", "emulator", "Run the STM emulator (foreground)."),
    "get": ("stm_tui.commands.get", "get", "List a resource headlessly (table, JSON or CSV)."),
    "login": (
        "stm_tui.commands.login",
        "login",
        "Check the API key (and p12 password) against the host, then store it.",
    ),
    "config": ("stm_tui.commands.config_cmd", "config", "Where config, data and logs live."),
    "watch": (
        "stm_tui.commands.watch",
        "watch",
        "Monitor release windows live (the monitor on a terminal, else JSON lines).",
    ),
    "replay": ("stm_tui.commands.replay", "replay", "Play a `watch --record` file back."),
    "release": (
        "stm_tui.commands.release",
        "release",
        "Release windows: what a release signed (report), the signature budget.",
    ),
    "doctor": ("stm_tui.commands.doctor", "doctor", "Diagnose host, TLS, clock and each factor."),
    "keypair": ("stm_tui.commands.keypair", "keypair", "Generate, change or delete keypairs."),
    "certificate": (
        "stm_tui.commands.certificate",
        "certificate",
        "Generate, revoke, download or copy certificates.",
    ),
    # people and access (issue 12)
    "account": ("stm_tui.commands.account", "account", "Account 2FA requirement: show, require."),
    "user": ("stm_tui.commands.user", "user", "Add users and service users; roles; deactivate."),
    "token": ("stm_tui.commands.token", "token", "Create, list or revoke API tokens."),
    "client-cert": (
        "stm_tui.commands.client_cert", "client_cert", "Create a client certificate (.p12).",
    ),
    "team": ("stm_tui.commands.team", "team", "Teams: members, permissions, resources."),
    "keypair-profile": (
        "stm_tui.commands.keypair_profile", "keypair_profile",
        "Create, change, enable or disable keypair profiles; require one.",
    ),
    "cert-profile": (
        "stm_tui.commands.cert_profile", "cert_profile",
        "Create, change, clone, enable or disable certificate profiles.",
    ),
    "certcentral": (
        "stm_tui.commands.certcentral", "certcentral",
        "Set up, validate, enable, disable or delete the CertCentral integration.",
    ),
    "setup": ("stm_tui.commands.setup", "setup", "The setup checklist: --check for CI."),
    "scan": ("stm_tui.commands.scan", "scan", "Submit a file for threat detection; show, diff."),
    "approvals": (
        "stm_tui.commands.approvals", "approvals", "What waits on your approval (--wait blocks)."
    ),
    "cache": ("stm_tui.commands.cache", "cache", "Clear the local inventory cache."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = _COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = importlib.import_module(entry[0])
        command = getattr(module, entry[1])
        assert isinstance(command, click.Command)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, _COMMANDS[name][2]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, invoke_without_command=True)
@click.version_option(__version__, prog_name="stm-tui")
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.option(
    "--read-only/--write",
    "read_only",
    default=None,
    help="Read-only (default) refuses every write; --write enables writes for this session.",
)
@click.option("--no-mouse", is_flag=True, help="Do not capture the mouse (easier text selection).")
@click.option("--theme", default=None, help="Colour theme: dark, light or ansi.")
@click.option("--local-time", is_flag=True, help="Show times in local time instead of UTC.")
@click.option(
    "--no-cache", is_flag=True,
    help="Neither read nor write the local inventory cache (load everything from the host).",
)
@click.pass_context
def cli(
    ctx: click.Context,
    profile: str | None,
    read_only: bool | None,
    no_mouse: bool,
    theme: str | None,
    local_time: bool,
    no_cache: bool,
) -> None:
    """Terminal console for DigiCert ONE Software Trust Manager."""
    ctx.ensure_object(dict)
    ctx.obj.update(
        profile=profile, read_only=read_only, no_mouse=no_mouse, theme=theme, no_cache=no_cache
    )
    if local_time:
        ctx.obj["time_zone"] = "local"
    if ctx.invoked_subcommand is None:
        from stm_tui.commands.dashboard import run_dashboard

        ctx.exit(run_dashboard(ctx.obj))


def main(argv: list[str] | None = None) -> Any:
    return cli.main(args=argv, prog_name="stm-tui")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
