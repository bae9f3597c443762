"""`stm-tui get <resource> [ID | NAME]`: the scriptable face of the client.

Exit codes: 0 ok, 2 usage or configuration (also an unknown filter field or an ambiguous
name), 3 auth or permission, 4 not found, 5 service unreachable or failing.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

import click

from stm_tui.api.resources import RESOURCES, ResourceSpec, spec_for
from stm_tui.commands import _lookup
from stm_tui.commands._common import (
    EXIT_AUTH,
    EXIT_NOT_FOUND,
    EXIT_USAGE,
    fail,
    profile_name,
    setup_logging,
    tty_prompt,
)
from stm_tui.sanitize import clean_cell

_NAMES = ", ".join(sorted(RESOURCES))


def _parse_filters(raw: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for item in raw:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f"expected FIELD=VALUE, got {item!r}", param_hint="--filter")
        out.append((key.strip(), value))
    return out


class AmbiguousName(Exception):
    def __init__(self, lines: list[str]) -> None:
        super().__init__("ambiguous")
        self.lines = lines


class NoSuchName(Exception):
    pass


@click.command(
    "get",
    help=(
        "List a resource, or show one item by its ID or its name (keypair or certificate "
        "alias, release, team or profile name, user email or name). "
        f"RESOURCE: {_NAMES}.\n\n"
        "--filter FIELD=VALUE matches exactly; FIELD is an API field name (certificate_status, "
        "key_alg, keypair.id, ...) or a friendly one: status, alg, name, alias, type. "
        "Times are in UTC unless --local-time (or time_zone = \"local\" in the profile)."
    ),
)
@click.argument("resource")
@click.argument("item_id", required=False, metavar="[ID|NAME]")
@click.option(
    "-o",
    "--output",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--filter", "filters", multiple=True, metavar="FIELD=VALUE", help="Exact match; repeatable."
)
@click.option(
    "--local-time", "local_time", is_flag=True, default=None,
    help="Show times in this machine's time zone instead of UTC.",
)
@click.option("--profile", "profile", default=None, help="Profile name from the config file.")
@click.pass_context
def get(
    ctx: click.Context,
    resource: str,
    item_id: str | None,
    output: str,
    filters: tuple[str, ...],
    local_time: bool | None,
    profile: str | None,
) -> None:
    try:
        spec = spec_for(resource)
    except KeyError as exc:
        raise click.BadParameter(str(exc.args[0]), param_hint="RESOURCE") from None
    if item_id is not None and spec.item_route is None and not spec.single:
        raise click.UsageError(f"{spec.name} cannot be read by id; list them instead")
    parsed = _lookup.resolve_filters(spec, _parse_filters(filters))
    if local_time is None and (ctx.obj or {}).get("time_zone") == "local":
        local_time = True
    setup_logging()

    from stm_tui.api.errors import StmError

    try:
        text = asyncio.run(_run(ctx, spec, item_id, output, parsed, profile, local_time))
    except StmError as err:
        fail(err)
    except AmbiguousName as exc:
        click.echo("\n".join(exc.lines), err=True)
        sys.exit(EXIT_USAGE)
    except NoSuchName as exc:
        click.echo(f"stm-tui: {exc}", err=True)
        sys.exit(EXIT_NOT_FOUND)
    sys.stdout.write(text)


async def _find(client: Any, spec: ResourceSpec, wanted: str) -> Any:
    """One item by id, or by its natural name (exit 2 when the name is not unique)."""
    if spec.single or _lookup.looks_like_id(wanted) or spec.name not in _lookup.NAME_FIELDS:
        return await client.get_item(spec.name, wanted)
    server_filter = _lookup.SERVER_NAME_FILTERS.get(spec.name)
    items = await client.list_all(spec.name, **({server_filter: wanted} if server_filter else {}))
    found = _lookup.matching(spec, items, wanted)
    if not found and server_filter:
        # The server's filter is exact and case-sensitive: look through everything once.
        found = _lookup.matching(spec, await client.list_all(spec.name), wanted)
    if len(found) > 1:
        shown = clean_cell(wanted)
        lines = [f"stm-tui: {len(found)} {spec.name} match {shown!r}; give one of their ids:"]
        lines += [f"  {clean_cell(i.id)}  {clean_cell(_lookup.name_of(spec, i))}" for i in found]
        raise AmbiguousName(lines)
    if found:
        return await client.get_item(spec.name, found[0].id)
    from stm_tui.api.errors import NotFound

    try:
        return await client.get_item(spec.name, wanted)  # a server may know other keys
    except NotFound:
        names = " or ".join(_lookup.NAME_FIELDS[spec.name])
        raise NoSuchName(
            f"no {spec.name} with the id or {names} {clean_cell(wanted)!r}"
        ) from None


async def _run(
    ctx: click.Context,
    spec: ResourceSpec,
    item_id: str | None,
    output: str,
    parsed: tuple[list[tuple[str, str]], dict[str, str]],
    profile: str | None,
    local_time: bool | None,
) -> str:
    from stm_tui.commands import _output
    from stm_tui.config import load_profile
    from stm_tui.connect import client_for_profile
    from stm_tui.credentials import resolve_credentials_async

    resource = spec.name
    filters, server_only = parsed
    prof = load_profile(profile_name(ctx, profile))
    if local_time is None:
        local_time = getattr(prof, "time_zone", "utc") == "local"
    creds = await resolve_credentials_async(prof, prompt=tty_prompt)
    if creds.api_key is None and prof.client_cert_file is None:
        click.echo(
            "stm-tui: no API key: set SM_API_KEY (or SM_API_KEY_FILE), or run `stm-tui login`",
            err=True,
        )
        sys.exit(EXIT_AUTH)
    # `get` never writes, whatever the profile says: the adapter refuses non-GET requests.
    async with client_for_profile(prof, creds, read_only=True) as client:
        if item_id is not None:
            items = [await _find(client, spec, item_id)]
        else:
            server_filters = {k: v for k, v in filters if "." not in k}
            items = await client.list_all(resource, **server_filters, **server_only)
    if output == "json" and item_id is not None:
        return _output.render_json(_output.dump(items[0]))
    items = [item for item in items if _output.matches(item, filters)]
    if output == "json":
        return _output.render_json([_output.dump(item) for item in items])
    if output == "csv":
        return _output.render_csv(items)
    return _output.render_table(resource, items, local=bool(local_time))
