"""Benchmark: memory and load time of the whole dashboard on 100,000 certificates.

    python bench/dashboard_scale_bench.py [--certs N] [--baseline-rev REV]

A real `stm-tui` process on a pseudo-terminal (120x40) against `stm-tui emulator` (its own
process, activity off) seeded with `scale:N`. The dashboard's RSS and CPU are sampled every
0.25 s from start until the process falls quiet (the first 4 s window under 10% of a core,
after the first 8 s), then for a few seconds more. Reports the peak RSS, the settled RSS and
the time from start to quiet. `--baseline-rev` measures that git revision of `stm_tui` too
(extracted with `git archive`, run with `PYTHONPATH`) in the same run, next to this tree.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, STM_TUI, PtyApp, emulator_process, env_for, figure, scale_dir

LOAD_TIMEOUT = 300.0
QUIET_WINDOW = 4.0
QUIET_CPU = 0.10
SETTLE = 4.0
RSS_TARGET_MB = 800.0
AREAS = (("3", "certificates"), ("2", "keypairs"))  # area keys, opened in this order
AREA_QUIET = 2.0


class Sampler:
    """RSS/CPU samples of one process, taken by the caller at a fixed period."""

    def __init__(self, app: PtyApp) -> None:
        self.app = app
        self.samples: list[tuple[float, float, float]] = []  # (seconds since start, cpu, MB)

    def take(self) -> None:
        now = time.perf_counter() - self.app.started
        self.samples.append((now, self.app.cpu_seconds(), self.app.rss_mb()))

    def quiet_since(self) -> float | None:
        """End of the first `QUIET_WINDOW` under `QUIET_CPU` after 8 s, if any yet."""
        window = self.quiet_window(8.0 - QUIET_WINDOW, QUIET_WINDOW)
        return window[1] if window else None

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


class Measured(NamedTuple):
    # Not a dataclass: bench/run.py loads this file without registering it as a module.
    figures: dict[str, float]
    timeline: list[tuple[float, float, float]]


def measure(argv: list[str], env: dict[str, str], period: float = 0.25) -> Measured:
    app = PtyApp(argv, env=env)
    sampler = Sampler(app)
    try:
        quiet: float | None = None
        while time.perf_counter() - app.started < LOAD_TIMEOUT:
            if app.proc.poll() is not None:
                raise RuntimeError(f"the dashboard exited ({app.proc.returncode}): "
                                   f"{app.output()[-300:]!r}")
            sampler.take()
            quiet = sampler.quiet_since()
            if quiet is not None:
                break
            time.sleep(period)
        if quiet is None:
            raise TimeoutError("the dashboard never went quiet")
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
        # Then open the two big lists: the rows of 100,000 certificates and 50,000 keypairs.
        for key, name in AREAS:
            pressed = time.perf_counter() - app.started
            app.send(key.encode())
            start, _end = sampler.wait_quiet(pressed, AREA_QUIET, period)
            figures[f"{name}_open"] = max(0.0, start - pressed)
            figures[f"{name}_rss"] = sampler.samples[-1][2]
    finally:
        app.close()
    return Measured(figures, sampler.samples)


def baseline_tree(rev: str, into: Path) -> Path:
    """`stm_tui` (and its stylesheets) as of `rev`, extracted into `into` (no change to the
    repository)."""
    archive = subprocess.run(["git", "archive", rev, "stm_tui", "styles"], cwd=ROOT, check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def print_timeline(label: str, samples: list[tuple[float, float, float]]) -> None:
    print(f"{label}: seconds  cpu-s  RSS-MB", file=sys.stderr)
    shown = -1.0
    for t, cpu, mb in samples:
        if t - shown >= 1.0:
            print(f"  {t:6.1f} {cpu:6.1f} {mb:7.0f}", file=sys.stderr)
            shown = t


def run(certs: int = 100_000, baseline_rev: str | None = None,
        timeline: bool = False) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with emulator_process(scale_dir(certs), seed=f"scale:{certs}") as creds:
        old: Measured | None = None
        if baseline_rev:
            with tempfile.TemporaryDirectory(prefix="stm-bench-rev-") as tmp:
                tree = baseline_tree(baseline_rev, Path(tmp))
                env = env_for(creds, PYTHONPATH=str(tree))
                # -P: the working directory (this tree) must not shadow PYTHONPATH.
                old = measure([sys.executable, "-P", "-m", "stm_tui"], env)
        new = measure([STM_TUI], env_for(creds))
    if timeline:
        if old:
            print_timeline("before", old.timeline)
        print_timeline("after", new.timeline)
    before = old.figures if old else None
    after = new.figures
    note = f"{certs} certificates, stm-tui on a 120x40 pty"

    def base(key: str) -> float | None:
        return before[key] if before else None

    out.append(figure("dashboard_peak_rss", after["peak_rss"], "MB", None,
                      baseline=base("peak_rss"),
                      note=f"peak RSS while syncing (informational); {note}"))
    out.append(figure("dashboard_settled_rss", after["settled_rss"], "MB", RSS_TARGET_MB,
                      baseline=base("settled_rss"), note=f"RSS {SETTLE:.0f} s after quiet"))
    out.append(figure("dashboard_time_to_quiet", after["quiet"], "s", None,
                      baseline=base("quiet"),
                      note="start to the first 4 s under 10% CPU (the full sync alone ~18 s)"))
    out.append(figure("dashboard_cpu_to_quiet", after["cpu"], "s", None,
                      baseline=base("cpu"), note="CPU seconds the dashboard used until settled"))
    for _key, name in AREAS:
        out.append(figure(f"dashboard_{name}_open", after[f"{name}_open"], "s", None,
                          baseline=base(f"{name}_open"),
                          note=f"key press to quiet with the {name} list built"))
        out.append(figure(f"dashboard_{name}_rss", after[f"{name}_rss"], "MB", None,
                          baseline=base(f"{name}_rss"),
                          note=f"RSS once the {name} list is open too"))
    if before:
        for key in ("peak_rss", "settled_rss", "quiet", "cpu", *(f"{n}_rss" for _k, n in AREAS)):
            out.append(figure(f"dashboard_{key}_ratio", after[key] / before[key], "x", None,
                              note=f"after / before ({baseline_rev})"))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--baseline-rev", default=None,
                        help="also measure this git revision of stm_tui, in the same run")
    parser.add_argument("--timeline", action="store_true",
                        help="print RSS and CPU every second while loading")
    args = parser.parse_args()
    results = run(args.certs, args.baseline_rev, timeline=args.timeline)
    for r in results:
        target = "-" if r["target"] is None else r["target"]
        baseline = "" if r["baseline"] is None else f"  before {r['baseline']:.2f}"
        print(f"{r['name']:<30} {r['value']:>10.2f} {r['unit']:<3} target {target}{baseline}"
              f"  {'ok' if r['ok'] else 'MISSED'}  {r['note']}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
