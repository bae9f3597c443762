"""A bounded soak (issue 16 item 6): the dashboard against the emulator with every fault type
mixed in, for a fixed time.

    .venv/bin/python bench/soak.py               # 2 minutes
    .venv/bin/python bench/soak.py --minutes 30  # the long run
    .venv/bin/python bench/soak.py --json        # the figures as JSON

The emulator runs in its own process with its activity simulator signing inside open release
windows and faults on (latency, 500/503, 429 with Retry-After, dropped connections, malformed
bodies); the dashboard runs headless under Pilot at 120x40, enters write mode and is driven
through every area (list, detail, filter, sort, back), pauses and refreshes, while a side
task keeps writing (keypairs generated, suspended and unsuspended through `Session.write`,
the path every dashboard write takes). Every area is opened once before the clock of the
memory check starts (a list built the first time is not a leak). Faults are switched off for
the last 15 s so the run ends on a healthy service. Key-to-frame is the time from a key to
the first frame the app composes after it; it means something only on an otherwise idle
machine.

It fails (exit 1) on: a crash or an unhandled exception anywhere (the app, a worker, the
poller, a logged error), more than one poll in flight for any resource, a key press whose
frame took over 150 ms at the 95th percentile, memory still growing at the end (RSS, after
free heap pages are handed back, over the last third more than 15% above the middle third),
or an acknowledged write missing from the emulator afterwards. The figures are printed either way.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pydantic import SecretStr  # noqa: E402

from stm_tui import memory  # noqa: E402
from stm_tui.api.client import STMClient  # noqa: E402
from stm_tui.api.errors import StmError  # noqa: E402
from stm_tui.api.resources import ResourceName  # noqa: E402
from stm_tui.api.writes.keypairs import (  # noqa: E402
    GenerateKeypair,
    generate_keypair,
    suspend_keypair,
    unsuspend_keypair,
)
from stm_tui.session import Session  # noqa: E402
from stm_tui.store.poller import Fetch  # noqa: E402
from stm_tui.tui.app import StmApp  # noqa: E402
from stm_tui.tui.areas import AREAS  # noqa: E402

FAULTS = {
    "latency_ms": 40,
    "error_rate": 0.04,
    "rate_limit_rate": 0.02,
    "drop_rate": 0.02,
    "malformed_rate": 0.02,
    "retry_after": 1,
}
QUIET_END_S = 15.0
FRAME_P95_LIMIT_MS = 150.0
FIRST_ERRORS: dict[str, str] = {}  # the first write refusal of each kind, for the report


def watch_frames(app: StmApp, drawn: list[float]) -> None:
    """Record when the app hands a frame to its driver (headless: the frame is composed and
    then not written; the time is the same)."""
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        if renderable is not None:
            drawn.append(time.perf_counter())
        display(screen, renderable)

    app._display = timed  # type: ignore[method-assign]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Emulator:
    """`stm-tui emulator` in its own process (as a real service would be: it does not share
    the dashboard's interpreter), signing in open release windows twice a second."""

    def __init__(self, folder: Path) -> None:
        creds = folder / "emulator.json"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "stm_tui", "emulator", "--data", str(folder / "emulator"),
             "--seed", "demo", "--activity", "--activity-rate", "120",
             "--credentials-file", str(creds)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while not creds.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the emulator did not start")
            time.sleep(0.05)
        doc = json.loads(creds.read_text())
        self.url: str = doc["url"]
        self.admin_token: str = doc["admin_token"]
        self.key: str = doc["users"]["lead"]["api_key"]

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


class Errors(logging.Handler):
    """Every ERROR record anywhere: an unhandled worker or poller exception is logged."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(f"{record.name}: {record.getMessage()}"[:300])


class CountingSession(Session):
    """The real session; each poll's fetch counted while in flight, per resource."""

    in_flight: Counter[str]
    peak: Counter[str]

    def _settled(self, name: ResourceName) -> Fetch:
        inner = super()._settled(name)
        if not hasattr(self, "in_flight"):
            self.in_flight, self.peak = Counter(), Counter()

        async def counted() -> Any:
            self.in_flight[name] += 1
            self.peak[name] = max(self.peak[name], self.in_flight[name])
            try:
                return await inner()
            finally:
                self.in_flight[name] -= 1

        return counted


def percentile(values: Sequence[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


async def writer(session: Session, stop: asyncio.Event, acked: list[str], rng: random.Random,
                 outcome: Counter[str]) -> None:
    """Keep writing through Session.write while the dashboard runs."""
    n = 0
    mine: list[tuple[str, str, bool]] = []  # id, alias, suspended
    first_errors = FIRST_ERRORS
    while not stop.is_set():
        n += 1
        try:
            if mine and rng.random() < 0.5:
                index = rng.randrange(len(mine))
                kp_id, alias, suspended = mine[index]
                call = (unsuspend_keypair if suspended else suspend_keypair)(kp_id, alias)
                mine[index] = (kp_id, alias, not suspended)
            else:
                alias = f"soak-{n}"
                call = generate_keypair(GenerateKeypair(alias=alias, key_alg="EDDSA"))
            done = await session.write(call)
            outcome["ok"] += 1
            if call.action == "keypair.generate" and done.resource is not None:
                acked.append(done.resource.id)
                mine.append((done.resource.id, alias, False))
        except StmError as exc:
            outcome[exc.kind] += 1  # a fault: reported, never retried
            if exc.kind not in first_errors:
                first_errors[exc.kind] = f"{call.action}: {exc.message}"[:200]
        await asyncio.sleep(rng.uniform(0.5, 2.0))


async def soak(seconds: float) -> dict[str, Any]:
    rng = random.Random(16)
    errors = Errors()
    logging.getLogger().addHandler(errors)
    folder = Path(tempfile.mkdtemp(prefix="stm-soak-"))
    server = Emulator(folder)
    import httpx

    admin = httpx.Client(base_url=server.url,
                         headers={"x-emulator-admin-token": server.admin_token})

    def faults(**spec: float) -> None:
        admin.put("/_emulator/faults", json=spec).raise_for_status()

    key = server.key
    client = STMClient(server.url, SecretStr(key), read_only=False)
    session = CountingSession(client, read_only=False, audit_path=folder / "audit.jsonl",
                              intervals={"releases": 2.0, "signatures": 2.0})
    app = StmApp(session)
    frames: list[float] = []
    rss: list[tuple[float, float]] = []
    presses: Counter[str] = Counter()
    acked: list[str] = []
    writes: Counter[str] = Counter()
    stop = asyncio.Event()
    crashed: str | None = None
    started = time.monotonic()
    warmed = 0.0
    drawn: list[float] = []  # when the app produced a frame (its compositor's update)
    no_frame = 0
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            watch_frames(app, drawn)
            for _ in range(200):  # the first load, bounded
                if session.identity is not None:
                    break
                await pilot.pause(0.05)
            for _ in range(100):  # write mode, as a user enters it (it asks first)
                await pilot.press("W")
                await pilot.pause(0.2)
                await pilot.press("y")
                await pilot.pause(0.2)
                if not session.read_only:
                    break
            if session.read_only:
                raise RuntimeError("write mode could not be entered")
            # Every area opened once first: building a list for the first time is growth the
            # memory check must not count as a leak.
            for area in AREAS:
                await pilot.press(area.key)
                await pilot.pause(0.2)
            await pilot.press("escape")
            warmed = time.monotonic() - started
            faults(**FAULTS)
            side = asyncio.create_task(writer(session, stop, acked, rng, writes))
            moves = ["j", "j", "k", "G", "g", "ctrl+d", "ctrl+u", "s", "S"]
            quiet = False
            while (now := time.monotonic() - started) < seconds:
                if not quiet and now > seconds - QUIET_END_S:
                    faults()  # end on a healthy service
                    quiet = True
                area = rng.choice(AREAS)
                script = [area.key, *rng.sample(moves, 3), "enter", "escape"]
                if rng.random() < 0.2:
                    script += ["slash", "a", "backspace", "escape"]
                if rng.random() < 0.1:
                    script += ["p", "p", "r"]
                for pressed in script:
                    t0 = time.perf_counter()
                    await pilot.press(pressed)
                    await pilot.pause()
                    # From the key to the first frame drawn after it, not to the end of
                    # Pilot's own waits (which wait for the whole machine to be idle).
                    first = next((t for t in drawn if t >= t0), None)
                    if first is None:
                        no_frame += 1  # nothing to redraw (the cursor was at the end)
                    else:
                        frames.append((first - t0) * 1000)
                    del drawn[:]
                    presses[pressed] += 1
                if not app.is_running:
                    crashed = "the app stopped on its own"
                    break
                if not rss or now - rss[-1][0] >= 5:
                    # Free heap pages handed back first: what is left is what the process
                    # holds, not what the allocator has yet to return.
                    memory.trim_heap()
                    rss.append((now, rss_mb()))
                await pilot.pause(rng.uniform(0.05, 0.3))
            stop.set()
            await side
            peaks = dict(session.peak)
    except Exception as exc:  # the app crashed: Pilot re-raises what ended it
        crashed = f"{type(exc).__name__}: {exc}"[:300]
        peaks = dict(getattr(session, "peak", {}))
    finally:
        faults()
        admin.close()  # noqa: ASYNC212 (the run is over; nothing else is waiting)
    # Every acknowledged creation is on the server afterwards.
    try:
        async with STMClient(server.url, SecretStr(key)) as check:
            held = {kp.id for kp in await check.list_all("keypairs")}
    except StmError as exc:
        print("the check after the run failed:", exc)
        held = set()
    server.stop()
    missing = sorted(set(acked) - held)
    third = max(1, len(rss) // 3)
    middle = statistics.mean(v for _, v in rss[third: 2 * third]) if len(rss) >= 3 else 0.0
    last = statistics.mean(v for _, v in rss[2 * third:]) if len(rss) >= 3 else 0.0
    in_flight = max(peaks.values(), default=0)
    p95 = round(percentile(frames, 95), 1)
    figures: dict[str, Any] = {
        "seconds": round(time.monotonic() - started, 1),
        "key_presses": sum(presses.values()),
        "frame_ms_p50": round(percentile(frames, 50), 1),
        "frame_ms_p95": p95,
        "frame_ms_max": round(max(frames, default=0.0), 1),
        "keys_without_a_frame": no_frame,
        "warm_up_s": round(warmed, 1),
        "rss_mb_start": round(rss[0][1], 1) if rss else 0.0,
        "rss_mb_middle_third": round(middle, 1),
        "rss_mb_last_third": round(last, 1),
        "rss_mb_peak": round(max((v for _, v in rss), default=0.0), 1),
        "max_polls_in_flight_per_resource": in_flight,
        "resources_polled": len(peaks),
        "writes": dict(writes),
        "first_write_errors": FIRST_ERRORS,
        "acknowledged_creations": len(acked),
        "missing_after": len(missing),
        "logged_errors": errors.records[:10],
        "crash": crashed,
    }
    problems = []
    if crashed:
        problems.append(f"crash: {crashed}")
    if errors.records:
        problems.append(f"{len(errors.records)} error records logged")
    if in_flight > 1:
        problems.append("more than one poll in flight for a resource")
    if p95 > FRAME_P95_LIMIT_MS:
        problems.append(f"key press to frame p95 {p95} ms > 150 ms")
    if middle and last > middle * 1.15:
        problems.append(f"memory still growing: {middle:.0f} MB -> {last:.0f} MB")
    if missing:
        problems.append(f"{len(missing)} acknowledged writes missing")
    figures["problems"] = problems
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=2.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    figures = asyncio.run(soak(args.minutes * 60))
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for name, value in figures.items():
            print(f"{name:36} {value}")
    return 1 if figures["problems"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
