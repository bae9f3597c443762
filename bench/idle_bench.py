"""Benchmark: the dashboard idling on 100,000 certificates (issue 5, polling targets).

    python bench/idle_bench.py [--certs N] [--window S]

A real `stm-tui` process on a pseudo-terminal (120x40) against `stm-tui emulator` (its own
process, activity off, so no poll finds a change) seeded with `scale:N`. Once the inventory
is loaded (the process' CPU falls quiet), it measures over `--window` seconds with the
default 2 s release/signature polls: the CPU time of the process, the bytes written to the
terminal, and how many writes redrew list rows. The once-a-second "updated N s ago" label
is the only thing that should be written.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import STM_TUI, PtyApp, emulator_process, env_for, figure, scale_dir, screen_text

LOAD_TIMEOUT = 240.0
ROW_MARKERS = ("bulk-rsa-", "bulk-ecdsa-", "bulk-eddsa-")  # aliases of the generated rows


def _wait_until_quiet(app: PtyApp) -> float:
    """Seconds until the start of the first 4 s step under 10% CPU, from 4 s on (the
    inventory is in): when it fell quiet, as `dashboard_scale_bench` counts it too."""
    last = (time.perf_counter(), app.cpu_seconds())
    while time.perf_counter() - app.started < LOAD_TIMEOUT:
        time.sleep(4)
        now = (time.perf_counter(), app.cpu_seconds())
        if (now[1] - last[1]) / (now[0] - last[0]) < 0.10 and now[0] - app.started > 8:
            return last[0] - app.started
        last = now
    raise TimeoutError("the dashboard never went quiet")


def run(certs: int = 100_000, window: float = 20.0) -> list[dict[str, Any]]:
    with emulator_process(scale_dir(certs), seed=f"scale:{certs}") as creds:
        app = PtyApp([STM_TUI], env=env_for(creds))
        try:
            loaded = _wait_until_quiet(app)
            start, cpu = time.perf_counter(), app.cpu_seconds()
            time.sleep(window)
            elapsed = time.perf_counter() - start
            used = app.cpu_seconds() - cpu
            rss = app.rss_mb()
            writes = [d for t, d in list(app.chunks) if t >= start]
        finally:
            app.close()
    written = sum(len(d) for d in writes)
    row_writes = sum(1 for d in writes if any(m in screen_text(d) for m in ROW_MARKERS))
    return [
        figure("idle_cpu", 100 * used / elapsed, "%", 3.0,
               note=f"of one core; {certs} certificates, {window:.0f} s window, 2 s release poll"),
        figure("idle_rows_redrawn", row_writes, "writes", 0,
               note="terminal writes redrawing list rows while no poll found a change"),
        figure("idle_bytes_per_s", written / elapsed, "B/s", None,
               note="all terminal output while idle (the freshness label ticks each second)"),
        figure("idle_rss", rss, "MB", None, note="dashboard process RSS with the inventory"),
        figure("dashboard_load", loaded, "s", None,
               note="start to a quiet process with the whole inventory loaded"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--window", type=float, default=20.0)
    args = parser.parse_args()
    results = run(args.certs, args.window)
    for r in results:
        target = "-" if r["target"] is None else r["target"]
        print(f"{r['name']:<20} {r['value']:>10.2f} {r['unit']:<12} target {target}"
              f"  {'ok' if r['ok'] else 'MISSED'}  {r['note']}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
