"""Benchmark: memory and load time of the whole dashboard on 100,000 certificates.

    python bench/dashboard_scale_bench.py [--certs N] [--baseline-rev REV] [--no-warm]
                                           [--warm-starts N] [--timeline]

A real `stm-tui` process on a pseudo-terminal (120x40) against `stm-tui emulator` (its own
process, activity off) seeded with `scale:N`. The dashboard's RSS and CPU are sampled every
0.25 s from start until the process falls quiet, then for a few seconds more. Quiet is the
moment from which it used under 10% of a core for 4 s, once the Overview showed data from
the store (`CACHED_MARK` or `UPDATED_MARK`; at the latest from `QUIET_LATEST` on). Reports
the peak RSS, the settled RSS and the time from start to quiet. While a cold start loads,
`4` and `1` (Releases, Overview) are pressed 30 times in turn: the time from each press to
that area's table on the terminal is the key-to-frame figure.
`--baseline-rev` measures that git revision of `stm_tui` too
(extracted with `git archive`, run with `PYTHONPATH`) in the same run, next to this tree.

Cold is a first start (no local data); warm starts again with the same home directory, so
the inventory cache the cold run saved is there (the emulator keeps its port, so the host and
the cache file are the same). A revision without a cache starts cold both times: its warm
figure is its cold one. Warm starts are made `--warm-starts` times (3) per tree, the trees in
turn, and their medians reported with the spread: one start is too noisy to compare on.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    ROOT,
    STM_TUI,
    PtyApp,
    emulator_process,
    env_for,
    figure,
    free_port,
    print_figures,
    scale_dir,
    screen_text,
)

LOAD_TIMEOUT = 300.0
QUIET_WINDOW = 4.0
QUIET_CPU = 0.10
SETTLE = 4.0
RSS_TARGET_MB = 350.0
PEAK_TARGET_MB = 500.0
COLD_QUIET_TARGET = 12.0
COLD_CPU_TARGET = 8.0
WARM_FIRST_TARGET = 1.5
WARM_QUIET_TARGET = 3.0
# What the areas' freshness line says while they show the local cache (views/freshness.py).
CACHED_MARK = "cached · from"
# What it says once fresh data from the server is in: with the cached mark, what "showed
# data from the store" means for quiet (`Sampler.quiet_since`).
UPDATED_MARK = "● updated"
QUIET_LATEST = 4.0  # quiet may start from here on even if neither mark was seen yet
AREAS = (("3", "certificates"), ("2", "keypairs"))  # area keys, opened in this order
AREA_QUIET = 2.0
WARM_STARTS = 3  # warm starts per tree (medians)


class Sampler:
    """RSS/CPU samples of one process, taken by the caller at a fixed period."""

    def __init__(self, app: PtyApp) -> None:
        self.app = app
        self.samples: list[tuple[float, float, float]] = []  # (seconds since start, cpu, MB)

    def take(self) -> None:
        now = time.perf_counter() - self.app.started
        self.samples.append((now, self.app.cpu_seconds(), self.app.rss_mb()))

    def quiet_since(self, floor: float) -> float | None:
        """When the process fell quiet: the start of the first `QUIET_WINDOW` under
        `QUIET_CPU` that starts at `floor` or later, if there is one yet. (Until 2026-12-02
        this was the window's end: 4 s of watching counted as 4 s of loading, and the warm
        target of 3 s could not be met by any dashboard.)"""
        window = self.quiet_window(floor, QUIET_WINDOW)
        return window[0] if window else None

    def quiet_window(self, after: float, length: float) -> tuple[float, float] | None:
        """(start, end) of the first `length` s under `QUIET_CPU` starting after `after`."""
        for i, (t0, c0, _) in enumerate(self.samples):
            if t0 < after:
                continue
            for t1, c1, _ in self.samples[i + 1:]:
                if t1 - t0 >= length:
                    if (c1 - c0) / (t1 - t0) < QUIET_CPU:
                        return t0, t1
                    break
        return None

    def wait_quiet(self, after: float, length: float, period: float) -> tuple[float, float]:
        deadline = time.perf_counter() + LOAD_TIMEOUT
        while time.perf_counter() < deadline:
            self.take()
            window = self.quiet_window(after, length)
            if window is not None:
                return window
            time.sleep(period)
        raise TimeoutError("the dashboard never went quiet")


KEY_TARGET_MS = 100.0
PROBE_GIVE_UP = 10.0
PROBE_EVERY = 0.7  # seconds between one probe's answer and the next key
# Then it stops, so that its own redraws do not keep the process from falling quiet: 30
# presses cover the first ~25 s of the load, where parsing and row building are heaviest.
PROBE_PRESSES = 30
# Two light areas, each with a column title no other screen shows: the key, and the text
# that says its area is on the terminal.
PROBE_KEYS = ((b"4", "Remaining"), (b"1", "Urgency"))


class KeyProbe:
    """Key press to frame while the inventory loads: Releases and Overview in turn, each
    press timed to the first terminal output showing that area's own column title,
    `PROBE_PRESSES` times from the first frame. Timed on the terminal, as a user sees it."""

    def __init__(self, app: PtyApp) -> None:
        self.app = app
        self.latencies: list[float] = []  # seconds
        self.pending: tuple[float, str] | None = None
        self.next_at = 0.0
        self._first_frame = Marks(app, ("Urgency",))

    def _answered(self, since: float, marker: str) -> float | None:
        text = ""
        for stamp, data in list(self.app.chunks):
            if stamp < since:
                continue
            text += screen_text(data)
            if marker in text:
                return stamp
        return None

    def step(self) -> None:
        now = time.perf_counter()
        if self.pending is not None:
            sent, marker = self.pending
            answered = self._answered(sent, marker)
            if answered is None and now - sent < PROBE_GIVE_UP:
                return
            self.latencies.append((answered if answered is not None else now) - sent)
            self.pending = None
            self.next_at = now + PROBE_EVERY
        elif (len(self.latencies) < PROBE_PRESSES and now >= self.next_at
              and self._first_frame.first() is not None):
            key, marker = PROBE_KEYS[len(self.latencies) % len(PROBE_KEYS)]
            self.pending = (time.perf_counter(), marker)
            self.app.send(key)

    def finish(self) -> None:
        """Back on the Overview, where the area figures start (a probe still waiting is
        not counted)."""
        self.pending = None
        self.app.send(b"1")
        time.sleep(PROBE_EVERY)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


class Measured(NamedTuple):
    # Not a dataclass: bench/run.py loads this file without registering it as a module.
    figures: dict[str, float]
    timeline: list[tuple[float, float, float]]


class Marks:
    """When each of some texts was first on the terminal, found as the output arrives (a
    scan of all of it at every sample would compete with the dashboard for the CPU)."""

    def __init__(self, app: PtyApp, texts: tuple[str, ...]) -> None:
        self.app = app
        self.found: dict[str, float] = {}
        self._texts = texts
        self._scanned = 0
        self._tail = ""

    def first(self) -> float | None:
        """Seconds from start until the first of the texts was seen, if one was."""
        chunks = self.app.chunks
        while self._scanned < len(chunks) and len(self.found) < len(self._texts):
            stamp, data = chunks[self._scanned]
            self._scanned += 1
            self._tail = (self._tail + screen_text(data))[-4096:]
            for text in self._texts:
                if text not in self.found and text in self._tail:
                    self.found[text] = stamp - self.app.started
        return min(self.found.values()) if self.found else None


def measure(argv: list[str], env: dict[str, str], period: float = 0.25,
            areas: bool = True, keys: bool = True) -> Measured:
    app = PtyApp(argv, env=env)
    sampler = Sampler(app)
    probe = KeyProbe(app) if keys else None
    marks = Marks(app, (CACHED_MARK, UPDATED_MARK))
    try:
        quiet: float | None = None
        while time.perf_counter() - app.started < LOAD_TIMEOUT:
            if app.proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({app.proc.returncode}): "
                                   f"{app.output()[-300:]!r}")
            sampler.take()
            shown = marks.first()
            quiet = sampler.quiet_since(min(QUIET_LATEST, shown if shown is not None
                                            else QUIET_LATEST))
            if quiet is not None:
                break
            # Short steps while a probe waits: its answer is timed on the output's own
            # stamps, the step only decides when to close the help and press again.
            until = time.perf_counter() + period
            while probe is not None and time.perf_counter() < until:
                probe.step()
                time.sleep(0.02)
            if probe is None:
                time.sleep(period)
        if quiet is None:
            raise TimeoutError("the dashboard never went quiet")
        if probe is not None:
            probe.finish()
        settle_until = time.perf_counter() + SETTLE
        while time.perf_counter() < settle_until:
            time.sleep(period)
            sampler.take()
        figures = {
            "peak_rss": max(s[2] for s in sampler.samples),
            "settled_rss": sampler.samples[-1][2],
            "quiet": quiet,
            "cpu": sampler.samples[-1][1],
        }
        if probe is not None and probe.latencies:
            figures["key_p95_ms"] = percentile(probe.latencies, 95) * 1000
            figures["key_max_ms"] = max(probe.latencies) * 1000
            figures["key_presses"] = float(len(probe.latencies))
        marks.first()  # what came since the last sample
        cached = marks.found.get(CACHED_MARK)
        if cached is not None:
            figures["cached_shown"] = cached
        # Then open the two big lists: the rows of 100,000 certificates and 50,000 keypairs.
        for key, name in AREAS if areas else ():
            pressed = time.perf_counter() - app.started
            app.send(key.encode())
            start, _end = sampler.wait_quiet(pressed, AREA_QUIET, period)
            figures[f"{name}_open"] = max(0.0, start - pressed)
            figures[f"{name}_rss"] = sampler.samples[-1][2]
    finally:
        # Quitting writes what the inventory cache still lacks: give it time.
        app.close(timeout=120.0)
    # A task that died during the run is only reported when the app shuts down: figures from
    # a dashboard that stopped doing part of its work are not figures.
    raw = app.output()
    if b"Traceback (most recent call last)" in raw:
        tail = raw[raw.index(b"Traceback"):].decode("utf-8", "replace")
        raise RuntimeError(f"the dashboard printed a traceback: {tail[-600:]}")
    return Measured(figures, sampler.samples)


def baseline_tree(rev: str, into: Path) -> Path:
    """`stm_tui` (and its stylesheets) as of `rev`, extracted into `into` (no change to the
    repository) and compiled, as `compiled` makes this tree."""
    archive = subprocess.run(["git", "archive", rev, "stm_tui", "styles"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return compiled(into)


def compiled(tree: Path) -> Path:
    """`tree`'s `stm_tui` with every module's bytecode written. Where PYTHONDONTWRITEBYTECODE
    is set (as on the bench machine), a tree nobody compiled is compiled again at every
    start: a freshly extracted revision paid ~0.6 s of CPU per start that this tree, compiled
    by earlier runs, did not (before 2026-12-02 the ratios against a revision carried it)."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(tree / "stm_tui")],
                   check=True, capture_output=True)
    return tree


