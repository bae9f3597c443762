"""Benchmark: the emulator serving every page of certificates and keypairs at scale.

    python bench/emulator_listing_bench.py [--certs N] [--baseline-rev REV] [--no-warm]

`stm-tui emulator` in its own process (activity off) on a throw-away copy of the cached
`scale:N` data dir. On a freshly started emulator, every page of `/certificates?limit=100`
then of `/keypairs?limit=100` is fetched one request at a time (cold), then both again
(warm, unless `--no-warm`); a second fresh emulator serves the same listings with 8 requests
in flight, as the dashboard sends them. The client is the stdlib's `http.client` on
keep-alive connections, so the figures are the emulator's. Reports seconds per listing and
the emulator's RSS after them. The bodies of each listing are hashed: every run of one
revision must serve the same bytes, and (when no certificate expired in between) so must
`--baseline-rev`, that git revision's `stm_tui` (extracted with `git archive`, run with
`PYTHONPATH`) measured in the same run. `--pages N` takes the first N pages only.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import ROOT, figure, print_figures, scale_dir
from dashboard_scale_bench import baseline_tree, compiled

STM = "/signingmanager/api/v1"
PAGE = 100
IN_FLIGHT = 8
LISTINGS = ("certificates", "keypairs")
TARGETS = {"certificates": 4.0, "keypairs": 6.0}
RSS_TARGET_MB = 600.0
MAX_PAGES: int | None = None  # --pages: a quick look at the first pages only


@contextmanager
def emulator(data: Path, seed: str, tree: Path | None) -> Iterator[tuple[dict[str, Any], int]]:
    """`python -m stm_tui emulator` on a copy of `data` (this tree's code, or `tree`'s);
    yields (credentials, pid)."""
    with tempfile.TemporaryDirectory(prefix="stm-listing-bench-") as tmp:
        work = Path(tmp) / "data"
        shutil.copytree(data, work)
        creds_file = Path(tmp) / "creds.json"
        env = dict(os.environ)
        argv = [sys.executable]
        if tree is not None:
            env["PYTHONPATH"] = str(tree)
            argv.append("-P")  # the working directory (this tree) must not shadow PYTHONPATH
        argv += ["-m", "stm_tui", "emulator", "--data", str(work), "--seed", seed,
                 "--credentials-file", str(creds_file), "--no-activity", "--port", "0"]
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                cwd=ROOT, env=env)
        try:
            deadline = time.monotonic() + 300
            while not creds_file.exists() or not creds_file.stat().st_size:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise RuntimeError(f"the emulator did not start: {err[-400:]}")
                time.sleep(0.05)
            time.sleep(0.05)
            yield json.loads(creds_file.read_text()), proc.pid
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def headers(creds: dict[str, Any]) -> dict[str, str]:
    return {"x-api-key": str(creds["users"]["lead"]["api_key"])}


class Connection:
    """One keep-alive connection (the stdlib client: httpx would spend more time reading
    a 1.2 MB page than the emulator takes to serve it, and this measures the emulator)."""

    def __init__(self, creds: dict[str, Any]) -> None:
        url = urlsplit(creds["url"])
        self.http = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=120)
        self.headers = headers(creds)

    def page(self, resource: str, limit: int, offset: int) -> bytes:
        self.http.request("GET", f"{STM}/{resource}?limit={limit}&offset={offset}",
                          headers=self.headers)
        response = self.http.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{resource} offset {offset}: HTTP {response.status}")
        return body

    def close(self) -> None:
        self.http.close()


def offsets(creds: dict[str, Any], resource: str) -> list[int]:
    conn = Connection(creds)
    try:
        total = int(json.loads(conn.page(resource, 1, 0))["total"])
    finally:
        conn.close()
    return list(range(0, total, PAGE))[:MAX_PAGES]


def serial(creds: dict[str, Any], resource: str) -> tuple[float, str]:
    """(seconds, sha256 of the bodies in page order) of one request at a time."""
    pages = offsets(creds, resource)
    digest = hashlib.sha256()
    conn = Connection(creds)
    try:
        started = time.perf_counter()
        for offset in pages:
            digest.update(conn.page(resource, PAGE, offset))
        return time.perf_counter() - started, digest.hexdigest()
    finally:
        conn.close()


def in_flight(creds: dict[str, Any], resource: str) -> tuple[float, str]:
    """(seconds, sha256 of the bodies in page order) with `IN_FLIGHT` requests at a time,
    each on its own connection, as the dashboard's client pool sends them."""
    pages = offsets(creds, resource)
    todo = list(reversed(pages))
    bodies: dict[int, bytes] = {}
    lock = threading.Lock()

    def worker() -> None:
        conn = Connection(creds)
        try:
            while True:
                with lock:
                    if not todo:
                        return
                    offset = todo.pop()
                bodies[offset] = conn.page(resource, PAGE, offset)
        finally:
            conn.close()

    threads = [threading.Thread(target=worker) for _ in range(IN_FLIGHT)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    if len(bodies) != len(pages):
        raise RuntimeError(f"{resource}: {len(pages) - len(bodies)} pages failed")
    digest = hashlib.sha256()
    for offset in pages:
        digest.update(bodies[offset])
    return seconds, digest.hexdigest()


def measure(data: Path, seed: str, tree: Path | None, warm: bool) -> dict[str, Any]:
    """Seconds, body hashes and RSS of one revision (None: this tree)."""
    out: dict[str, Any] = {}
    with emulator(data, seed, tree) as (creds, pid):
        for resource in LISTINGS:
            out[f"{resource}_serial"], out[f"{resource}_hash"] = serial(creds, resource)
        out["serial_rss"] = rss_mb(pid)
        if warm:
            for resource in LISTINGS:
                seconds, digest = serial(creds, resource)
                out[f"{resource}_warm"] = seconds
                out[f"{resource}_warm_same"] = digest == out[f"{resource}_hash"]
            out["warm_rss"] = rss_mb(pid)
    with emulator(data, seed, tree) as (creds, pid):
        for resource in LISTINGS:
            seconds, digest = in_flight(creds, resource)
            out[f"{resource}_parallel"] = seconds
            out[f"{resource}_parallel_same"] = digest == out[f"{resource}_hash"]
        out["parallel_rss"] = rss_mb(pid)
    return out


def run(certs: int, baseline_rev: str | None, warm: bool) -> list[dict[str, Any]]:
    data = scale_dir(certs)
    seed = f"scale:{certs}"
    before: dict[str, Any] | None = None
    if baseline_rev:
        with tempfile.TemporaryDirectory(prefix="stm-listing-base-") as tmp:
            before = measure(data, seed, baseline_tree(baseline_rev, Path(tmp)), warm)
    compiled(ROOT)  # as the revision's tree is
    after = measure(data, seed, None, warm)

    def base(key: str) -> float | None:
        return None if before is None else float(before[key])

    figures = []
    for resource in LISTINGS:
        figures.append(figure(f"{resource}_serial_cold", after[f"{resource}_serial"], "s",
                              TARGETS[resource], baseline=base(f"{resource}_serial"),
                              note="every page, one request at a time, fresh emulator"))
        if warm:
            figures.append(figure(f"{resource}_serial_warm", after[f"{resource}_warm"], "s",
                                  None, baseline=base(f"{resource}_warm"),
                                  note="the same again on that emulator"
                                  + ("" if after[f"{resource}_warm_same"] else "; BODIES DIFFER")))
        parallel_same = after[f"{resource}_parallel_same"]
        figures.append(figure(f"{resource}_{IN_FLIGHT}_in_flight", after[f"{resource}_parallel"],
                              "s", after[f"{resource}_serial"],
                              baseline=base(f"{resource}_parallel"),
                              note="fresh emulator; target: no slower than serial"
                              + ("" if parallel_same else "; BODIES DIFFER")))
        if before is not None:
            same = before[f"{resource}_hash"] == after[f"{resource}_hash"]
            figures.append(figure(f"{resource}_same_as_baseline", float(same), "", None,
                                  note="1: byte-identical listing (0 also when a certificate"
                                  " expired between the runs)"))
    for key, label in (("serial_rss", "after both serial listings (cold"
                        + (" and warm)" if warm else ")")),
                       ("parallel_rss", f"after both listings with {IN_FLIGHT} in flight")):
        figures.append(figure(key, after[key], "MB", RSS_TARGET_MB, baseline=base(key),
                              note=f"emulator RSS {label}"))
    if warm:
        figures.append(figure("warm_rss", after["warm_rss"], "MB", RSS_TARGET_MB,
                              baseline=base("warm_rss"), note="emulator RSS after the warm pass"))
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=int, default=100_000)
    parser.add_argument("--baseline-rev", default=None,
                        help="also measure this git revision of stm_tui, in the same run")
    parser.add_argument("--no-warm", action="store_true", help="skip the warm serial pass")
    parser.add_argument("--pages", type=int, default=None,
                        help="only the first N pages of each listing (targets then do not apply)")
    args = parser.parse_args()
    global MAX_PAGES
    MAX_PAGES = args.pages
    results = run(args.certs, args.baseline_rev, warm=not args.no_warm)
    return print_figures(results)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
