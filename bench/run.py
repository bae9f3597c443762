"""Run every benchmark of issue 5 and compare each figure with its target.

    python bench/run.py [--only NAME ...] [--skip-datatable] [--rows N] [--certs N]
                        [--baseline-rev REV] [--write-readme]

Benchmarks: `table` (bench/table_bench.py: ResourceTable vs the stock DataTable on N rows),
`startup`, `sync`, `idle`, `dashboard_scale` (RSS and time to a loaded, quiet dashboard) and
`emulator` (bench/emulator_bench.py's `run()` when it has one,
else the list-page latency measured here). Scale data (`scale:N`) is seeded once into
`bench/.cache/` and reused. Prints one line per figure (ours, target, DataTable where there
is one, or the `--baseline-rev` revision for the dashboard figures) and exits 1 when a target
is missed. `--write-readme` puts the figures and the machine
between `<!-- perf:begin -->` and `<!-- perf:end -->` in README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import platform
import statistics
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from _harness import ROOT, emulator_process, figure, scale_dir  # noqa: E402

README = ROOT / "README.md"
BEGIN, END = "<!-- perf:begin -->", "<!-- perf:end -->"
BENCHES = ("table", "startup", "sync", "idle", "dashboard_scale", "emulator")


def _load(name: str) -> ModuleType | None:
    path = HERE / f"{name}_bench.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalise(entry: dict[str, Any], bench: str) -> dict[str, Any]:
    """Accept both figure shapes: ours (`name`, `value`, `baseline`) and table_bench's
    (`figure`, `ours`, `datatable`)."""
    if "name" in entry:
        return {"bench": bench, "note": "", "baseline": None, **entry}
    baseline = entry.get("datatable")
    return {
        "bench": bench,
        "name": f"{bench}_{entry['figure']}",
        "value": entry.get("ours"),
        "unit": entry.get("unit", ""),
        "target": entry.get("target"),
        "baseline": baseline,
        "ok": bool(entry.get("ok")),
        "note": f"{entry['rows']} rows" if "rows" in entry else "",
    }


def emulator_pages(certs: int, samples: int = 50) -> list[dict[str, Any]]:
    """Median latency of a 100-item certificates page with `certs` in the database."""
    import httpx

    out = []
    with emulator_process(scale_dir(certs), seed=f"scale:{certs}") as creds:
        headers = {"x-api-key": creds["users"]["lead"]["api_key"]}
        path = "/signingmanager/api/v1/certificates"
        with httpx.Client(base_url=creds["url"], headers=headers, timeout=30) as client:
            total = client.get(path, params={"limit": 1}).json()["total"]
            for label, offset in (("first", 0), ("middle", total // 2)):
                client.get(path, params={"limit": 100, "offset": offset})  # warm
                times = []
                for _ in range(samples):
                    start = time.perf_counter()
                    client.get(path, params={"limit": 100, "offset": offset}).raise_for_status()
                    times.append(time.perf_counter() - start)
                out.append(figure(f"emulator_page_{label}", statistics.median(times), "s", 0.010,
                                  note=f"100 items at offset {offset} of {total}, "
                                       f"median of {samples}"))
    return out


def run_bench(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    module = _load(name)
    call: Callable[[], list[dict[str, Any]]]
    if name == "table":
        if module is None:
            return []
        call = lambda: module.run(args.rows, datatable=not args.skip_datatable)  # noqa: E731
    elif name == "emulator":
        if module is not None and hasattr(module, "run"):
            call = module.run
        else:
            call = lambda: emulator_pages(args.certs)  # noqa: E731
    elif module is None:
        return []
    elif name == "dashboard_scale":
        call = lambda: module.run(args.certs, args.baseline_rev)  # noqa: E731
    elif name in ("sync", "idle"):
        call = lambda: module.run(args.certs)  # noqa: E731
    else:
        call = module.run
    started = time.perf_counter()
    try:
        results = [normalise(r, name) for r in call()]
    except Exception as exc:  # one broken benchmark must not hide the others' figures
        traceback.print_exc()
        results = [{"bench": name, "name": f"{name}_failed", "value": None, "unit": "",
                    "target": None, "baseline": None, "ok": False, "note": str(exc)[:120]}]
    print(f"[{name}: {time.perf_counter() - started:.0f} s]", file=sys.stderr)
    return results


def show(value: Any, unit: str) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        return value[:24]
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if isinstance(value, float):
        return f"{value:.2f} {unit}".strip()
    return f"{value:g} {unit}".strip()


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal"))
        ram = f"{mem_kb / 1024 / 1024:.1f} GB RAM"
    except (OSError, StopIteration, ValueError):
        ram = "RAM unknown"
    # Other work on the machine changes every absolute figure: say how loaded it was.
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{cpu}, {os.cpu_count()} cores, {ram}, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}, {dt.date.today().isoformat()}; "
            f"load average {load} (1, 5, 15 min) at the end of the run")


def print_results(results: list[dict[str, Any]]) -> None:
    print(f"{'figure':<34}{'ours':>14}{'target':>12}{'before':>14}  ok")
    for r in results:
        target = "-" if r["target"] is None else show(r["target"], r["unit"])
        print(f"{r['name']:<34}{show(r['value'], r['unit']):>14}{target:>12}"
              f"{show(r['baseline'], r['unit']):>14}  {'yes' if r['ok'] else 'NO'}"
              f"  {r.get('note', '')}")


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        f"Measured by `python bench/run.py --write-readme` on: {machine()}.",
        "",
        "| figure | ours | target | before (DataTable or previous revision) | met | how |",
        "|---|---:|---:|---:|:-:|---|",
    ]
    for r in results:
        target = "-" if r["target"] is None else f"≤ {show(r['target'], r['unit'])}"
        met = "yes" if r["ok"] else "**no**"
        if r["target"] is None and r["ok"]:
            met = "(info)"
        note = str(r.get("note", "")).replace("|", "/")
        lines.append(f"| {r['name']} | {show(r['value'], r['unit'])} | {target} | "
                     f"{show(r['baseline'], r['unit'])} | {met} | {note} |")
    return "\n".join(lines)


def write_readme(results: list[dict[str, Any]]) -> None:
    text = README.read_text()
    head, sep, rest = text.partition(BEGIN)
    _, sep2, tail = rest.partition(END)
    if not sep or not sep2:
        raise SystemExit(f"README.md has no {BEGIN} ... {END} block")
    README.write_text(f"{head}{BEGIN}\n{markdown(results)}\n{END}{tail}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=BENCHES, default=list(BENCHES))
    parser.add_argument("--skip-datatable", action="store_true",
                        help="do not measure the stock DataTable (minutes at 100,000 rows)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--write-readme", action="store_true")
    parser.add_argument("--baseline-rev", default=None,
                        help="git revision measured next to this tree by dashboard_scale "
                             "(same run, same emulator)")
    args = parser.parse_args()
    results: list[dict[str, Any]] = []
    for name in args.only:
        results += run_bench(name, args)
    print_results(results)
    if args.write_readme:
        write_readme(results)
        print(f"wrote {README}", file=sys.stderr)
    missed = [r["name"] for r in results if not r["ok"]]
    if missed:
        print(f"missed: {', '.join(missed)}", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