def print_timeline(label: str, samples: list[tuple[float, float, float]]) -> None:
    print(f"{label}: seconds  cpu-s  RSS-MB", file=sys.stderr)
    shown = -1.0
    for t, cpu, mb in samples:
        if t - shown >= 1.0:
            print(f"  {t:6.1f} {cpu:6.1f} {mb:7.0f}", file=sys.stderr)
            shown = t


def warm_up(creds: dict[str, Any]) -> None:
    """List the inventory once before any start is measured. The emulator's per-item page
    fragments and SQLite's pages are cold at first: whichever tree was measured first met a
    slower server (same code measured twice in a row: the second start went quiet 5% sooner
    with 1.5x the key-to-frame p95, its sync competing harder with the UI)."""
    import asyncio

    from pydantic import SecretStr

    from stm_tui.api.client import STMClient

    async def listing() -> None:
        async with STMClient(creds["url"], SecretStr(creds["users"]["lead"]["api_key"])) as c:
            for resource in ("certificates", "keypairs"):
                await c.list_all(resource)

    asyncio.run(listing())


def median_of(runs: list[Measured]) -> tuple[dict[str, float], dict[str, tuple[float, float]]]:
    """Each figure's median over `runs`, and its spread (lowest, highest)."""
    keys = {k for r in runs for k in r.figures}
    values = {k: sorted(r.figures[k] for r in runs if k in r.figures) for k in keys}
    return ({k: statistics.median(v) for k, v in values.items()},
            {k: (v[0], v[-1]) for k, v in values.items()})


