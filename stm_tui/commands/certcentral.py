"""`stm-tui certcentral setup|update|validate|enable|disable|delete`: the account's
CertCentral integration, which public (CertCentral) certificate profiles need.

The CertCentral API key is a credential: it is read from a masked terminal prompt or from
`--api-key-file` (`-` for stdin), never from an argument (argv is visible to every user of
the machine and lands in shell history); it is never printed, logged or written to the
audit file. Afterwards only the service's hint (the last four characters) is shown."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from stm_tui.commands._write import WriteOptions, request, run_write, write_options
from stm_tui.sanitize import clean_cell, clean_message

if TYPE_CHECKING:
    from pydantic import SecretStr

    from stm_tui.api.writes.call import WriteCall
    from stm_tui.api.writes.execute import WriteOutcome
    from stm_tui.session import Session

EXIT_NOT_CONNECTED = 22
REGIONS = {"global": "GLOBAL", "europe": "EUROPE"}
# A key file larger than this is not a key (and is not read into memory whole).
KEY_FILE_LIMIT = 4096


def _account(session: Session) -> str:
    return session.identity.account_name if session.identity else "the account"


def read_key(path: str | None, *, required: bool) -> SecretStr | None:
    """The API key from `path` (`-`: stdin) or a masked prompt; None when not required and
    not given. The value never reaches an error message."""
    from pydantic import SecretStr

    if path is not None:
        try:
            if path == "-":
                text = sys.stdin.read(KEY_FILE_LIMIT + 1)
            else:
                with Path(path).open(encoding="utf-8") as handle:
                    text = handle.read(KEY_FILE_LIMIT + 1)
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "unreadable"
            raise click.UsageError(
                f"--api-key-file {clean_cell(path)}: {clean_message(str(reason))}"
            ) from None
        if len(text) > KEY_FILE_LIMIT:
            raise click.UsageError(f"--api-key-file: more than {KEY_FILE_LIMIT} characters")
        key = text.strip()
        if not key:
            raise click.UsageError("--api-key-file: the file is empty")
        return SecretStr(key)
    if not required:
        return None
    if not sys.stdin.isatty():
        raise click.UsageError(
            "no terminal to ask for the CertCentral API key: give --api-key-file PATH "
            "(or - for stdin)"
        )
    typed = click.prompt(
        "CertCentral API key (not shown)", hide_input=True, default="", show_default=False,
        err=True,
    )
    if not typed:
        raise click.UsageError("no CertCentral API key typed: nothing was sent")
    return SecretStr(str(typed))


def describe(settings: object) -> str:
    """One line on the integration, from account settings: never the key, only its hint."""
    cc = getattr(settings, "certcentral", None) or {}
    if not cc.get("configured"):
        return "CertCentral: not set up"
    region = {"GLOBAL": "CertCentral global", "EUROPE": "CertCentral Europe"}.get(
        str(cc.get("region")), clean_cell(str(cc.get("region") or "?"))
    )
    hint = clean_cell(str(cc.get("api_key_hint") or "?"))
    if cc.get("enabled") is False:
        state = "disabled"
    elif cc.get("connected"):
        state = "connected"
    else:
        state = "not connected: " + clean_message(str(cc.get("connection_error") or "unknown"))
    return f"CertCentral: {state} ({region}, key {hint})"


async def _report(outcome: WriteOutcome, session: Session) -> None:
    if outcome.resource is not None:
        click.echo(describe(outcome.resource), err=True)


async def _report_validation(outcome: WriteOutcome, session: Session) -> None:
    await _report(outcome, session)
    cc = getattr(outcome.resource, "certcentral", None) or {}
    if not cc.get("connected"):
        sys.exit(EXIT_NOT_CONNECTED)


@click.group(
    "certcentral",
    help="Set up, validate, enable, disable or delete the CertCentral integration.",
)
def certcentral() -> None:
    pass


_REGION = click.Choice(sorted(REGIONS), case_sensitive=False)


@certcentral.command(
    "setup",
    help="Set up the integration: the region and the CertCentral API key (asked on the "
    "terminal, or --api-key-file; never an argument).",
)
@write_options
@click.option("--region", type=_REGION, default="global", show_default=True,
              help="Where the CertCentral account is located.")
@click.option("--api-key-file", default=None, metavar="PATH",
              help="Read the key from this file (- for stdin) instead of asking.")
@click.pass_context
def setup(ctx: click.Context, region: str, api_key_file: str | None, opts: WriteOptions) -> None:
    from stm_tui.api.writes import settings

    key = read_key(api_key_file, required=True)
    req = request(
        settings.SetCertCentral, {"api_key": key, "region": REGIONS[region.lower()]},
        {"api_key": "the API key", "region": "--region"},
    )

    async def build(session: Session) -> WriteCall:
        return settings.set_certcentral(_account(session), req)

    run_write(ctx, opts, build, _report)


@certcentral.command(
    "update", help="Change the region or the API key (--new-key asks for it) of the integration."
)
@write_options
@click.option("--region", type=_REGION, default=None, help="A new region.")
@click.option("--new-key", is_flag=True, help="Ask for a new API key on the terminal.")
@click.option("--api-key-file", default=None, metavar="PATH",
              help="Read a new key from this file (- for stdin).")
@click.pass_context
def update(
    ctx: click.Context, region: str | None, new_key: bool, api_key_file: str | None,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes import settings

    key = read_key(api_key_file, required=new_key)
    data: dict[str, object] = {}
    if region is not None:
        data["region"] = REGIONS[region.lower()]
    if key is not None:
        data["api_key"] = key
    req = request(settings.UpdateCertCentral, data, {"api_key": "the API key"})

    async def build(session: Session) -> WriteCall:
        return settings.update_certcentral(_account(session), req)

    run_write(ctx, opts, build, _report)


@certcentral.command(
    "validate",
    help="Check the stored key with CertCentral; exits 22 when it is not connected.",
)
@write_options
@click.pass_context
def validate(ctx: click.Context, opts: WriteOptions) -> None:
    from stm_tui.api.writes import settings

    async def build(session: Session) -> WriteCall:
        return settings.validate_certcentral(_account(session))

    run_write(ctx, opts, build, _report_validation)


def _simple(builder_name: str) -> click.Command:
    @write_options
    @click.pass_context
    def command(ctx: click.Context, opts: WriteOptions) -> None:
        from stm_tui.api.writes import settings

        async def build(session: Session) -> WriteCall:
            call: WriteCall = getattr(settings, builder_name)(_account(session))
            return call

        run_write(ctx, opts, build, _report)

    return command  # type: ignore[return-value]


certcentral.command("enable", help="Enable the integration again.")(
    _simple("enable_certcentral")
)
certcentral.command("disable", help="Disable the integration (the key is kept).")(
    _simple("disable_certcentral")
)
certcentral.command(
    "delete",
    help="Remove the integration and its key (irreversible: --confirm ACCOUNT_NAME).",
)(_simple("delete_certcentral"))
