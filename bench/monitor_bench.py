"""Benchmark: the release monitor over a simulated hour and under a burst (issue 14).

    python bench/monitor_bench.py [--speed N] [--bursts N]

The monitor screen runs in a child process on a pseudo-terminal (120x40), fed by a synthetic
signature log in that process (no HTTP: what is measured is the monitor, not the network;
each page read yields to the event loop as an HTTP read would):

- **hour**: an open window signed in at 10 signatures a second, with one attempt in 50
  refused; the clock runs `--speed` times faster (polls every 2 simulated seconds), so a
  simulated hour takes 3600/speed real seconds. Measured: the process RSS along the way
  (bounded: it must level off), every byte written to the terminal, and the bytes written
  per second with nothing arriving (the clock and freshness lines), from which a real hour
  is estimated (polls plus 3600 one-second ticks).
- **burst**: 1,000 new signatures in one poll, `--bursts` times. A key is pressed as each
  burst is read (the budget view toggles, a change that is easy to see in the output) and
  the time to the frame that shows it is taken; the child also records how late its event
  loop ran during the bursts.

The log is generated from the entry number, so the source itself holds nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from _harness import PtyApp, figure, screen_text  # noqa: E402

START = datetime(2026, 11, 27, 11, 0, tzinfo=UTC)
RATE = 10.0  # signatures per second
BURST = 1000


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------- the child


def _entry(i: int, at: datetime, window_id: str) -> Any:
    from stm_tui.views.monitor.records import Attempt

    refused = i % 50 == 49
    kp = ("kp-a", "firmware-update") if i % 3 else ("kp-b", "firmware-root")
    user = [("u-1", "Kenji Watanabe"), ("u-2", "nightly-build-svc"), ("u-3", "Tomas Berg")][i % 3]
    return Attempt(
        id=f"sig-{i:09d}", created_on=at, status="FAILED" if refused else "SUCCESS",
        failure_reason="NOT_A_RELEASE_SIGNER" if refused else None,
        failure_message="refused" if refused else None, keypair_id=kp[0], keypair_alias=kp[1],
        user_id=user[0], user_name=user[1], release_id=None if refused else window_id,
        release_name="" if refused else "platform-fw-7.1", sig_alg="SHA256withECDSA",
        hash=f"{i:032x}=", client_ip=f"10.20.{i % 16}.{i % 250}", keypair_type="STATIC",
        signature_type="PRODUCTION")


class SyntheticLog:
    """An oldest-first signature log: entry i made at START + i/RATE (hour), or bursts of
    BURST entries at once (burst), generated on demand."""

    def __init__(self, clock: Any, window_id: str, mode: str, marker: Path) -> None:
        self.clock = clock
        self.window_id = window_id
        self.mode = mode
        self.marker = marker
        self.bursts: list[datetime] = []
        self.reads = 0

    def count(self) -> int:
        if self.mode == "hour":
            return int((self.clock() - START).total_seconds() * RATE)
        return 100 + BURST * len(self.bursts)

    def at(self, i: int) -> datetime:
        if self.mode == "hour" or i < 100:
            return START + timedelta(seconds=i / RATE)
        return self.bursts[(i - 100) // BURST]

    async def signatures_page(self, *, offset: int, limit: int, **_filters: Any
                              ) -> tuple[int, list[Any]]:
        self.reads += 1
        await asyncio.sleep(0.002)  # a loopback round trip: the loop runs meanwhile
        total = self.count()
        end = min(total, offset + min(limit, 100))
        return total, [_entry(i, self.at(i), self.window_id) for i in range(offset, end)]

    async def release(self, release_id: str) -> Any:
        return WINDOW

    async def scans(self, release_id: str) -> list[Any]:
        return []

    async def open_releases(self) -> list[Any]:
        return [WINDOW]


WINDOW: Any = None


def child(mode: str, speed: float, stats: Path, bursts: int) -> None:
    global WINDOW
    from stm_tui.tui.monitor_app import MonitorApp
    from stm_tui.tui.screens.monitor import MonitorScreen
    from stm_tui.views.monitor import feed as feed_module
    from stm_tui.views.monitor.budget import (
        BudgetConfig,
        BudgetReport,
        BudgetTally,
        budget_report,
        month_start,
    )
    from stm_tui.views.monitor.model import MonitorModel
    from stm_tui.views.monitor.records import Named, Window

    t0 = time.monotonic()
    rate = speed if mode == "hour" else 1.0

    def clock() -> datetime:
        return START + timedelta(seconds=(time.monotonic() - t0) * rate)

    WINDOW = Window(
        id="w-fw", name="platform-fw-7.1", release_type="OFFLINE", status="APPROVED",
        start_time=START,
        # Burst mode (real time): inside the last hour, so the countdown ticks every second.
        end_time=START + timedelta(minutes=70 if mode == "hour" else 50), max_signatures=40_000,
        signature_count=0, keypairs=(Named("kp-a", "firmware-update"),
                                     Named("kp-b", "firmware-root")),
        signers=(Named("u-1", "Kenji Watanabe"), Named("u-2", "nightly-build-svc"),
                 Named("u-3", "Tomas Berg")), block_on_failed_scan=False)
    marker = stats.with_suffix(".burst")
    log = SyntheticLog(clock, WINDOW.id, mode, marker)
    feed_module.MIN_INTERVAL = 0.01  # simulated time: 2 s between polls are 2/speed real s
    model = MonitorModel([WINDOW], clock=clock)
    feed = feed_module.MonitorFeed(log, model, interval=2.0 / rate, meta_interval=3600)
    samples: list[dict[str, Any]] = []
    lags: list[float] = []

    async def budget() -> BudgetReport:
        return budget_report(BudgetTally(month_start(clock())), clock(), BudgetConfig(1000))

    async def drive(app: Any) -> None:
        await asyncio.sleep(1.0)
        wm = model.windows[WINDOW.id]
        logged = 0
        if mode == "hour":
            end = START + timedelta(hours=1)
            while clock() < end:
                await asyncio.sleep(0.5)
                samples.append({"sim_s": (clock() - START).total_seconds(), "rss": _rss_mb(),
                                "polls": feed.polls, "stream": len(wm.stream),
                                "known": len(feed._cursor.known) if feed._cursor else 0,
                                "seen": wm.success + wm.failed})
            feed.stop()
            await asyncio.sleep(0.5)  # the poll in flight ends
            logged = feed._cursor.total if feed._cursor else 0
        else:
            marker.write_text("idle")  # nothing arrives for a while: the parent measures
            await asyncio.sleep(6)
            for _ in range(bursts):
                await asyncio.sleep(2.0)
                polls = feed.polls
                log.bursts.append(clock())
                marker.write_text(str(len(log.bursts)))
                tick = time.monotonic()
                while feed.polls <= polls + 1:  # the burst's poll is done
                    await asyncio.sleep(0.001)
                    now = time.monotonic()
                    lags.append(now - tick - 0.001)
                    tick = now
            await asyncio.sleep(1.0)
            logged = log.count()
        await asyncio.to_thread(stats.write_text, json.dumps({
            "samples": samples, "lags": lags, "polls": feed.polls, "reads": log.reads,
            "seen": wm.success + wm.failed, "count": logged, "stream": len(wm.stream),
            "alerts": [a.kind for a in model.alerts.all()], "rss": _rss_mb(),
        }))
        marker.write_text("done")
        app.exit()

    def make() -> MonitorScreen:
        return MonitorScreen(feed=feed, budget=budget)

    # MonitorApp itself, as `stm-tui watch` runs it (a subclass defined in `__main__` was
    # seen to make Textual redraw the whole screen on every refresh).
    app = MonitorApp(make)

    async def main() -> None:
        task = asyncio.create_task(drive(app))
        await app.run_async()
        task.cancel()

    asyncio.run(main())


# ---------------------------------------------------------------------- the parent


def _spawn(mode: str, speed: float, bursts: int, folder: Path) -> tuple[PtyApp, Path, Path]:
    stats = folder / f"{mode}.json"
    marker = stats.with_suffix(".burst")
    env = {**os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
           "TEXTUAL_ANIMATIONS": "none"}
    app = PtyApp([sys.executable, str(Path(__file__).resolve()), "--child", mode,
                  "--speed", str(speed), "--bursts", str(bursts), "--stats", str(stats)],
                 env=env)
    return app, stats, marker


def _wait_file(path: Path, want: str | None, app: PtyApp, timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists():
            text = path.read_text()
            if want is None or text == want:
                return text
        if app.proc.poll() is not None:
            raise RuntimeError(f"the child exited: {screen_text(app.output())[-500:]}")
        time.sleep(0.002)
    raise TimeoutError(f"{path} never said {want!r}")


def hour(speed: float, folder: Path) -> list[dict[str, Any]]:
    app, stats, marker = _spawn("hour", speed, 0, folder)
    try:
        _wait_file(marker, "done", app, 3600 / speed + 120)
        written = len(app.output())
        data = json.loads(stats.read_text())
    finally:
        app.close()
    samples = data["samples"]
    tenth = next(s for s in samples if s["sim_s"] >= 360)
    peak = max(s["rss"] for s in samples)
    path = ", ".join(
        f"{next(s for s in samples if s['sim_s'] >= q * 36)['rss']:.0f}" for q in (25, 50, 75)
    ) + f", {samples[-1]['rss']:.0f}"
    polls = data["polls"]
    return [
        figure("monitor_hour_signatures", data["seen"], "attempts", None,
               note=f"of {data['count']} in the log; {polls} polls, {data['reads']} page reads"),
        figure("monitor_hour_rss_growth", peak - tenth["rss"], "MB", 20.0,
               note=f"RSS {tenth['rss']:.0f} MB at 6 min; at 15/30/45/60 min: {path} MB "
                    f"(stream {data['stream']}, known ids {samples[-1]['known']})"),
        figure("monitor_hour_bytes", written / 1e6, "MB", None,
               note=f"written to the terminal by {polls} polls at 10 signatures/s "
                    f"({written / max(1, polls) / 1024:.1f} kB a poll)"),
    ]


def _shows(glyphs: str, text: str) -> bool:
    if glyphs == "braille":
        return any(0x2801 <= ord(ch) <= 0x28FF for ch in text)
    if glyphs == "ascii":  # the gauge, filled or not
        return "Quota  #" in text or "Quota  -" in text
    return "Quota  █" in text or "Quota  ░" in text


def _press_g(app: PtyApp, n: int) -> float:
    """`g` (the next glyph set) and the milliseconds to the frame that shows it."""
    glyphs = ("braille", "ascii", "blocks")[n % 3]
    start = time.perf_counter()
    app.send(b"g")
    while not _shows(glyphs, screen_text(app.output(since=start))):
        if time.perf_counter() - start > 10:
            raise TimeoutError("the key press never showed")
        time.sleep(0.001)
    return (time.perf_counter() - start) * 1000


def burst(count: int, folder: Path) -> list[dict[str, Any]]:
    app, stats, marker = _spawn("burst", 1.0, count, folder)
    latencies: list[float] = []
    try:
        app.wait_for(lambda text: "time UTC" in text, 60)
        _wait_file(marker, "idle", app, 60)
        time.sleep(0.5)
        quiet_from = time.perf_counter()
        time.sleep(5)
        idle = len(app.output(since=quiet_from)) / 5
        idle_latencies = [_press_g(app, n) for n in range(3)]  # a baseline, nothing arriving
        for n in range(1, count + 1):
            _wait_file(marker, str(n), app, 60)
            # Change the sparkline glyphs the moment the burst is being read.
            latencies.append(_press_g(app, n + 2))
        _wait_file(marker, "done", app, 60)
        data = json.loads(stats.read_text())
    finally:
        app.close()
    worst_lag = max(data["lags"], default=0.0) * 1000
    return [
        figure("monitor_idle_key_to_frame_max", max(idle_latencies), "ms", 100.0,
               note="the same key with nothing arriving (a baseline)"),
        figure("monitor_idle_bytes_per_s", idle, "B/s", None,
               note="real time, nothing arriving, in the window's last hour: the countdown "
                    "and freshness lines; a real hour of polls adds 3600 times this"),
        figure("monitor_burst_key_to_frame_max", max(latencies), "ms", 100.0,
               note=f"{count} bursts of {BURST}; median {statistics.median(latencies):.0f} ms; "
                    f"each: {', '.join(f'{x:.0f}' for x in latencies)}"),
        figure("monitor_burst_loop_lag_max", worst_lag, "ms", None,
               note="how late the event loop ran while a burst was read"),
        figure("monitor_burst_rss", data["rss"], "MB", None,
               note=f"after {count * BURST} signatures; {data['seen']} shown, "
                    f"stream capped at {data['stream']}"),
    ]


def run(speed: float = 30.0, bursts: int = 6) -> list[dict[str, Any]]:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="stm-monitor-bench-") as tmp:
        return hour(speed, Path(tmp)) + burst(bursts, Path(tmp))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--speed", type=float, default=30.0,
                        help="how much faster than real time the hour runs")
    parser.add_argument("--bursts", type=int, default=6)
    parser.add_argument("--child", choices=["hour", "burst"], help=argparse.SUPPRESS)
    parser.add_argument("--stats", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.speed, args.stats, args.bursts)
        return 0
    results = run(args.speed, args.bursts)
    for r in results:
        target = "-" if r["target"] is None else r["target"]
        print(f"{r['name']:<32} {r['value']:>10.2f} {r['unit']:<9} target {target:<6}"
              f" {'ok' if r['ok'] else 'MISSED'}  {r['note']}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