def run(certs: int = 100_000, baseline_rev: str | None = None,
        timeline: bool = False, warm: bool = True,
        warm_starts: int = WARM_STARTS) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    port = free_port()
    old_warm: list[Measured] = []
    new_warm: list[Measured] = []
    with contextlib.ExitStack() as stack, emulator_process(
        scale_dir(certs), seed=f"scale:{certs}", port=port
    ) as creds:
        warm_up(creds)
        old: Measured | None = None
        old_argv: list[str] = []
        old_env: dict[str, str] = {}
        if baseline_rev:
            tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="stm-bench-rev-"))
            tree = baseline_tree(baseline_rev, Path(tmp))
            old_env = env_for(creds, PYTHONPATH=str(tree))
            # -P: the working directory (this tree) must not shadow PYTHONPATH.
            old_argv = [sys.executable, "-P", "-m", "stm_tui"]
            old = measure(old_argv, old_env)
        compiled(ROOT)  # on the same footing as the revision: its bytecode written first
        env = env_for(creds)
        new = measure([STM_TUI], env)
        # Warm starts are short and one of them is noisy (the same tree's spread from 6.7 to
        # 9.0 s to the cached inventory in five starts): several, the trees in turn.
        for _ in range(warm_starts if warm else 0):
            if baseline_rev:
                old_warm.append(measure(old_argv, old_env, areas=False, keys=False))
            new_warm.append(measure([STM_TUI], env, areas=False, keys=False))
    if timeline:
        if old:
            print_timeline("before", old.timeline)
        print_timeline("after", new.timeline)
        if new_warm:
            print_timeline("after, warm", new_warm[0].timeline)
    before = old.figures if old else None
    after = new.figures
    note = f"{certs} certificates, stm-tui on a 120x40 pty"

    def base(key: str) -> float | None:
        return before[key] if before else None

    out.append(figure("dashboard_peak_rss", after["peak_rss"], "MB", PEAK_TARGET_MB,
                      baseline=base("peak_rss"), note=f"peak RSS while syncing, cold; {note}"))
    out.append(figure("dashboard_settled_rss", after["settled_rss"], "MB", None,
                      baseline=base("settled_rss"), note=f"RSS {SETTLE:.0f} s after quiet, cold"))
    out.append(figure("dashboard_time_to_quiet", after["quiet"], "s", COLD_QUIET_TARGET,
                      baseline=base("quiet"),
                      note="cold: start until under 10% CPU for 4 s (cache write included)"))
    out.append(figure("dashboard_cpu_to_quiet", after["cpu"], "s", COLD_CPU_TARGET,
                      baseline=base("cpu"), note="cold: CPU seconds used until settled"))
    if "key_p95_ms" in after:
        out.append(figure("dashboard_key_to_frame_p95", after["key_p95_ms"], "ms", KEY_TARGET_MS,
                          baseline=base("key_p95_ms") if before and "key_p95_ms" in before
                          else None,
                          note=f"cold, during the load: an area key to its table on the terminal, "
                               f"{after['key_presses']:.0f} presses, max "
                               f"{after['key_max_ms']:.0f} ms"))
    for _key, name in AREAS:
        out.append(figure(f"dashboard_{name}_open", after[f"{name}_open"], "s", None,
                          baseline=base(f"{name}_open"),
                          note=f"key press to quiet with the {name} list built"))
        last = name == AREAS[-1][1]
        out.append(figure(f"dashboard_{name}_rss", after[f"{name}_rss"], "MB",
                          RSS_TARGET_MB if last else None,
                          baseline=base(f"{name}_rss"),
                          note=f"RSS once the {name} list is open too"
                               + (" (every list built)" if last else "")))
    w, spread = median_of(new_warm)
    ow = median_of(old_warm)[0] if old_warm else None
    if new_warm:
        starts = (f"median of {len(new_warm)} starts"
                  + (", the two trees in turn" if old_warm else ""))

        def wbase(key: str) -> float | None:
            return ow.get(key) if ow else None

        def span(key: str, unit: str) -> str:
            lo, hi = spread.get(key, (0.0, 0.0))
            return f"{starts} ({lo:.2f}-{hi:.2f} {unit})"

        out.append(figure("dashboard_warm_inventory_shown", w.get("cached_shown"), "s",
                          WARM_FIRST_TARGET, baseline=wbase("cached_shown"),
                          note=f"warm: start to '{CACHED_MARK} …' on screen (the cached "
                               f"inventory in the store); {span('cached_shown', 's')}"))
        out.append(figure("dashboard_warm_time_to_quiet", w["quiet"], "s", WARM_QUIET_TARGET,
                          baseline=wbase("quiet"),
                          note="warm: start until quiet (cache read, change-only refresh); "
                               + span("quiet", "s")))
        out.append(figure("dashboard_warm_cpu_to_quiet", w["cpu"], "s", None,
                          baseline=wbase("cpu"),
                          note=f"warm: CPU seconds until settled; {span('cpu', 's')}"))
        out.append(figure("dashboard_warm_peak_rss", w["peak_rss"], "MB", PEAK_TARGET_MB,
                          baseline=wbase("peak_rss"),
                          note=f"warm: peak RSS; {span('peak_rss', 'MB')}"))
    if before:
        for key in ("peak_rss", "settled_rss", "quiet", "cpu", *(f"{n}_rss" for _k, n in AREAS)):
            out.append(figure(f"dashboard_{key}_ratio", after[key] / before[key], "x", None,
                              note=f"after / before ({baseline_rev}), cold, one start each"))
    if new_warm and ow:
        for key in ("cached_shown", "quiet", "cpu", "peak_rss"):
            if key in w and key in ow:
                out.append(figure(f"dashboard_warm_{key}_ratio", w[key] / ow[key], "x",
                                  None, note=f"after / before ({baseline_rev}), warm, medians"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--baseline-rev", default=None,
                        help="also measure this git revision of stm_tui, in the same run")
    parser.add_argument("--timeline", action="store_true",
                        help="print RSS and CPU every second while loading")
    parser.add_argument("--no-warm", action="store_true",
                        help="skip the warm starts")
    parser.add_argument("--warm-starts", type=int, default=WARM_STARTS,
                        help="warm starts per tree, the trees in turn (medians reported)")
    args = parser.parse_args()
    results = run(args.certs, args.baseline_rev, timeline=args.timeline,
                  warm=not args.no_warm, warm_starts=max(1, args.warm_starts))
    return print_figures(results)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
