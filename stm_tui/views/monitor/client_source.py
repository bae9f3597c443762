"""`MonitorSource` over STMClient's public reads (`list_page`, `list_all`, `get_item`).

Client errors become `SourceError`s with a kind the feed and the commands act on: the
credentials or permissions (`refused`), an unknown release (`not_found`), everything else
(`unreachable`: network, 5xx, 429, a malformed body), retried at the next poll.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any, Protocol

from stm_tui.api.errors import NOT_TRANSIENT, StmError
from stm_tui.sanitize import clean_message
from stm_tui.views.monitor.feed import SourceError
from stm_tui.views.monitor.records import (
    Attempt,
    ScanState,
    Window,
    attempts_from,
    scan_from,
    window_from,
)


class Reads(Protocol):
    """The part of STMClient this adapter uses."""

    async def list_page(
        self, resource: str, *, offset: int, limit: int, **filters: Any
    ) -> tuple[int, list[Any]]: ...

    async def list_all(self, resource: str, **filters: Any) -> list[Any]: ...

    async def get_item(self, resource: str, item_id: str) -> Any: ...


def _kind(err: StmError) -> str:
    if err.kind in NOT_TRANSIENT:
        return "refused"
    if err.kind == "not_found":
        return "not_found"
    if err.kind == "config":
        return "refused"
    return "unreachable"


@asynccontextmanager
async def _translated() -> AsyncIterator[None]:
    try:
        yield
    except StmError as err:
        raise SourceError(clean_message(err.message, limit=300), _kind(err)) from err


class ClientSource:
    def __init__(self, client: Reads) -> None:
        self.client = client

    async def signatures_page(
        self,
        *,
        offset: int,
        limit: int,
        since: datetime | None = None,
        until: datetime | None = None,
        release_id: str | None = None,
        keypair_id: str | None = None,
    ) -> tuple[int, list[Attempt]]:
        filters: dict[str, Any] = {}
        if since is not None:
            filters["from"] = since
        if until is not None:
            filters["to"] = until
        if release_id is not None:
            filters["release_id"] = release_id
        if keypair_id is not None:
            filters["keypair_id"] = keypair_id
        async with _translated():
            total, items = await self.client.list_page(
                "signatures", offset=offset, limit=limit, **filters
            )
        return total, attempts_from(items)

    async def release(self, release_id: str) -> Window:
        async with _translated():
            item = await self.client.get_item("releases", release_id)
        window = window_from(item)
        if window is None:
            raise SourceError("the release window has no id", "bad_response")
        return window

    async def scans(self, release_id: str) -> list[ScanState]:
        async with _translated():
            items = await self.client.list_all("scans", release_id=release_id)
        return [s for s in (scan_from(i) for i in items) if s is not None]

    async def releases(self, **filters: Any) -> list[Window]:
        async with _translated():
            items = await self.client.list_all("releases", **filters)
        return [w for w in (window_from(i) for i in items) if w is not None]

    async def open_releases(self) -> list[Window]:
        return await self.releases(status="OPEN")

    async def find_release(self, wanted: str) -> Window:
        """A release window by id or by name (exact, then ignoring case)."""
        windows = await self.releases()
        folded = wanted.lower()
        for found in (
            [w for w in windows if w.id == wanted],
            [w for w in windows if w.name == wanted],
            [w for w in windows if w.name.lower() == folded],
        ):
            if len(found) == 1:
                return found[0]
            if len(found) > 1:
                raise SourceError(
                    f"{len(found)} release windows are named {clean_message(wanted)!r}; "
                    "give its id instead", "ambiguous")
        raise SourceError(f"no release window with the id or name {clean_message(wanted)!r}",
                          "not_found")
