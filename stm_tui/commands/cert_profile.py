"""`stm-tui cert-profile create|update|clone|enable|disable`: certificate profiles from a
private hierarchy or from CertCentral, with the guard rails of every write. Every field
but the name is INFERRED (docs/emulator.md): the real service's names may differ."""

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

FLAGS = {
    "name": "--rename",
    "hierarchy": "--hierarchy",
    "certificate_type": "--type",
    "validity_days": "--validity-days",
    "allowed_key_algs": "--key-algs",
    "common_name": "--common-name",
    "organization": "--organization",
    "country": "--country",
    "team_ids": "--team",
}
_CREATE_FLAGS = {**FLAGS, "name": "NAME"}
HIERARCHIES = {"private": "PRIVATE", "certcentral": "PUBLIC", "public": "PUBLIC"}


def profile_options(*, creating: bool) -> Callable[[F], F]:
    options = [
        click.option(
            "--hierarchy",
            type=click.Choice(["private", "certcentral"], case_sensitive=False),
            help="private: the account's private CA; certcentral: public certificates "
            "(needs a connected CertCentral integration)"
            + (" (default private)." if creating else "."),
        ),
        click.option(
            "--type",
            "ctype",
            type=click.Choice(["EV", "OV", "PRIVATE"], case_sensitive=False),
            help="Certificate type: EV or OV for certcentral, PRIVATE for private "
            "(default: the hierarchy's first).",
        ),
        click.option("--validity-days", type=int, default=None,
                     help="Validity in days, 1-3650" + (" (default 365)." if creating else ".")),
        click.option("--key-algs", default=None, metavar="ALG,...",
                     help="Key algorithms allowed: RSA,ECDSA,EDDSA"
                     + (" (default all)." if creating else ".")),
        click.option("--common-name", default=None, help="Subject template: common name."),
        click.option("--organization", default=None, help="Subject template: organization."),
        click.option("--country", default=None, help="Subject template: two-letter country."),
        click.option("--team", "teams", metavar="NAME", multiple=True,
                     help="A team (name or id) the profile is bound to; repeat for more."),
    ]

    def decorate(func: F) -> F:
        for option in reversed(options):
            func = option(func)
        return func

    return decorate


def _fields(kw: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    if kw.get("hierarchy"):
        data["hierarchy"] = HIERARCHIES[kw["hierarchy"].lower()]
    if kw.get("ctype"):
        data["certificate_type"] = kw["ctype"].upper()
    elif "hierarchy" in data:
        data["certificate_type"] = "EV" if data["hierarchy"] == "PUBLIC" else "PRIVATE"
    if kw.get("validity_days") is not None:
        data["validity_days"] = kw["validity_days"]
    if kw.get("key_algs") is not None:
        data["allowed_key_algs"] = tuple(
            a.strip().upper() for a in kw["key_algs"].split(",") if a.strip()
        )
    for name in ("common_name", "organization", "country"):
        if kw.get(name) is not None:
            data[name] = kw[name].upper() if name == "country" else kw[name]
    return data


async def _team_ids(session: Session, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple([(await find(session, "teams", name)).id for name in names])


@click.group(
    "cert-profile",
    help="Create, change, clone, enable or disable certificate profiles (fields INFERRED).",
)
def cert_profile() -> None:
    pass


@cert_profile.command("create", help="Create a certificate profile.")
@write_options
@profile_options(creating=True)
@click.argument("name")
@click.pass_context
def create(ctx: click.Context, /, name: str, opts: WriteOptions, **kw: Any) -> None:
    from stm_tui.api.writes import profiles

    data = {"name": name, **_fields(kw)}
    request(profiles.CreateCertificateProfile, data, _CREATE_FLAGS)  # usage errors first

    async def build(session: Session) -> WriteCall:
        if kw["teams"]:
            data["team_ids"] = await _team_ids(session, kw["teams"])
        return profiles.create_certificate_profile(
            request(profiles.CreateCertificateProfile, data, _CREATE_FLAGS)
        )

    run_write(ctx, opts, build)


@cert_profile.command("update", help="Change a certificate profile (by name or id); issued "
                      "certificates keep their terms.")
@write_options
@profile_options(creating=False)
@click.option("--rename", default=None, metavar="NEW", help="A new name.")
@click.argument("name")
@click.pass_context
def update(
    ctx: click.Context, /, name: str, rename: str | None, opts: WriteOptions, **kw: Any
) -> None:
    from stm_tui.api.writes import profiles

    data = _fields(kw)
    if rename is not None:
        data["name"] = rename
    if not data and not kw["teams"]:
        raise click.UsageError("nothing to change: give at least one option (see --help)")

    async def build(session: Session) -> WriteCall:
        item = await find(session, "certificate_profiles", name)
        if kw["teams"]:
            data["team_ids"] = await _team_ids(session, kw["teams"])
        if "certificate_type" in data and "hierarchy" not in data:
            data["hierarchy"] = item.hierarchy
        if {"organization", "country"} & data.keys() or "common_name" in data:
            # The subject template is sent whole: fill in what was not given.
            template = item.subject_template or {}
            for key in ("common_name", "organization", "country"):
                if key not in data and template.get(key):
                    data[key] = template[key]
        req = request(profiles.UpdateCertificateProfile, data, FLAGS)
        return profiles.update_certificate_profile(item.id, item.name or item.id, req)

    run_write(ctx, opts, build)


@cert_profile.command("clone", help="Copy a certificate profile under a new name (active, "
                      "without its teams).")
@write_options
@click.argument("name")
@click.argument("new_name")
@click.pass_context
def clone(ctx: click.Context, name: str, new_name: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes import profiles

    req = request(profiles.CloneCertificateProfile, {"name": new_name}, {"name": "NEW_NAME"})

    async def build(session: Session) -> WriteCall:
        item = await find(session, "certificate_profiles", name)
        return profiles.clone_certificate_profile(item.id, item.name or item.id, req)

    run_write(ctx, opts, build)


def _switch(builder_name: str) -> Any:
    return named_item_command("certificate_profiles", "stm_tui.api.writes.profiles", builder_name)


cert_profile.command("enable", help="Enable a certificate profile (by name or id).")(
    _switch("enable_certificate_profile")
)
cert_profile.command("disable", help="Disable a certificate profile: no new certificates.")(
    _switch("disable_certificate_profile")
)
