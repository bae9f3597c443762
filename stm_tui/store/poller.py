"""Keeps the store fresh: one loop per resource, one request in flight per resource.

Each resource has its own cadence. A failing resource keeps its last good data in the store
and backs off its (expensive) listing, exponential, jittered and capped, while a cheap probe
(a one-item page, or the identity call) asks at the normal cadence: as soon as a probe
succeeds the listing runs, so data is fresh again about one interval after the service
recovers rather than after the backoff. A 429 pauses every resource of the host until its
`Retry-After` has passed. A 401/403 is not transient: that resource stops polling, says so,
and asks again only on a manual refresh. Nothing here knows about Textual: the loops are
plain asyncio tasks on whatever loop calls `start()`, and no exception ends one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from stm_tui.api import models as m
from stm_tui.api.errors import NOT_TRANSIENT, RateLimited, StmError
from stm_tui.api.resources import ResourceName
from stm_tui.store.store import Store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FetchResult:
    """What one refresh learnt: a complete listing, or only the changes since the last one."""

    items: Sequence[m.Resource]
    complete: bool = True
    removed: Sequence[str] = ()


Fetch = Callable[[], Awaitable[FetchResult | Sequence[m.Resource]]]
Probe = Callable[[], Awaitable[object]]
Backoff = Callable[[int, float], float]


@dataclass
class PollSpec:
    resource: ResourceName
    fetch: Fetch
    interval: float
    # A cheap request that succeeds when the service is back (one-item page, identity).
    probe: Probe | None = None


@dataclass
class _Loop:
    spec: PollSpec
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    failures: int = 0
    task: asyncio.Task[None] | None = None
    # loop.time() before which the listing is not tried again (unless a probe says so).
    listing_due: float = 0.0
    # Whether a successful probe should bring the listing forward. Cleared when a listing
    # started by a probe fails too: that probe does not predict the listing.
    armed: bool = False
    started_by_probe: bool = False
    # Set by a 401/403: the loop waits for a manual refresh.
    stopped: bool = False
    busy: bool = False


def _utcnow() -> datetime:
    return datetime.now(UTC)


# What the status line says about a stopped resource.
STOPPED_HINT = "r retries"


class Poller:
    MAX_BACKOFF = 120.0
    MAX_RETRY_AFTER = 120.0
    TICK = 1.0
    # From this many items a complete listing is diffed against the store off the loop.
    DIFF_OFF_LOOP = 5000

    def __init__(
        self,
        store: Store,
        specs: Iterable[PollSpec],
        *,
        clock: Callable[[], datetime] = _utcnow,
        jitter: float = 0.1,
        rng: random.Random | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._jitter = jitter
        self._rng = rng or random.Random()
        self._backoff = backoff or self._exponential
        self._loops: dict[str, _Loop] = {spec.resource: _Loop(spec) for spec in specs}
        for name, loop in self._loops.items():
            store.set_interval(name, loop.spec.interval)
        self._resumed = asyncio.Event()
        self._resumed.set()
        self._host_pause_until = 0.0  # loop.time() before which nobody calls the host
        self._ticker: asyncio.Task[None] | None = None
        self._running = False

    def _exponential(self, failures: int, interval: float) -> float:
        return float(min(self.MAX_BACKOFF, interval * 2 ** (failures - 1)))

    # control -----------------------------------------------------------------------------

    @property
    def paused(self) -> bool:
        return not self._resumed.is_set()

    @property
    def resources(self) -> tuple[str, ...]:
        return tuple(self._loops)

    @property
    def busy(self) -> frozenset[str]:
        """Resources with a request in flight right now."""
        return frozenset(name for name, loop in self._loops.items() if loop.busy)

    def stopped(self, resource: str) -> bool:
        """True when the resource stopped polling after a 401/403 (until a refresh)."""
        loop = self._loops.get(resource)
        return loop is not None and loop.stopped

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
        # Poll at once, except what stopped on a permission error: that waits for `r`.
        for loop in self._loops.values():
            if not loop.stopped:
                self._reset(loop)
                loop.wake.set()

    def poke(self, resource: str) -> None:
        """Poll `resource` soon because something it depends on changed. Unlike `refresh`
        this is not a person asking: a failing resource keeps its backoff, a stopped one
        stays stopped, and a paused poller stays quiet."""
        loop = self._loops.get(resource)
        if loop is None or loop.stopped or loop.failures or self.paused:
            return
        loop.wake.set()

    def refresh(self, resource: str | None = None) -> None:
        """Poll now: one resource, or every resource, also while paused (once). Never starts a
        second request. This is the manual refresh, so it also retries what stopped on a
        permission error."""
        names = self._loops if resource is None else [resource]
        for name in names:
            loop = self._loops.get(name)
            if loop is not None:
                self._reset(loop)
                loop.stopped = False
                loop.wake.set()

    @staticmethod
    def _reset(loop: _Loop) -> None:
        loop.failures = 0
        loop.listing_due = 0.0
        loop.armed = False
        loop.started_by_probe = False

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
            loop.busy = True
            try:
                delay = await self._step(loop)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # a bug here must not end the loop for good
                log.exception("poll of %s failed unexpectedly", loop.spec.resource)
                delay = self._failed(loop, "bad_response", f"unexpected {type(exc).__name__}")
            finally:
                loop.busy = False
            if self.paused:
                continue
            if delay is None:  # stopped: only a manual refresh wakes it
                await loop.wake.wait()
                continue
            self._store.set_next_try(loop.spec.resource, self._clock() + timedelta(seconds=delay))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(loop.wake.wait(), timeout=delay)

    def _now(self) -> float:
        return asyncio.get_running_loop().time()

    async def _step(self, loop: _Loop) -> float | None:
        """Probe or list, as the loop's state says; the seconds until the next step, or None
        when the resource stopped."""
        probe = loop.spec.probe
        if loop.failures and probe is not None and self._now() < loop.listing_due:
            if not loop.armed:
                # The service answered a probe, and then the listing failed anyway: probes
                # do not predict it, so let the listing's own backoff run out.
                return max(0.0, loop.listing_due - self._now())
            delay = await self._probe(loop, probe)
            if delay is not None or loop.stopped:
                return delay
            loop.started_by_probe = True
        return await self._poll_once(loop)

    async def _probe(self, loop: _Loop, probe: Probe) -> float | None:
        """Run the probe; None when it succeeded, else the seconds until the next step."""
        try:
            await probe()
        except asyncio.CancelledError:
            raise
        except RateLimited as exc:
            return self._rate_limited(loop, exc)
        except StmError as exc:
            loop.armed = True
            if exc.kind in NOT_TRANSIENT:
                self._stop(loop, exc.kind, exc.message)
                return None
            return self._probe_failed(loop, exc.kind, exc.message)
        except Exception as exc:
            log.warning("probe of %s failed: %s", loop.spec.resource, type(exc).__name__)
            loop.armed = True
            return self._probe_failed(loop, "bad_response", f"unexpected {type(exc).__name__}")
        return None

    def _probe_failed(self, loop: _Loop, kind: str, message: str) -> float:
        delay = self._jittered(loop.spec.interval)
        self._store.mark_error(
            loop.spec.resource, kind, message, self._clock() + timedelta(seconds=delay)
        )
        return delay

    async def _poll_once(self, loop: _Loop) -> float | None:
        """Refresh one resource; return the seconds until the next attempt (None: stopped)."""
        name = loop.spec.resource
        try:
            result = await loop.spec.fetch()
            await self._apply(name, result)
        except asyncio.CancelledError:
            raise
        except RateLimited as exc:
            return self._rate_limited(loop, exc)
        except StmError as exc:
            if exc.kind in NOT_TRANSIENT:
                self._stop(loop, exc.kind, exc.message)
                return None
            return self._failed(loop, exc.kind, exc.message)
        except Exception as exc:  # a bug or a shape the client did not expect: keep polling
            log.warning("refresh of %s failed: %s", name, type(exc).__name__)
            return self._failed(loop, "bad_response", f"unexpected {type(exc).__name__}")
        self._reset(loop)
        delay = self._jittered(loop.spec.interval)
        self._store.mark_ok(name, self._clock(), self._clock() + timedelta(seconds=delay))
        return delay

    def _rate_limited(self, loop: _Loop, exc: RateLimited) -> float:
        wait = min(max(exc.retry_after, 0.0), self.MAX_RETRY_AFTER)
        self._host_pause_until = max(self._host_pause_until, self._now() + wait)
        return self._failed(loop, exc.kind, exc.message, minimum=wait)

    def _stop(self, loop: _Loop, kind: str, message: str) -> None:
        """401/403: asking again cannot help. Say so once and wait for a manual refresh."""
        loop.stopped = True
        self._reset(loop)
        log.info("%s: %s; polling stopped until a manual refresh", loop.spec.resource, kind)
        self._store.mark_error(loop.spec.resource, kind, message, None)

    async def _apply(self, name: str, result: FetchResult | Sequence[m.Resource]) -> None:
        if not isinstance(result, FetchResult):
            result = FetchResult(items=result)
        if result.complete:
            if len(result.items) < self.DIFF_OFF_LOOP:
                self._store.replace_all(name, result.items)
                return
            # A large listing is diffed on a thread: keys and frames go on meanwhile.
            replacement = self._store.prepare_replace(name, result.items)
            await asyncio.to_thread(replacement.compute)
            self._store.commit_replacement(replacement)
            return
        self._store.upsert(name, result.items)
        if result.removed:
            self._store.remove(name, result.removed)

    def _failed(self, loop: _Loop, kind: str, message: str, minimum: float = 0.0) -> float:
        loop.failures += 1
        backoff = max(minimum, self._jittered(self._backoff(loop.failures, loop.spec.interval)))
        loop.listing_due = self._now() + backoff
        # A failure after a good probe means the probe does not predict this listing.
        loop.armed = not loop.started_by_probe
        loop.started_by_probe = False
        delay = backoff
        if loop.spec.probe is not None and not minimum:
            delay = min(backoff, self._jittered(loop.spec.interval))
        self._store.mark_error(
            loop.spec.resource, kind, message, self._clock() + timedelta(seconds=delay)
        )
        return delay

    def _jittered(self, seconds: float) -> float:
        return seconds * (1.0 + self._rng.uniform(-self._jitter, self._jitter))

    async def _wait_for_host(self) -> None:
        now = self._now()
        if self._host_pause_until > now:
            await asyncio.sleep(self._host_pause_until - now)

    async def _tick(self) -> None:
        while self._running:
            self._store.tick(self._clock())
            await asyncio.sleep(self.TICK)
