"""Emulator benchmarks: seed times and list-page latency at scale.

    .venv/bin/python bench/emulator_bench.py            # 100,000 certificates
    .venv/bin/python bench/emulator_bench.py --certs 20000

Prints a Markdown table (figures go in docs/emulator.md). Loopback only.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from stm_tui.emulator import server as server_module
from stm_tui.emulator.server import EmulatorServer

STM = "/signingmanager/api/v1"


def timed_start(data_dir: Path, seed: str) -> tuple[float, EmulatorServer]:
    server_module._TEMPLATES.clear()  # measure real seeding, not the in-process copy
    emu = EmulatorServer(data_dir=data_dir, seed=seed)
    started = time.perf_counter()
    emu.start()
    return time.perf_counter() - started, emu


def median_ms(client: httpx.Client, path: str, params: dict[str, str | int], n: int) -> float:
    client.get(path, params=params)  # warm caches (and the COUNT cache)
    samples = []
    for _ in range(n):
        t = time.perf_counter()
        r = client.get(path, params=params)
        samples.append(time.perf_counter() - t)
        assert r.status_code == 200, r.text
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        demo_times = []
        for i in range(3):
            seconds, emu = timed_start(base / f"demo{i}", "demo")
            emu.stop()
            demo_times.append(seconds)
        rows.append(
            ("demo seed, fresh data dir (3 runs)", " / ".join(f"{t:.2f} s" for t in demo_times))
        )
        seconds, emu = timed_start(base / "demo0", "demo")
        emu.stop()
        rows.append(("start with an existing data dir", f"{seconds:.2f} s"))

        seconds, emu = timed_start(base / "scale", f"scale:{args.certs}")
        rows.append((f"scale:{args.certs} seed + start", f"{seconds:.1f} s"))
        try:
            key = emu.credentials["users"]["lead"]["api_key"]
            with httpx.Client(base_url=emu.url, headers={"x-api-key": key}) as c:
                total = c.get(f"{STM}/certificates", params={"limit": 1}).json()["total"]
                checks = [
                    ("certificates, limit=100, first page", f"{STM}/certificates", {"limit": 100}),
                    (
                        "certificates, limit=100, offset=total/2",
                        f"{STM}/certificates",
                        {"limit": 100, "offset": total // 2},
                    ),
                    (
                        "certificates, ACTIVE, limit=100",
                        f"{STM}/certificates",
                        {"limit": 100, "certificate_status": "ACTIVE"},
                    ),
                    (
                        "certificates by alias",
                        f"{STM}/certificates",
                        {"alias": "bulk-ecdsa-000101-cert-1"},
                    ),
                    ("keypairs, limit=100", f"{STM}/keypairs", {"limit": 100}),
                    ("signatures, limit=100", f"{STM}/signatures", {"limit": 100}),
                    (
                        "certificates, modified_since (empty)",
                        f"{STM}/certificates",
                        {"limit": 100, "modified_since": "2099-01-01T00:00:00Z"},
                    ),
                ]
                for label, path, params in checks:
                    rows.append(
                        (
                            f"{label} (median of {args.samples})",
                            f"{median_ms(c, path, params, args.samples):.1f} ms",
                        )
                    )
                first = c.get(f"{STM}/certificates", params={"limit": 100})
                t = time.perf_counter()
                for _ in range(args.samples):
                    r = c.get(
                        f"{STM}/certificates",
                        params={"limit": 100},
                        headers={"If-None-Match": first.headers["etag"]},
                    )
                    assert r.status_code == 304
                rows.append(
                    (
                        "certificates page answered 304 (median-ish mean)",
                        f"{(time.perf_counter() - t) / args.samples * 1000:.1f} ms",
                    )
                )
        finally:
            emu.stop()
    print("| measurement | result |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value} |")


if __name__ == "__main__":
    main()
