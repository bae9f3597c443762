"""Benchmark: start-up times of real `stm-tui` processes (issue 5).

    python bench/startup_bench.py

- `stm-tui --version` (median of 5 runs);
- `stm-tui` to the first frame of the overview, with `stm-tui emulator` already running;
- `stm-tui demo --data DIR` to a populated overview, from a fresh data dir (seed and key
  generation included) and again with the now existing one.

The app runs on a pseudo-terminal (120x40); a frame is detected in its output: the overview's
table header for the first frame, a triage row (an item kind in the Kind column) for a
populated one. Times are from process start to the output chunk that completes the frame.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import CACHE, STM_TUI, PtyApp, emulator_process, env_for, figure

FIRST_FRAME = "Urgency"  # the overview's table header
# A triage row: urgency, then an item kind (lowercase, unlike the header and area bar).
POPULATED = re.compile(r"(CRITICAL|HIGH|WARN\w*|NO CERT|INFO|EXPIR\w*|OPEN)\s+"
                       r"(scan|keypair|certificate|release|signature|user|token)\s")


def _populated(text: str) -> bool:
    return FIRST_FRAME in text and POPULATED.search(text) is not None


def _time_app(argv: list[str], env: dict[str, str], found: Callable[[str], bool],
              timeout: float = 60.0) -> float:
    app = PtyApp(argv, env=env)
    try:
        return app.wait_for(found, timeout)
    finally:
        app.close()


def version_time() -> float:
    times = []
    for _ in range(5):
        start = time.perf_counter()
        subprocess.run([STM_TUI, "--version"], check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def run() -> list[dict[str, Any]]:
    results = [figure("startup_version", version_time(), "s", 0.3, note="median of 5")]
    with tempfile.TemporaryDirectory(prefix="stm-bench-demo-") as tmp:
        with emulator_process(Path(tmp) / "emu") as creds:
            env = env_for(creds)
            _time_app([STM_TUI], env, lambda t: FIRST_FRAME in t)  # warm the file cache
            first = _time_app([STM_TUI], env, lambda t: FIRST_FRAME in t)
        results.append(figure("startup_overview_first_frame", first, "s", 1.0,
                              note="emulator already running (demo seed)"))
        data = Path(tmp) / "demo"
        env = env_for({"url": "", "users": {"lead": {"api_key": ""}}})
        for key in ("SM_HOST", "SM_API_KEY"):
            env.pop(key)
        fresh = _time_app([STM_TUI, "demo", "--data", str(data)], env, _populated)
        again = _time_app([STM_TUI, "demo", "--data", str(data)], env, _populated)
    results.append(figure("startup_demo_fresh", fresh, "s", 5.0,
                          note="fresh data dir: seed and key generation included"))
    results.append(figure("startup_demo_existing", again, "s", 2.0,
                          note="existing data dir"))
    CACHE.mkdir(parents=True, exist_ok=True)
    return results


def main() -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args()
    results = run()
    for r in results:
        print(f"{r['name']:<30} {r['value']:>7.3f} s   target {r['target']} s"
              f"  {'ok' if r['ok'] else 'MISSED'}  {r['note']}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
