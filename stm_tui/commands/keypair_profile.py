"""`stm-tui keypair-profile create|update|enable|disable|require`: keypair profiles and the
account setting that makes them mandatory, with the guard rails of every write
(`--dry-run`, `--yes`, `-o json`; see `stm_tui.commands._write`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import click

from stm_tui.commands._write import (
    WriteOptions,
    find,
    named_item_command,
    request,
    run_write,
    write_options,
)

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session

# Option -> request field, for usage errors that name the option the user typed.
FLAGS = {
    "name": "--rename",
    "key_alg": "--alg",
    "key_size": "--size",
    "curve": "--curve",
    "profile_type": "--kind",
    "scope": "--scope",
    "key_status": "--status",
    "key_type": "--category",
    "key_storage": "--storage",
    "active_from": "--inactive-until",
    "activation": "--inactive-until",
    "team_ids": "--team",
}
_CREATE_FLAGS = {**FLAGS, "name": "NAME"}


def profile_options(*, creating: bool) -> Callable[[F], F]:
    """The profile's fields as options; on update every one is optional (left out: kept)."""

    def choice(*values: str) -> click.Choice[str]:
        return click.Choice(values, case_sensitive=False)

    options = [
        click.option("--alg", type=choice("RSA", "ECDSA", "EDDSA"), required=creating,
                     help="Algorithm."),
        click.option("--size", type=click.Choice(["2048", "3072", "4096"]),
                     help="RSA key size."),
        click.option("--curve", type=choice("P256", "P384", "P521", "Ed25519"),
                     help="ECDSA curve (EdDSA is Ed25519)."),
        click.option("--kind", type=choice("fixed", "customizable"),
                     help="Fixed locks the values; Customizable offers them as defaults"
                     + (" (default fixed)." if creating else ".")),
        click.option("--scope", type=choice("account", "system"),
                     help="Scope" + (" (default account)." if creating else ".")),
        click.option("--status", type=choice("online", "offline"),
                     help="Status of keypairs made from it" + (
                         " (default online)." if creating else ".")),
        click.option("--category", type=choice("production", "test"),
                     help="Category" + (" (default test)." if creating else ".")),
        click.option("--storage", type=choice("hsm", "disk"),
                     help="Storage" + (" (default hsm)." if creating else ".")),
        click.option("--inactive-until", metavar="TIME", default=None,
                     help="Inactive until this ISO date-time with a zone (2026-12-31T00:00Z)."),
        click.option("--team", "teams", metavar="NAME", multiple=True,
                     help="A team (name or id) the profile is bound to; repeat for more."),
    ]

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _fields(kw: dict[str, Any]) -> dict[str, Any]:
    """The options given, under the request's field names (left out when not given)."""
    data: dict[str, Any] = {}
    for option, field in (
        ("alg", "key_alg"), ("curve", "curve"), ("kind", "profile_type"),
        ("scope", "scope"), ("status", "key_status"), ("category", "key_type"),
        ("storage", "key_storage"),
    ):
        value = kw.get(option)
        if value is not None:
            data[field] = value if field == "curve" else value.upper()
    if data.get("curve", "").lower() == "ed25519":
        data["curve"] = "Ed25519"
    if kw.get("size") is not None:
        data["key_size"] = int(kw["size"])
    if kw.get("inactive_until") is not None:
        data["activation"] = "LATER"
        data["active_from"] = kw["inactive_until"]
    return data


async def _team_ids(session: Session, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple([(await find(session, "teams", name)).id for name in names])


@click.group(
    "keypair-profile",
    help="Create, change, enable or disable keypair profiles; require one for new keypairs.",
)
def keypair_profile() -> None:
    pass


@keypair_profile.command("create", help="Create a keypair profile (active now unless "
                         "--inactive-until).")
@write_options
@profile_options(creating=True)
@click.argument("name")
@click.pass_context
def create(ctx: click.Context, /, name: str, opts: WriteOptions, **kw: Any) -> None:
    from stm_tui.api.writes import profiles

    data = {"name": name, **_fields(kw)}

    async def build(session: Session) -> WriteCall:
        if kw["teams"]:
            data["team_ids"] = await _team_ids(session, kw["teams"])
        return profiles.create_keypair_profile(
            request(profiles.CreateKeypairProfile, data, _CREATE_FLAGS)
        )

    # Bad options are a usage error before any connection is made.
    request(profiles.CreateKeypairProfile, data, _CREATE_FLAGS)
    run_write(ctx, opts, build)


@keypair_profile.command("update", help="Change a keypair profile (by name or id); keypairs "
                         "generated before keep their values.")
@write_options
@profile_options(creating=False)
@click.option("--rename", default=None, metavar="NEW", help="A new name.")
@click.option("--active-now", is_flag=True, help="Make it active now (clears --inactive-until).")
@click.argument("name")
@click.pass_context
def update(
    ctx: click.Context, /, name: str, rename: str | None, active_now: bool, opts: WriteOptions,
    **kw: Any,
) -> None:
    from stm_tui.api.writes import profiles

    data = _fields(kw)
    if rename is not None:
        data["name"] = rename
    if active_now:
        if "active_from" in data:
            raise click.UsageError("--active-now and --inactive-until contradict each other")
        data["activation"] = "NOW"
    if not data and not kw["teams"]:
        raise click.UsageError("nothing to change: give at least one option (see --help)")

    async def build(session: Session) -> WriteCall:
        item = await find(session, "keypair_profiles", name)
        if kw["teams"]:
            data["team_ids"] = await _team_ids(session, kw["teams"])
        if "key_alg" in data:
            # A new algorithm needs its size or curve; keep the old one when it still fits.
            data.setdefault("key_size", item.key_size if data["key_alg"] == "RSA" else None)
            data.setdefault("curve", item.curve if data["key_alg"] != "RSA" else None)
        req = request(profiles.UpdateKeypairProfile, data, FLAGS)
        return profiles.update_keypair_profile(item.id, item.name or item.id, req)

    run_write(ctx, opts, build)


def _switch(builder_name: str) -> Any:
    return named_item_command("keypair_profiles", "stm_tui.api.writes.profiles", builder_name)


keypair_profile.command("enable", help="Enable a keypair profile (by name or id).")(
    _switch("enable_keypair_profile")
)
keypair_profile.command("disable", help="Disable a keypair profile: no new keypairs from it.")(
    _switch("disable_keypair_profile")
)


@keypair_profile.command(
    "require",
    help="Require a keypair profile to generate keypairs in the account (on), or not (off).",
)
@write_options
@click.argument("state", type=click.Choice(["on", "off"]))
@click.pass_context
def require(ctx: click.Context, state: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes import settings

    async def build(session: Session) -> WriteCall:
        label = session.identity.account_name if session.identity else "the account"
        return settings.set_require_keypair_profile(label, state == "on")

    run_write(ctx, opts, build)
