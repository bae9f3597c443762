"""Benchmark: syncing 100,000 certificates from the emulator over loopback (issue 5).

    python bench/sync_bench.py [--certs N]

`stm-tui emulator` runs in its own process on a copy of the cached `scale:N` data dir. This
process plays the dashboard's session: the certificates fetcher makes a complete listing
(`STMClient` pages 100 items with at most 8 requests in flight) into the store, then, after
one certificate is revoked, a change-only refresh (`modified_since` plus the collection's
size). For comparison it also times the ETag re-validation of every page.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emulator_process, figure, scale_dir


async def _measure(creds: dict[str, Any]) -> dict[str, float]:
    from pydantic import SecretStr

    from stm_tui.api.client import STMClient
    from stm_tui.api.writes.certificates import RevokeCertificate, revoke_certificate
    from stm_tui.session import Session
    from stm_tui.store.sync import ChangeOnlyFetcher

    key = SecretStr(creds["users"]["lead"]["api_key"])
    client = STMClient(creds["url"], key, read_only=True)
    writer = STMClient(creds["url"], key)
    session = Session(client, resources=("certificates",))
    store = session.store
    fetch = ChangeOnlyFetcher(client, store, "certificates", full_every=3600.0)
    out: dict[str, float] = {}
    try:
        start, cpu = time.perf_counter(), time.process_time()
        result = await fetch()
        store.replace_all("certificates", result.items)
        out["full_sync"] = time.perf_counter() - start
        out["full_sync_cpu"] = time.process_time() - cpu
        out["items"] = len(store.collection("certificates"))

        victim = next(iter(store.collection("certificates").items))
        await writer.execute(
            revoke_certificate(victim, victim, RevokeCertificate(reason="superseded"))
        )
        start = time.perf_counter()
        result = await fetch()
        store.upsert("certificates", result.items)
        out["change_only"] = time.perf_counter() - start
        revoked = store.collection("certificates").items[victim].certificate_status
        if revoked != "REVOKED" or result.complete:
            raise RuntimeError("the change-only refresh missed the revocation")

        listing = await client.list_changed("certificates")
        start = time.perf_counter()
        await client.list_changed("certificates", etag=listing.etag)
        out["etag_revalidate"] = time.perf_counter() - start
    finally:
        await client.aclose()
        await writer.aclose()
    return out


def run(certs: int = 100_000) -> list[dict[str, Any]]:
    with emulator_process(scale_dir(certs), seed=f"scale:{certs}", copy=True) as creds:
        got = asyncio.run(_measure(creds))
    items = int(got["items"])
    return [
        figure("sync_full", got["full_sync"], "s", 20.0,
               note=f"{items} certificates, 100/page, 8 in flight; "
                    f"client CPU {got['full_sync_cpu']:.1f} s"),
        figure("sync_change_only", got["change_only"], "s", 1.0,
               note="modified_since + count after one revocation"),
        figure("sync_etag_revalidate", got["etag_revalidate"], "s", None,
               note="If-None-Match on every page (the server still renders each)"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--certs", type=int, default=100_000)
    args = parser.parse_args()
    results = run(args.certs)
    for r in results:
        target = "-" if r["target"] is None else f"{r['target']} s"
        print(f"{r['name']:<22} {r['value']:>8.2f} s   target {target:<7}"
              f" {'ok' if r['ok'] else 'MISSED'}  {r['note']}")
    return 0 if all(r["ok"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
