"""`stm-tui release create|approve|reject|close`: release windows from a runbook, with the
guard rails of every write (`--dry-run`, `--yes`, `--confirm`, `-o json`) and those of a new
window (`stm_tui.api.writes.release_rules`: checked before anything is sent, exit 20).

The four commands are plain click commands; `stm_tui.commands.release` (the group that also
holds the monitor's `report` and `budget`) takes them with `add_command`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import click

from stm_tui.commands._write import WriteOptions, find, refuse, request, run_write, write_options

if TYPE_CHECKING:
    from stm_tui.api.writes.call import WriteCall
    from stm_tui.session import Session

KINDS = {"offline": "OFFLINE", "online": "ONLINE", "test": "TEST"}
PURPOSES = {"sign": "SIGN", "detect": "DETECT_THREATS", "both": "DETECT_THREATS_AND_SIGN"}
_SPAN = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")
FLAGS = {
    "name": "NAME",
    "keypair_ids": "--keypair",
    "signer_ids": "--signer",
    "max_signatures": "--max",
    "start_time": "--start",
    "end_time": "--end",
    "duration_minutes": "--duration",
    "team_id": "--team",
    "release_type": "--kind",
}


def parse_duration(text: str) -> int:
    """Minutes in "90m", "2h", "1h30m", "3d" or a bare number of minutes."""
    raw = text.strip().lower()
    if raw.isdigit():
        return int(raw)
    match = _SPAN.fullmatch(raw)
    if not raw or match is None or not any(match.groups()):
        raise click.BadParameter(
            f"{text!r}: give minutes, or a span such as 90m, 2h, 1h30m or 3d",
            param_hint="--duration",
        )
    days, hours, minutes = (int(g) if g else 0 for g in match.groups())
    return days * 1440 + hours * 60 + minutes


def parse_moment(text: str, flag: str) -> datetime:
    """An ISO date-time with a zone (`2026-12-01T14:00Z`), or `now`."""
    raw = text.strip()
    if raw.lower() == "now":
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{text!r} is not a date and time such as 2026-12-01T14:00Z", param_hint=flag
        ) from None
    if moment.tzinfo is None:
        raise click.BadParameter(f"{text!r}: add a time zone (Z for UTC)", param_hint=flag)
    return moment


def _names(value: str, flag: str) -> list[str]:
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise click.BadParameter("give at least one name", param_hint=flag)
    return names


@click.command("create", help=(
    "Create a release window: an offline one is requested (someone else approves it), online "
    "and test ones are created approved. Keypairs and signers by alias, email, name or id, "
    "comma-separated. Refused before sending (exit 20) when a keypair has no active "
    "certificate, its certificate expires inside the window, it is in another open window, "
    "the window starts in the past, or --max is 0."
))
@click.argument("name")
@click.option("--kind", type=click.Choice(sorted(KINDS)), required=True)
@click.option("--keypair", "keypairs", required=True, metavar="A,B", help="Keypairs in it.")
@click.option("--signer", "signers", default="", metavar="U,V", help="Who may sign in it.")
@click.option("--max", "max_signatures", type=int, default=None, help="Maximum signatures.")
@click.option("--start", "start", default=None, metavar="T", help="ISO time with zone, or now.")
@click.option("--end", "end", default=None, metavar="T", help="ISO time with zone.")
@click.option("--duration", "duration", default=None, metavar="D", help="90m, 2h, 3d, ...")
@click.option("--purpose", type=click.Choice(sorted(PURPOSES)), default=None)
@click.option("--block-on-failed-scan", is_flag=True, default=False)
@click.option("--team", default=None, help="Team name or id.")
@click.option("--version", "version", default=None)
@click.option("--project", default=None, help="Threat-detection project alias.")
@click.option("--notes", default=None)
@write_options
@click.pass_context
def create(ctx: click.Context, /, name: str, opts: WriteOptions, **kw: Any) -> None:
    from stm_tui.api.writes.releases import CreateRelease, create_release

    if (kw["end"] is None) == (kw["duration"] is None):
        raise click.UsageError("give --end T or --duration D (one of them)")
    base: dict[str, Any] = {
        "name": name,
        "release_type": KINDS[kw["kind"]],
        "keypair_ids": ("placeholder",),
        "max_signatures": kw["max_signatures"],
        "start_time": parse_moment(kw["start"], "--start") if kw["start"] else None,
        "end_time": parse_moment(kw["end"], "--end") if kw["end"] else None,
        "duration_minutes": parse_duration(kw["duration"]) if kw["duration"] else None,
        "block_on_failed_scan": kw["block_on_failed_scan"],
        "version": kw["version"],
        "project": kw["project"],
        "notes": kw["notes"],
    }
    if kw["purpose"]:
        base["purpose"] = PURPOSES[kw["purpose"]]
    keypair_names = _names(kw["keypairs"], "--keypair")
    signer_names = [n.strip() for n in kw["signers"].split(",") if n.strip()]
    data = {k: v for k, v in base.items() if v is not None}
    request(CreateRelease, data, FLAGS)  # usage errors before any request

    async def build(session: Session) -> WriteCall:
        from stm_tui.api import models as m
        from stm_tui.api.writes.release_rules import guard_rails

        keypairs = [await find(session, "keypairs", n) for n in keypair_names]
        signers = [await find(session, "users", n) for n in signer_names]
        team = await find(session, "teams", kw["team"]) if kw["team"] else None
        full = {
            **data,
            "keypair_ids": tuple(dict.fromkeys(k.id for k in keypairs)),
            "signer_ids": tuple(dict.fromkeys(u.id for u in signers)),
        }
        if team is not None:
            full["team_id"] = team.id
        req = request(CreateRelease, full, FLAGS)
        releases = [
            r for r in await session.client.list_all("releases")
            if isinstance(r, m.ReleaseWindow)
        ]
        problems = guard_rails(
            full,
            keypairs={k.id: k for k in keypairs if isinstance(k, m.Keypair)},
            releases=releases,
            now=session.now(),
        )
        if any(r.name == name for r in releases):
            problems.setdefault("name", f"a release window named {name} exists already")
        if problems:
            refuse("; ".join(f"{FLAGS.get(k, k)}: {v}" for k, v in problems.items()) +
                   ": nothing was sent")
        return create_release(req)

    run_write(ctx, opts, build)


def _decision(verb: str) -> Callable[..., None]:
    @write_options
    @click.argument("name")
    @click.option("--reason", default=None, help="Why it is rejected (reject only).")
    @click.pass_context
    def command(ctx: click.Context, name: str, reason: str | None, opts: WriteOptions) -> None:
        from stm_tui.api.writes import releases

        if reason is not None and verb != "reject":
            raise click.UsageError(f"--reason goes with reject; {verb} sends no reason")
        rejection = request(releases.RejectRelease, {"reason": reason} if reason else {})

        async def build(session: Session) -> WriteCall:
            item = await find(session, "releases", name)
            label = item.name or item.id
            if verb == "approve":
                return releases.approve_release(item.id, label)
            if verb == "reject":
                return releases.reject_release(item.id, label, rejection)
            return releases.close_release(item.id, label)

        run_write(ctx, opts, build)

    return command


_HELP = {
    "approve": "Approve a requested offline release window (someone else asked for it).",
    "reject": "Reject a requested offline release window (--reason R).",
    "close": "Close a release window now: no more signatures in it (irreversible: --confirm NAME).",
}
approve = click.command("approve", help=_HELP["approve"])(_decision("approve"))
reject = click.command("reject", help=_HELP["reject"])(_decision("reject"))
close = click.command("close", help=_HELP["close"])(_decision("close"))
COMMANDS = (create, approve, reject, close)
