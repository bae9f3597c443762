"""Keeps the store fresh: one loop per resource, one request in flight per resource.

Each resource has its own cadence. A failing resource backs off (exponential, jittered,
capped) while its last good data stays in the store; a 429 pauses every resource of the
host until its `Retry-After` has passed. Nothing here knows about Textual: the loops are
plain asyncio tasks on whatever loop calls `start()`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from stm_tui.api.errors import RateLimited, StmError
from stm_tui.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    """What one refresh learnt: a complete listing, or only the changes since the last one."""

    items: Sequence[Any]
    complete: bool = True
    removed: Sequence[str] = ()


Fetch = Callable[[], Awaitable[FetchResult | Sequence[Any]]]


@dataclass
class PollSpec:
    resource: str
    fetch: Fetch
    interval: float


@dataclass
class _Loop:
    spec: PollSpec
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    failures: int = 0
    task: asyncio.Task[None] | None = None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Poller:
    MAX_BACKOFF = 120.0
    MAX_RETRY_AFTER = 120.0
    TICK = 1.0

    def __init__(
        self,
        store: Store,
        specs: Iterable[PollSpec],
        *,
        clock: Callable[[], datetime] = _utcnow,
        jitter: float = 0.1,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._loops = {spec.resource: _Loop(spec) for spec in specs}
        for name, loop in self._loops.items():
            store.set_interval(name, loop.spec.interval)
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._host_pause_until = 0.0  # loop.time() before which nobody calls the host
        self._ticker: asyncio.Task[None] | None = None
        self._running = False

    # control -----------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    @property
    def resources(self) -> tuple[str, ...]:
        return tuple(self._loops)

    def start(self) -> None:
        if self._running:
            return
        self._running = True
        for loop in self._loops.values():
            loop.task = asyncio.create_task(self._run(loop), name=f"poll:{loop.spec.resource}")
        self._ticker = asyncio.create_task(self._tick(), name="poll:tick")

    async def stop(self) -> None:
        self._running = False
        tasks = [loop.task for loop in self._loops.values() if loop.task is not None]
        if self._ticker is not None:
            tasks.append(self._ticker)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for loop in self._loops.values():
            loop.task = None
        self._ticker = None

    def pause(self) -> None:
        self._resumed.clear()
        for name in self._loops:
            self._store.set_paused(name, True)

    def resume(self) -> None:
        for name in self._loops:
            self._store.set_paused(name, False)
        self._resumed.set()
        self.refresh()

    def refresh(self, resource: str | None = None) -> None:
        """Poll now: one resource, or every resource, also while paused (once). Never starts a
        second request."""
        names = self._loops if resource is None else [resource]
        for name in names:
            loop = self._loops.get(name)
            if loop is not None:
                loop.failures = 0
                loop.wake.set()

    def set_interval(self, resource: str, seconds: float) -> None:
        loop = self._loops[resource]
        loop.spec.interval = max(0.05, seconds)
        self._store.set_interval(resource, loop.spec.interval)
        loop.wake.set()

    # the loops ---------------------------------------------------------------------------

    async def _run(self, loop: _Loop) -> None:
        while self._running:
            if self.paused:
                # `refresh()` (and `resume()`) set `wake`: a manual refresh fetches once even
                # while paused, and polling stays paused afterwards.
                await loop.wake.wait()
            await self._wait_for_host()
            loop.wake.clear()
            delay = await self._poll_once(loop)
            if self.paused:
                continue
            self._store.set_next_try(loop.spec.resource, self._clock() + timedelta(seconds=delay))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(loop.wake.wait(), timeout=delay)

    async def _poll_once(self, loop: _Loop) -> float:
        """Refresh one resource; return the seconds until the next attempt."""
        name = loop.spec.resource
        try:
            result = await loop.spec.fetch()
        except asyncio.CancelledError:
            raise
        except RateLimited as exc:
            wait = min(max(exc.retry_after, 0.0), self.MAX_RETRY_AFTER)
            self._host_pause_until = max(
                self._host_pause_until, asyncio.get_running_loop().time() + wait
            )
            return self._failed(loop, exc.kind, exc.message, minimum=wait)
        except StmError as exc:
            return self._failed(loop, exc.kind, exc.message)
        except Exception as exc:  # a bug or a shape the client did not expect: keep polling
            log.warning("refresh of %s failed: %s", name, type(exc).__name__)
            return self._failed(loop, "bad_response", f"unexpected {type(exc).__name__}")
        self._apply(name, result)
        loop.failures = 0
        delay = self._jittered(loop.spec.interval)
        self._store.mark_ok(name, self._clock(), self._clock() + timedelta(seconds=delay))
        return delay

    def _apply(self, name: str, result: FetchResult | Sequence[Any]) -> None:
        if not isinstance(result, FetchResult):
            result = FetchResult(items=result)
        if result.complete:
            self._store.replace_all(name, result.items)
            return
        self._store.upsert(name, result.items)
        if result.removed:
            self._store.remove(name, result.removed)

    def _failed(self, loop: _Loop, kind: str, message: str, minimum: float = 0.0) -> float:
        loop.failures += 1
        backoff = min(self.MAX_BACKOFF, loop.spec.interval * 2 ** (loop.failures - 1))
        delay = max(minimum, self._jittered(backoff))
        self._store.mark_error(
            loop.spec.resource, kind, message, self._clock() + timedelta(seconds=delay)
        )
        return delay

    def _jittered(self, seconds: float) -> float:
        return seconds * (1.0 + self._rng.uniform(-self._jitter, self._jitter))

    async def _wait_for_host(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._host_pause_until > now:
            await asyncio.sleep(self._host_pause_until - now)

    async def _tick(self) -> None:
        while self._running:
            self._store.tick(self._clock())
            await asyncio.sleep(self.TICK)
