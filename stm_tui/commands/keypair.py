"""`stm-tui keypair ...`: keypair changes from a runbook, with the guard rails of every write
(`--dry-run`, `--yes`, `--confirm`, `-o json`; see `stm_tui.commands._write`).

Names are accepted wherever an id is (keypair and certificate aliases, user emails or names,
team and profile names); options are checked before connecting where no server is needed,
and each wrong one is named in the usage error (exit 2)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._impact import deletion_impact
from stm_tui.commands._resolve import (
    check_certificate_profile,
    ids_of,
    profile_named,
    split_names,
)
from stm_tui.commands._write import (
    WriteOptions,
    find,
    request,
    run_write,
    show_impact,
    write_options,
)
from stm_tui.sanitize import clean_cell

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session


@click.group("keypair", help="Generate, change, suspend or delete keypairs (by alias or id).")
def keypair() -> None:
    pass


def _by_alias(builder_name: str) -> Callable[..., None]:
    """suspend / unsuspend / delete: one keypair named by alias or id, nothing else asked."""

    @write_options
    @click.argument("alias")
    @click.pass_context
    def command(ctx: click.Context, alias: str, opts: WriteOptions) -> None:
        from stm_tui.api.writes import keypairs

        async def build(session: Session) -> WriteCall:
            item = await find(session, "keypairs", alias)
            if builder_name == "delete_keypair":
                show_impact(await deletion_impact(session.client, item))
            builder = getattr(keypairs, builder_name)
            call: WriteCall = builder(item.id, item.alias or item.id)
            return call

        run_write(ctx, opts, build)

    return command


_HELP = {
    "suspend": "Suspend a keypair: set it OFFLINE (it signs only in an approved offline window).",
    "unsuspend": "Unsuspend a keypair: set it ONLINE.",
    "delete": "Delete a keypair and revoke its certificates (irreversible: --confirm ALIAS).",
}
for _verb in ("suspend", "unsuspend", "delete"):
    keypair.command(_verb, help=_HELP[_verb])(_by_alias(f"{_verb}_keypair"))


# generate ------------------------------------------------------------------------------------

# Request fields -> the options a person typed (for the messages of `request`).
_GENERATE_FLAGS = {
    "alias": "ALIAS",
    "keypair_profile_id": "--profile",
    "key_alg": "--alg",
    "key_size": "--size",
    "curve": "--curve",
    "key_storage": "--storage",
    "key_status": "--mode",
    "key_type": "--category",
    "limit_by_users": "--open",
    "users": "--users",
    "groups": "--teams",
    "cert_alias": "--cert-alias",
    "cert_profile_id": "--cert-profile",
    "set_as_default_cert": "--default",
}
# What a keypair profile decides (a Fixed one) or suggests (a Customizable one).
_PROFILE_FIELDS = ("key_alg", "key_size", "curve", "key_status", "key_type")
_CURVE_NAMES = {"P256": "P256", "P384": "P384", "P521": "P521", "ED25519": "Ed25519"}


def _curve(value: str | None) -> str | None:
    """P-256, p256 and P256 alike; anything else goes to the model as typed (its message)."""
    if value is None:
        return None
    key = value.replace("-", "").replace("_", "").upper()
    return _CURVE_NAMES.get(key, value)


def _upper(value: str | None) -> str | None:
    return value.upper() if value is not None else None


def _apply_profile(data: dict[str, object], profile: Any) -> None:
    """A Fixed profile's values win (an option that differs is a usage error); a
    Customizable one fills in what was not given. Size and curve follow the profile only
    while the algorithm is the profile's."""
    name = clean_cell(profile.name or profile.id)
    fixed = (profile.profile_type or "").upper() == "FIXED"
    values = {f: getattr(profile, f, None) for f in _PROFILE_FIELDS}
    if fixed:
        for field, value in values.items():
            given = data.get(field)
            if given is not None and value is not None and given != value:
                flag = _GENERATE_FLAGS[field]
                raise click.UsageError(
                    f"{flag}: the Fixed keypair profile {name} sets it to {clean_cell(value)}"
                )
    if data.get("key_alg") is None:
        data["key_alg"] = values["key_alg"]
    same_alg = data["key_alg"] == values["key_alg"]
    for field in ("key_size", "curve"):
        if data.get(field) is None and same_alg:
            data[field] = values[field]
    for field in ("key_status", "key_type"):
        if data.get(field) is None:
            data[field] = values[field]


