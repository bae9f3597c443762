"""What `stm-tui get` accepts from a user: filter fields by the API's names or the friendly
ones people type, and items by id or by their natural name."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import click

from stm_tui.api import models as m
from stm_tui.api.resources import ResourceSpec
from stm_tui.sanitize import clean_cell

# Friendly filter names, each with the API fields it stands for (the first one a resource
# has wins): `status` is certificate_status on certificates and key_status on keypairs.
ALIASES: dict[str, tuple[str, ...]] = {
    "status": ("certificate_status", "key_status", "status"),
    "alg": ("key_alg",),
    "algorithm": ("key_alg",),
    "name": ("alias", "name"),
    "alias": ("alias", "name"),
    "type": ("key_type", "certificate_type", "release_type", "user_type", "profile_type"),
}

# Query parameters of the list routes that are not fields of the items (time windows of the
# logs, the change-only poll): passed to the server, never matched on the client.
SERVER_PARAMETERS: dict[str, frozenset[str]] = {
    "audit": frozenset({"from", "to"}),
    "signatures": frozenset({"from", "to"}),
}

# The natural name of an item, per resource, in the order they are tried.
NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "keypairs": ("alias",),
    "certificates": ("alias",),
    "users": ("email", "name", "friendly_name"),
    "teams": ("name",),
    "keypair_profiles": ("name",),
    "certificate_profiles": ("name",),
    "releases": ("name",),
    "accounts": ("name",),
    "scans": ("alias",),
}

# Lists the server can narrow by name itself (a documented filter), so that finding one
# certificate by alias does not page through 100,000 of them.
SERVER_NAME_FILTERS = {"keypairs": "alias", "certificates": "alias"}

_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def fields_of(spec: ResourceSpec) -> list[str]:
    return sorted(spec.model.model_fields)


def resolve_filters(
    spec: ResourceSpec, filters: Sequence[tuple[str, str]]
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """(client-side field filters, server-only parameters); an unknown field is a usage
    error that names the valid ones."""
    known = set(spec.model.model_fields)
    params = SERVER_PARAMETERS.get(spec.name, frozenset())
    fields: list[tuple[str, str]] = []
    server: dict[str, str] = {}
    for key, value in filters:
        root = key.split(".", 1)[0]
        if key in params:
            server[key] = value
        elif root in known:
            fields.append((key, value))
        else:
            alias = next((f for f in ALIASES.get(key.lower(), ()) if f in known), None)
            if alias is None:
                valid = ", ".join(fields_of(spec) + sorted(params))
                friendly = sorted(a for a, targets in ALIASES.items()
                                  if any(t in known for t in targets))
                raise click.UsageError(
                    f"unknown filter field {key!r} for {spec.name}. Valid fields: {valid}"
                    + (f" (also: {', '.join(friendly)})" if friendly else "")
                )
            fields.append((alias, value))
    return fields, server


def looks_like_id(text: str) -> bool:
    return bool(_UUID.match(text))


def name_of(spec: ResourceSpec, item: m.Resource) -> str:
    for name in NAME_FIELDS.get(spec.name, ()):
        value = getattr(item, name, None)
        if value:
            return str(value)
    return item.id


def matching(spec: ResourceSpec, items: Sequence[m.Resource], wanted: str) -> list[m.Resource]:
    """Items whose id or natural name is `wanted`: exact matches, else case-insensitive."""
    names = NAME_FIELDS.get(spec.name, ())

    def values(item: m.Resource) -> list[str]:
        return [item.id, *(str(v) for v in (getattr(item, n, None) for n in names) if v)]

    exact = [item for item in items if wanted in values(item)]
    if exact:
        return exact
    folded = wanted.casefold()
    return [item for item in items if folded in (v.casefold() for v in values(item))]


class AmbiguousName(Exception):
    """More than one item has the name: `lines` list them with their ids (exit 2)."""

    def __init__(self, lines: list[str]) -> None:
        super().__init__("ambiguous")
        self.lines = lines


class NoSuchName(Exception):
    """Nothing has that id or name (exit 4)."""


async def find_item(client: Any, spec: ResourceSpec, wanted: str) -> Any:
    """One item by id, or by its natural name (exit 2 when the name is not unique)."""
    if spec.single or looks_like_id(wanted) or spec.name not in NAME_FIELDS:
        return await client.get_item(spec.name, wanted)
    server_filter = SERVER_NAME_FILTERS.get(spec.name)
    items = await client.list_all(spec.name, **({server_filter: wanted} if server_filter else {}))
    found = matching(spec, items, wanted)
    if not found and server_filter:
        # The server's filter is exact and case-sensitive: look through everything once.
        found = matching(spec, await client.list_all(spec.name), wanted)
    if len(found) > 1:
        shown = clean_cell(wanted)
        lines = [f"stm-tui: {len(found)} {spec.name} match {shown!r}; give one of their ids:"]
        lines += [f"  {clean_cell(i.id)}  {clean_cell(name_of(spec, i))}" for i in found]
        raise AmbiguousName(lines)
    if found:
        return await client.get_item(spec.name, found[0].id)
    from stm_tui.api.errors import NotFound

    try:
        return await client.get_item(spec.name, wanted)  # a server may know other keys
    except NotFound:
        names = " or ".join(NAME_FIELDS[spec.name])
        raise NoSuchName(
            f"no {spec.name} with the id or {names} {clean_cell(wanted)!r}"
        ) from None
