"""`stm-tui team create|add-member|remove-member|set-permissions|map|deactivate|delete`.

Members are named by id, e-mail or name; permissions by their names (`--on sign,scan
--off manage_team`, or `all` / `none`); resources by id or name (keypairs by alias).
Nobody changes their own member permissions: the command says so before sending.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._write import WriteOptions, refuse, request, run_write, write_options
from stm_tui.sanitize import clean_message

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session


@click.group("team", help="Teams: members, their nine permissions, mapped resources.")
def team() -> None:
    pass


async def _team(session: Session, wanted: str) -> Any:
    from stm_tui.commands._write import find

    return await find(session, "teams", wanted)


def _permissions(on: str, off: str) -> dict[str, bool]:
    from stm_tui.api.writes.teams import PERMISSION_NAMES

    out: dict[str, bool] = {}
    for text, value in ((on, True), (off, False)):
        for part in (p.strip().lower().replace("-", "_") for p in text.split(",")):
            if not part:
                continue
            names = PERMISSION_NAMES if part == "all" else () if part == "none" else (part,)
            for name in names:
                if name not in PERMISSION_NAMES:
                    raise click.UsageError(
                        f"--on/--off: {clean_message(part)} is not a team permission; one of "
                        + ", ".join(PERMISSION_NAMES)
                    )
                out[name] = value
    return out


@team.command("create", help="Create a team.")
@write_options
@click.argument("name")
@click.option("--description", default=None)
@click.pass_context
def create(ctx: click.Context, name: str, description: str | None, opts: WriteOptions) -> None:
    from stm_tui.api.writes.teams import CreateTeam, create_team

    req = request(CreateTeam, {"name": name, "description": description}, {"name": "NAME"})

    async def build(session: Session) -> WriteCall:
        return create_team(req)

    run_write(ctx, opts, build)


@team.command("add-member", help="Add a user to a team.")
@write_options
@click.argument("team_name", metavar="TEAM")
@click.argument("who", metavar="USER")
@click.option("--lead", is_flag=True, help="As a team lead (all nine permissions).")
@click.pass_context
def add_member(
    ctx: click.Context, team_name: str, who: str, lead: bool, opts: WriteOptions
) -> None:
    from stm_tui.api.writes.teams import TeamMember
    from stm_tui.api.writes.teams import add_member as build_add
    from stm_tui.commands._access import find_user

    async def build(session: Session) -> WriteCall:
        t = await _team(session, team_name)
        u = await find_user(session, who)
        return build_add(t.id, t.name or t.id, TeamMember(user_id=u.id, is_lead=lead),
                         u.display_name)

    run_write(ctx, opts, build)


@team.command("remove-member", help="Remove a user from a team.")
@write_options
@click.argument("team_name", metavar="TEAM")
@click.argument("who", metavar="USER")
@click.pass_context
def remove_member(ctx: click.Context, team_name: str, who: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.teams import remove_member as build_remove
    from stm_tui.commands._access import find_user

    async def build(session: Session) -> WriteCall:
        t = await _team(session, team_name)
        u = await find_user(session, who)
        return build_remove(t.id, t.name or t.id, u.id, u.display_name)

    run_write(ctx, opts, build)


@team.command("set-permissions", help="Turn a member's team permissions on or off.")
@write_options
@click.argument("team_name", metavar="TEAM")
@click.argument("who", metavar="USER")
@click.option("--on", "on", default="", help="Permissions to turn on (comma-separated, or all).")
@click.option("--off", "off", default="", help="Permissions to turn off (or all).")
@click.option("--lead/--no-lead", "lead", default=None, help="Make or unmake a team lead.")
@click.pass_context
def set_permissions(
    ctx: click.Context,
    team_name: str,
    who: str,
    on: str,
    off: str,
    lead: bool | None,
    opts: WriteOptions,
) -> None:
    from stm_tui.api.writes.teams import UpdateMember, update_member
    from stm_tui.commands._access import find_user
    from stm_tui.views.access import SELF_EDIT

    perms = _permissions(on, off)
    data: dict[str, Any] = {}
    if perms:
        data["permissions"] = perms
    if lead is not None:
        data["is_lead"] = lead
    req = request(UpdateMember, data, {"permissions": "--on/--off", "_": "--on/--off/--lead"})

    async def build(session: Session) -> WriteCall:
        t = await _team(session, team_name)
        u = await find_user(session, who)
        if session.me is not None and u.id == session.me.id:
            refuse(SELF_EDIT)
        if not any(m.user_id == u.id for m in t.members):
            refuse(f"{u.display_name} is not a member of team {t.name}: add-member first")
        return update_member(t.id, t.name or t.id, u.id, u.display_name, req)

    run_write(ctx, opts, build)


_KINDS = {
    "keypair_profile_ids": ("--keypair-profile", "keypair_profiles"),
    "certificate_profile_ids": ("--certificate-profile", "certificate_profiles"),
    "keypair_ids": ("--keypair", "keypairs"),
    "certificate_ids": ("--certificate", "certificates"),
    "release_ids": ("--release", "releases"),
}


@team.command("map", help="Set the resources mapped to a team (each kind given replaces).")
@write_options
@click.argument("team_name", metavar="TEAM")
@click.option("--keypair-profile", "keypair_profile_ids", multiple=True)
@click.option("--certificate-profile", "certificate_profile_ids", multiple=True)
@click.option("--keypair", "keypair_ids", multiple=True)
@click.option("--certificate", "certificate_ids", multiple=True)
@click.option("--release", "release_ids", multiple=True)
@click.option("--clear", "clear", multiple=True, type=click.Choice(
    ["keypair-profile", "certificate-profile", "keypair", "certificate", "release"]),
    help="Unmap every resource of this kind.")
@click.pass_context
def map_(ctx: click.Context, /, team_name: str, clear: tuple[str, ...], opts: WriteOptions,
         **given: tuple[str, ...]) -> None:
    from stm_tui.api.writes.teams import MapResources, map_resources
    from stm_tui.commands._write import find

    cleared = {f"{c.replace('-', '_')}_ids" for c in clear}
    if not any(given.values()) and not cleared:
        raise click.UsageError("name resources to map (--keypair, --release, ...) or --clear")

    async def build(session: Session) -> WriteCall:
        t = await _team(session, team_name)
        data: dict[str, tuple[str, ...]] = {}
        for field, names in given.items():
            if names:
                data[field] = tuple([(await find(session, _KINDS[field][1], n)).id for n in names])
        for field in cleared:
            data[field] = ()
        req = request(MapResources, data, {k: v[0] for k, v in _KINDS.items()})
        return map_resources(t.id, t.name or t.id, req)

    run_write(ctx, opts, build)


@team.command("deactivate", help="Deactivate a team (irreversible tier: --confirm NAME).")
@write_options
@click.argument("team_name", metavar="TEAM")
@click.pass_context
def deactivate(ctx: click.Context, team_name: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.teams import deactivate_team

    async def build(session: Session) -> WriteCall:
        t = await _team(session, team_name)
        return deactivate_team(t.id, t.name or t.id)

    run_write(ctx, opts, build)


@team.command("delete", help="Delete a team (irreversible: --confirm NAME).")
@write_options
@click.argument("team_name", metavar="TEAM")
@click.pass_context
def delete(ctx: click.Context, team_name: str, opts: WriteOptions) -> None:
    from stm_tui.api.writes.teams import delete_team

    async def build(session: Session) -> WriteCall:
        t = await _team(session, team_name)
        return delete_team(t.id, t.name or t.id)

    run_write(ctx, opts, build)