def _drop_unset(data: dict[str, object]) -> dict[str, object]:
    # Left out, a field takes the request model's default (HSM, ONLINE, TEST).
    return {k: v for k, v in data.items() if v is not None}


@keypair.command(
    "generate",
    help=(
        "Generate a keypair: from a keypair profile (--profile, name or id) or custom "
        "(--alg with --size or --curve), optionally with its first certificate "
        "(--cert-profile and --cert-alias). Restricted to you unless --users/--teams name "
        "others (emails, names or ids), or --open.\n\n"
        "--profile here is the keypair profile; the config profile goes before the "
        "command: stm-tui --profile NAME keypair generate ..."
    ),
)
@write_options(config_profile=False)
@click.argument("alias")
@click.option("--profile", "keypair_profile", metavar="PROFILE", help="Keypair profile.")
@click.option("--alg", type=click.Choice(["rsa", "ecdsa", "eddsa"], case_sensitive=False))
@click.option("--size", type=int, help="RSA key size: 2048, 3072 or 4096.")
@click.option("--curve", help="ECDSA: P-256, P-384 or P-521; EdDSA: Ed25519.")
@click.option("--storage", type=click.Choice(["hsm", "disk"], case_sensitive=False))
@click.option(
    "--mode",
    type=click.Choice(["online", "offline"], case_sensitive=False),
    help="offline: it signs only in an approved release window.",
)
@click.option("--category", type=click.Choice(["test", "production"], case_sensitive=False))
@click.option("--users", multiple=True, metavar="U,...", help="Users allowed to sign with it.")
@click.option("--teams", multiple=True, metavar="T,...", help="Teams it belongs to.")
@click.option("--open", "open_", is_flag=True, help="Usable by every user of the account.")
@click.option("--cert-profile", metavar="PROFILE", help="Certificate profile (name or id).")
@click.option("--cert-alias", metavar="ALIAS", help="Alias of the certificate.")
@click.option("--default", "default", is_flag=True, help="Make it the default (it is anyway).")
@click.pass_context
def generate(
    ctx: click.Context,
    alias: str,
    keypair_profile: str | None,
    alg: str | None,
    size: int | None,
    curve: str | None,
    storage: str | None,
    mode: str | None,
    category: str | None,
    users: tuple[str, ...],
    teams: tuple[str, ...],
    open_: bool,
    cert_profile: str | None,
    cert_alias: str | None,
    default: bool,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.keypairs import GenerateKeypair, generate_keypair

    with_cert = bool(cert_profile or cert_alias or default)
    user_names, team_names = split_names(users), split_names(teams)
    data: dict[str, object] = {
        "alias": alias,
        "keypair_profile_id": keypair_profile,
        "key_alg": _upper(alg),
        "key_size": size,
        "curve": _curve(curve),
        "key_storage": _upper(storage),
        "key_status": _upper(mode),
        "key_type": _upper(category),
        "limit_by_users": not open_,
        "users": tuple(user_names),
        "groups": tuple(team_names),
        "generate_cert": with_cert,
        "cert_alias": cert_alias,
        "cert_profile_id": cert_profile,
        # A new keypair's one certificate is its default: --default only says so.
        "set_as_default_cert": True if with_cert else None,
    }
    # Everything that needs no server is checked before connecting.
    request(GenerateKeypair, _drop_unset(data), _GENERATE_FLAGS)

    async def build(session: Session) -> WriteCall:
        if keypair_profile is not None:
            profile = await profile_named(
                session, "keypair_profiles", keypair_profile, "keypair generate"
            )
            data["keypair_profile_id"] = profile.id
            _apply_profile(data, profile)
        elif await _profile_required(session):
            raise click.UsageError(
                "--profile: required: the account requires a keypair profile to generate a "
                "keypair (`stm-tui get keypair-profiles` lists them)"
            )
        if data["key_alg"] == "EDDSA" and data.get("curve") is None:
            data["curve"] = "Ed25519"  # the only curve: the preview shows what is made
        data["users"] = tuple(await ids_of(session, "users", user_names))
        data["groups"] = tuple(await ids_of(session, "teams", team_names))
        if cert_profile is not None:
            chosen = await profile_named(
                session, "certificate_profiles", cert_profile, "keypair generate"
            )
            check_certificate_profile(chosen, str(data["key_alg"] or ""), "--cert-profile")
            data["cert_profile_id"] = chosen.id
        return generate_keypair(request(GenerateKeypair, _drop_unset(data), _GENERATE_FLAGS))

    run_write(ctx, opts, build)


async def _profile_required(session: Session) -> bool:
    """The account setting "Require keypair profile to generate keypair"; False when the
    caller cannot read the settings (the server still refuses, exit 22)."""
    from stm_tui.api.errors import StmError

    try:
        settings = await session.client.get_item("account_settings", "")
    except StmError:
        return False
    return bool(getattr(settings, "require_keypair_profile", False))


# update --------------------------------------------------------------------------------------

_UPDATE_FLAGS = {
    "alias": "--alias",
    "limit_by_users": "--open",
    "users": "--users",
    "groups": "--teams",
    "default_certificate_id": "--default-cert",
}


@keypair.command(
    "update",
    help=(
        "Change a keypair: its alias, who may use it (--users restricts it to them, --open "
        "to everyone), its teams, its default certificate (alias or id)."
    ),
)
@write_options
@click.argument("alias")
@click.option("--alias", "new_alias", metavar="NEW", help="The new alias.")
@click.option("--users", multiple=True, metavar="U,...", help="Restrict it to these users.")
@click.option("--open", "open_", is_flag=True, help="Usable by every user of the account.")
@click.option("--teams", multiple=True, metavar="T,...", help="The teams it belongs to.")
@click.option("--default-cert", metavar="CERT", help="Its default certificate.")
@click.pass_context
def update(
    ctx: click.Context,
    alias: str,
    new_alias: str | None,
    users: tuple[str, ...],
    open_: bool,
    teams: tuple[str, ...],
    default_cert: str | None,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.keypairs import UpdateKeypair, update_keypair

    user_names, team_names = split_names(users), split_names(teams)
    if open_ and (user_names or team_names):
        raise click.UsageError(
            "--open: an open keypair is usable by everyone: no --users or --teams with it"
        )
    data: dict[str, object] = {}
    if new_alias is not None:
        data["alias"] = new_alias
    if open_:
        data["limit_by_users"] = False
    if user_names:
        data["limit_by_users"] = True
        data["users"] = tuple(user_names)
    if team_names:
        data["groups"] = tuple(team_names)
    if default_cert is not None:
        data["default_certificate_id"] = default_cert
    if not data:
        raise click.UsageError(
            "nothing to change: give --alias, --users, --open, --teams or --default-cert"
        )
    request(UpdateKeypair, data, _UPDATE_FLAGS)

    async def build(session: Session) -> WriteCall:
        item = await find(session, "keypairs", alias)
        if user_names:
            data["users"] = tuple(await ids_of(session, "users", user_names))
        if team_names:
            data["groups"] = tuple(await ids_of(session, "teams", team_names))
        if default_cert is not None:
            cert = await find(session, "certificates", default_cert)
            owner = cert.keypair.id if cert.keypair is not None else None
            if owner != item.id:
                held_by = cert.keypair.alias or owner if cert.keypair is not None else None
                raise click.UsageError(
                    f"--default-cert: certificate {clean_cell(cert.alias or cert.id)} belongs "
                    f"to keypair {clean_cell(held_by or '?')}, not {clean_cell(item.alias)}"
                )
            data["default_certificate_id"] = cert.id
        req = request(UpdateKeypair, data, _UPDATE_FLAGS)
        return update_keypair(item.id, item.alias or item.id, req)

    run_write(ctx, opts, build)
