"""The read side: listings, cheap refreshes, one item, the current user, downloads.

Functions over an `Engine`, so the client, the write side's re-read and tests share one
implementation. Every path comes from the route table (`routes.py`) or the resource table
(`resources.py`).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from stm_tui.api import models as m
from stm_tui.api.engine import Engine
from stm_tui.api.item_pages import parse_page
from stm_tui.api.paging import parse_envelope, validate_items, validate_one
from stm_tui.api.resources import ResourceSpec, spec_for
from stm_tui.api.routes import path


@dataclass(frozen=True, slots=True)
class ChangeResult:
    """Outcome of `list_changed`.

    changed=False: the server answered 304 (nothing to do). Otherwise `items` holds either the
    whole collection (`full=True`: ids missing from it were removed) or only items modified
    since the given time (`full=False`: merge them; removals are not visible this way).
    """

    changed: bool
    items: list[m.Resource] = field(default_factory=list)
    full: bool = True
    etag: str | None = None


def _query(spec: ResourceSpec, filters: Mapping[str, object]) -> dict[str, object]:
    """The collection's own filters (`ResourceSpec.filters`), then the caller's."""
    return {**spec.filters, **filters}


async def iter_pages(
    engine: Engine, resource: str, filters: Mapping[str, object]
) -> AsyncIterator[list[m.Resource]]:
    spec = spec_for(resource)
    async for _response, page, _step in engine.pages(spec, _query(spec, filters)):
        yield page


async def list_all(
    engine: Engine, resource: str, filters: Mapping[str, object]
) -> list[m.Resource]:
    """Every item of a collection (all pages), de-duplicated by id, in server order."""
    spec = spec_for(resource)
    items, _tags, _step = await engine.collect(spec, _query(spec, filters))
    return items


async def list_changed(
    engine: Engine,
    resource: str,
    filters: Mapping[str, object],
    *,
    etag: str | None = None,
    since: datetime | None = None,
) -> ChangeResult:
    """Cheap refresh for pollers.

    `etag` is the opaque value from the previous result: every page is asked again with
    `If-None-Match`, and if all answer 304 nothing changed (one request for a small
    collection, no bodies at all). This is correct whether the server's ETag covers a page or
    the whole collection. `since` adds `modified_since`, so only changed items come back
    (`full=False`: merge them; removals are not visible that way). Servers without ETags or
    `modified_since` just return full lists, still a correct answer.
    """
    spec = spec_for(resource)
    query = _query(spec, filters)
    if since is not None and spec.paged:
        query["modified_since"] = since
    if etag:
        known = _page_tags(etag)
        if known is not None and await engine.unchanged(spec, query, *known):
            return ChangeResult(changed=False, items=[], full=False, etag=etag)
    items, tags, step = await engine.collect(spec, query)
    composite = json.dumps([step, tags]) if tags and all(tags) else None
    full = since is None or not spec.paged
    return ChangeResult(changed=True, items=items, full=full, etag=composite)


def _page_tags(etag: str) -> tuple[int, list[str]] | None:
    """(page step, one ETag per page) from a `ChangeResult.etag`; None if it is not ours."""
    try:
        step, tags = json.loads(etag)
        step = int(step)
    except (ValueError, TypeError):
        return None
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) for t in tags):
        return None
    return step, tags


async def list_page(
    engine: Engine, resource: str, filters: Mapping[str, object], *, offset: int, limit: int
) -> tuple[int, list[m.Resource]]:
    """One page of a paged collection, in the server's order: (total, items)."""
    spec = spec_for(resource)
    if not spec.paged:
        raise KeyError(f"{spec.name} is not paged")
    where = f"GET {spec.path}"
    query = {**_query(spec, filters), "limit": limit, "offset": offset}
    response = await engine.get(spec.path, query)
    fast = parse_page(spec.model, response.content)
    if fast is not None:
        return fast[0].total, list(fast[1])
    page = parse_envelope(response.content, where)
    return page.total, list(validate_items(spec.model, page.items, where))


async def count(engine: Engine, resource: str, filters: Mapping[str, object]) -> int:
    """How many items a collection holds (one request for a one-item page when paged)."""
    spec = spec_for(resource)
    if not spec.paged:
        return len(await list_all(engine, resource, filters))
    response = await engine.get(spec.path, {**_query(spec, filters), "limit": 1, "offset": 0})
    return parse_envelope(response.content, f"GET {spec.path}").total


async def get_item(engine: Engine, resource: str, item_id: str) -> m.Resource:
    """One item of a collection by id (for collections that have an item route)."""
    spec = spec_for(resource)
    if spec.single:
        route_path = spec.path
    elif spec.item_route is None:
        raise KeyError(f"{spec.name} cannot be read by id")
    else:
        route_path = path(spec.item_route, id=item_id)
    response = await engine.get(route_path)
    return validate_one(spec.model, response.content, f"GET {route_path}")


async def me(engine: Engine) -> m.User:
    route_path = path("me")
    response = await engine.get(route_path)
    return validate_one(m.User, response.content, f"GET {route_path}")


async def download_certificate(engine: Engine, certificate_id: str, fmt: str = "pem") -> bytes:
    response = await engine.get(path("certificate_download", id=certificate_id), {"format": fmt})
    return response.content


async def export_audit_log(engine: Engine, filters: Mapping[str, object]) -> bytes:
    """The audit log as CSV bytes (needs EXPORT_SM_AUDIT_LOG)."""
    response = await engine.get(path("audit_export"), filters)
    return response.content
