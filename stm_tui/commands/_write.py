"""The guard rails every headless write shares, in the style of smctl.

A write command builds one `WriteCall` (the value the dashboard previews) and hands it to
`run_write`, which applies the same rules everywhere:

- `--dry-run` prints the exact request (secrets redacted) and sends nothing;
- without a terminal a write needs `--yes`; an irreversible one also `--confirm NAME`, the
  resource's name typed out (on a terminal it is asked for instead);
- the local audit file gets the intent before the call and the outcome after it; if the
  intent cannot be written, nothing is sent;
- creating and signing calls are sent once: a timeout after sending is "outcome unknown"
  (exit 21) with what a re-read shows, never success or failure;
- `-o json` prints the server's answer with the API's field names.

Exit codes (also in docs/cli.md): 0 done, 2 usage, 3 authentication or permission,
4 not found, 5 unreachable or failing, 20 refused by the guard rails (nothing sent),
21 outcome unknown, 22 refused by the server as invalid, duplicate or in the wrong state.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, overload

import click

from stm_tui.commands._common import (
    EXIT_AUTH,
    EXIT_NOT_FOUND,
    EXIT_OK,
    EXIT_USAGE,
    exit_code_for,
    profile_name,
    setup_logging,
    tty_prompt,
)
from stm_tui.commands._lookup import AmbiguousName, NoSuchName
from stm_tui.sanitize import clean_block, clean_cell, clean_message, escape_json

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.api.writes.execute import WriteOutcome
    from stm_tui.api.writes.validation import RequestModel
    from stm_tui.session import Session

EXIT_REFUSED = 20
EXIT_UNKNOWN = 21
EXIT_REJECTED = 22

F = TypeVar("F", bound=Callable[..., Any])
M = TypeVar("M", bound="RequestModel")


@dataclass(frozen=True)
class WriteOptions:
    dry_run: bool = False
    yes: bool = False
    confirm: str | None = None
    output: str = "text"
    profile: str | None = None


@overload
def write_options(func: F) -> F: ...
@overload
def write_options(*, config_profile: bool = True) -> Callable[[F], F]: ...


def write_options(func: F | None = None, *, config_profile: bool = True) -> Any:
    """--dry-run, --yes, --confirm, -o and --profile, gathered into a `WriteOptions` passed
    as the `opts` keyword.

    `config_profile=False` leaves --profile to the command (smctl's `keypair generate
    --profile` names a keypair profile); the config profile then comes from `stm-tui
    --profile NAME <command>` or the environment."""
    if func is None:
        return functools.partial(write_options, config_profile=config_profile)
    options = [
        click.option(
            "-o",
            "--output",
            type=click.Choice(["text", "json"]),
            default="text",
            help="json: the server's answer (or the dry run's request) with the API's names.",
        ),
        click.option(
            "--confirm",
            "confirm",
            metavar="NAME",
            default=None,
            help="For an irreversible change without a terminal: the resource's name, typed.",
        ),
        click.option("--yes", "-y", is_flag=True, help="Do it without asking (scripts)."),
        click.option("--dry-run", is_flag=True, help="Print the exact request; send nothing."),
    ]
    if config_profile:
        options.insert(
            0,
            click.option(
                "--profile", default=None, help="Profile to use (default: the config's)."
            ),
        )

    def wrapper(**kw: Any) -> Any:
        opts = WriteOptions(
            dry_run=kw.pop("dry_run"),
            yes=kw.pop("yes"),
            confirm=kw.pop("confirm"),
            output=kw.pop("output"),
            profile=kw.pop("profile") if config_profile else None,
        )
        return func(opts=opts, **kw)

    # Keeps the arguments click already attached to `func` (its __click_params__).
    wrapper = functools.wraps(func)(wrapper)
    for option in options:
        wrapper = option(wrapper)
    return wrapper


class Refused(Exception):
    """A guard rail stopped the write before anything was sent (exit 20)."""


def refuse(message: str) -> NoReturn:
    raise Refused(message)


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def check_guard_rails(call: WriteCall, opts: WriteOptions) -> None:
    """The rules of a write before it is sent; raises `Refused` with the reason."""
    from stm_tui.api.writes.call import Tier

    irreversible = call.tier is Tier.IRREVERSIBLE
    if irreversible:
        wanted = call.confirm_text or ""
        if opts.confirm is not None:
            if opts.confirm != wanted:
                refuse(
                    f"--confirm {clean_cell(opts.confirm)!r} does not match "
                    f"{clean_cell(wanted)!r}: nothing was sent"
                )
        elif _interactive():
            click.echo(f"This cannot be undone: {clean_message(call.summary)}", err=True)
            typed = click.prompt(
                f"Type {clean_cell(wanted)} to confirm",
                default="",
                show_default=False,
                err=True,
            )
            if typed != wanted:
                refuse("the name typed does not match: nothing was sent")
            return
        else:
            # The summary of an irreversible call already says it cannot be undone.
            refuse(
                f"{clean_message(call.summary)}: without a terminal an irreversible change "
                f"needs --yes and --confirm {clean_cell(wanted)}"
            )
    if opts.yes:
        return
    if not _interactive():
        refuse(f"{clean_message(call.summary)}: without a terminal a change needs --yes")
    if not irreversible and not click.confirm(
        f"{clean_message(call.summary)}?", default=False, err=True
    ):
        refuse("cancelled: nothing was sent")


def print_dry_run(call: WriteCall, opts: WriteOptions) -> None:
    if opts.output == "json":
        click.echo(escape_json(json.dumps({"dry_run": True, **call.record()}, indent=2)))
        return
    click.echo(f"dry run: {clean_message(call.summary)} (nothing sent)")
    click.echo(clean_block(call.preview()))


def answer_json(outcome: WriteOutcome) -> Any:
    """The server's answer as it came (the API's field names); {} for an empty one."""
    if not outcome.raw:
        return {"status": outcome.status}
    try:
        data = json.loads(outcome.raw)
    except ValueError:
        return {"status": outcome.status}
    if isinstance(data, dict) and "p12" in data:
        # A PKCS#12 body goes to the file the command names, never to stdout.
        data["p12"] = "(saved to the file)"
    return data


@asynccontextmanager
async def write_session(opts: WriteOptions, ctx: click.Context) -> AsyncIterator[Session]:
    """A session that may write (the command itself is the request to write), without the
    poller: one identity read, then the calls the command makes."""
    from stm_tui.config import load_profile
    from stm_tui.connect import session_for_profile
    from stm_tui.credentials import resolve_credentials_async

    prof = load_profile(profile_name(ctx, opts.profile))
    creds = await resolve_credentials_async(prof, prompt=tty_prompt)
    if creds.api_key is None and prof.client_cert_file is None:
        click.echo(
            "stm-tui: no API key: set SM_API_KEY (or SM_API_KEY_FILE), or run `stm-tui login`",
            err=True,
        )
        sys.exit(EXIT_AUTH)
    session = session_for_profile(prof, creds, read_only=opts.dry_run)
    try:
        error = await session.connect()
        if error is not None:
            raise error
        session.refresh_identity()  # who acts, for the audit file
        yield session
    finally:
        await session.client.aclose()


Build = Callable[["Session"], Awaitable["WriteCall"]]
After = Callable[["WriteOutcome", "Session"], Awaitable[None]]


async def _perform(
    ctx: click.Context, opts: WriteOptions, build: Build, after: After | None
) -> int:
    from stm_tui.api.errors import OutcomeUnknown
    from stm_tui.audit_file import AuditUnavailable

    async with write_session(opts, ctx) as session:
        call = await build(session)
        if opts.dry_run:
            print_dry_run(call, opts)
            return EXIT_OK
        check_guard_rails(call, opts)
        try:
            outcome = await session.write(call)
        except AuditUnavailable as exc:
            refuse(f"not sent: {exc}")
        except OutcomeUnknown as exc:
            click.echo(f"stm-tui: outcome unknown: {clean_message(call.summary)}", err=True)
            click.echo("stm-tui: the service did not answer; the call was not retried", err=True)
            if exc.checked:
                found = exc.current
                shown = (
                    "nothing there"
                    if found is None
                    else clean_cell(
                        getattr(found, "alias", None) or getattr(found, "name", None) or found.id
                    )
                )
                click.echo(f"stm-tui: a re-read shows: {shown}", err=True)
            else:
                click.echo("stm-tui: the re-read failed too: check before trying again", err=True)
            return EXIT_UNKNOWN
        if opts.output == "json":
            click.echo(escape_json(json.dumps(answer_json(outcome), indent=2)))
        else:
            click.echo(f"done: {clean_message(call.summary)}")
            if not outcome.audited:
                click.echo(
                    "stm-tui: warning: the audit file could not record the outcome", err=True
                )
        if after is not None:
            await after(outcome, session)
    return EXIT_OK


def run_write(
    ctx: click.Context, opts: WriteOptions, build: Build, after: After | None = None
) -> NoReturn:
    """Build the call (names resolved through `session`), apply the guard rails, send it
    once, print the outcome, exit with its code. `after` gets an accepted outcome (to save a
    download, print a value shown once)."""
    from stm_tui.api.errors import RequestRejected, StmError

    setup_logging()
    try:
        code = asyncio.run(_perform(ctx, opts, build, after))
    except Refused as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_REFUSED)
    except RequestRejected as err:
        click.echo(f"stm-tui: refused by the service: {clean_message(err.message)}", err=True)
        sys.exit(EXIT_REJECTED)
    except StmError as err:
        click.echo(f"stm-tui: {clean_message(err.message)}", err=True)
        sys.exit(exit_code_for(err))
    except AmbiguousName as exc:
        click.echo("\n".join(exc.lines), err=True)
        sys.exit(EXIT_USAGE)
    except NoSuchName as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    except ValueError as exc:  # a request model refused the input: a usage error
        click.echo(f"stm-tui: {clean_message(str(exc))}", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code)


def request(model: type[M], data: Mapping[str, Any], flags: Mapping[str, str] | None = None) -> M:
    """The request model from the command's options, or a usage error (exit 2) that names
    each wrong option with its message (`flags`: field -> option, default --field-name)."""
    from stm_tui.api.writes.validation import check

    value, problems = check(model, data)
    if value is None:
        names = flags or {}
        # "_" is a problem of the whole request ("nothing to change"), not of one option.
        lines = [
            clean_message(message)
            if field == "_"
            else f"{names.get(field, '--' + field.replace('_', '-'))}: {clean_message(message)}"
            for field, message in problems.items()
        ]
        raise click.UsageError("; ".join(lines) or "invalid input")
    return value


def show_impact(lines: list[str]) -> None:
    """What else an irreversible change touches, on stderr before it is confirmed (stdout
    stays the dry run's or the answer's)."""
    for line in lines or ["no other resource is known to depend on it"]:
        click.echo(f"stm-tui: impact: {line}", err=True)


async def find(session: Session, resource: str, wanted: str) -> Any:
    """One item by id or natural name (alias, name, email)."""
    from stm_tui.api.resources import spec_for
    from stm_tui.commands._lookup import find_item

    return await find_item(session.client, spec_for(resource), wanted)


def named_item_command(resource: str, module: str, builder_name: str) -> Any:
    """A write command on one item found by name or id, whose call is
    `<module>.<builder_name>(id, name)` (enable, disable); the builder's module is imported
    when the command runs, as every command's is, so `--help` stays fast."""

    @write_options
    @click.argument("name")
    @click.pass_context
    def command(ctx: click.Context, name: str, opts: WriteOptions) -> None:
        import importlib

        builder = getattr(importlib.import_module(module), builder_name)

        async def build(session: Session) -> WriteCall:
            item = await find(session, resource, name)
            call: WriteCall = builder(item.id, item.name or item.id)
            return call

        run_write(ctx, opts, build)

    return command
