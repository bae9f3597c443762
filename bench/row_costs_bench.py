"""Benchmark: what one list row costs, the figures the list code's design rests on.

    python bench/row_costs_bench.py [--rows N]

- `cert_row_us`: building one certificate row with the dashboard's own row function, the
  first time (the certificate decodes its summary), per row over N distinct certificates;
  `cert_row_again_us` once the summary is decoded (a rebuild after a change elsewhere);
- `text_cell_us` / `str_cell_us` and `text_cell_bytes`: a `rich.text.Text` cell against the
  plain `str` cell the rows use for unstyled server text;
- `namedtuple_row_us` / `dataclass_row_us`: creating the row container itself.

Prints one line per figure; the README's Performance notes quote them.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def _certificate_der(serial: int) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Signer {serial}")])
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(serial).not_valid_before(now).not_valid_after(now + dt.timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def _per_item_us(work: Callable[[], Any], count: int, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        runs.append((time.perf_counter() - start) / count * 1e6)
    return statistics.median(runs)


@dataclass(frozen=True, slots=True)
class _FrozenRow:
    key: str
    cells: tuple[Any, ...]
    sort_keys: tuple[Any, ...] | None = None
    style: str | None = None


def run(rows: int) -> dict[str, float]:
    from rich.text import Text

    from stm_tui.api.models import Certificate
    from stm_tui.store.store import Store
    from stm_tui.views.resources import VIEWS
    from stm_tui.views.rows.base import Context
    from stm_tui.views.table_model import Row

    ders = [_certificate_der(i + 1) for i in range(50)]

    def certificates() -> list[Certificate]:
        # Fresh models each time: a certificate decodes its summary once, on its first row.
        return [
            Certificate.model_validate({
                "id": f"c{i:06d}", "alias": f"cert-{i:06d}", "certificate_status": "ACTIVE",
                "cert": ders[i % len(ders)],
                "keypair": {"id": f"k{i % 500}", "alias": f"kp-{i % 500}"},
            })
            for i in range(rows)
        ]

    row = VIEWS["certificates"].row
    assert row is not None
    ctx = Context(store=Store(), now=dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    def build(certs: list[Certificate]) -> Callable[[], Any]:
        return lambda: [row(c, ctx) for c in certs]

    first_rows = [_per_item_us(build(certificates()), rows, repeat=1) for _ in range(3)]
    decoded = certificates()
    build(decoded)()
    out = {
        "cert_row_us": statistics.median(first_rows),
        "cert_row_again_us": _per_item_us(build(decoded), rows),
    }

    names = [f"server text {i}" for i in range(rows)]
    out["text_cell_us"] = _per_item_us(lambda: [Text(n) for n in names], rows)
    out["str_cell_us"] = _per_item_us(lambda: [str(n) for n in names], rows)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    kept = [Text(n) for n in names]
    out["text_cell_bytes"] = (tracemalloc.get_traced_memory()[0] - before) / rows
    tracemalloc.stop()
    del kept

    cells = ("a", "b", "c", "d", "e", "f", "g", "h")
    out["namedtuple_row_us"] = _per_item_us(lambda: [Row(n, cells) for n in names], rows)
    out["dataclass_row_us"] = _per_item_us(lambda: [_FrozenRow(n, cells) for n in names], rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    args = parser.parse_args()
    for name, value in run(args.rows).items():
        unit = "B" if name.endswith("bytes") else "us"
        print(f"{name:20} {value:8.2f} {unit}")


if __name__ == "__main__":
    main()
