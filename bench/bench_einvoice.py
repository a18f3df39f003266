"""Benchmark: issuing a quarter's e-invoices for many customers, validation included.

Writes a vigie.yaml of 200 customers of 5 servers (three in four Belgian at 21 % VAT, the
others French under reverse charge), then times the real command, ``vigie issue invoice
--all --quarter 2026-Q4 --output DIR``: each invoice computed, written as UBL, validated by
the three layers (UBL schema, CEN rules with Saxon, Peppol rules), numbered and stored in
one transaction. Also times one document's validation, warm. Budget: the command under
12 s (the Saxon start-up included); exit 1 if over. Run with
``.venv/bin/python bench/bench_einvoice.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

BUDGET_SECONDS = 12.0
CUSTOMERS = 200
ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(Path(sys.executable).with_name("vigie"))


def enterprise_number(n: int) -> str:
    """A valid Belgian enterprise number (mod-97) from a running number."""
    head = f"0{n + 1000000:07d}"
    return f"{head}{97 - int(head) % 97:02d}"


def french_vat(siren: int) -> str:
    return f"FR{(12 + 3 * (siren % 97)) % 97:02d}{siren:09d}"


def config(folder: Path) -> Path:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text())
    data["store"] = {"path": str(folder / "vigie.db")}
    customers: dict[str, Any] = {}
    for c in range(CUSTOMERS):
        servers = {
            f"srv{c:03d}-{s}": {"level": "ABC"[(c + s) % 3], "since": "2026-01-01"}
            for s in range(5)
        }
        if c % 4 == 3:
            billing = {
                "legal_name": f"Client {c} SARL",
                "vat": french_vat(303265000 + c),
                "address": {
                    "street": "1 rue",
                    "city": "Lille",
                    "postcode": "59000",
                    "country": "FR",
                },
            }
        else:
            billing = {
                "legal_name": f"Customer {c} SA",
                "vat": "BE" + enterprise_number(c),
                "address": {
                    "street": "Rue 1",
                    "city": "Namur",
                    "postcode": "5000",
                    "country": "BE",
                },
            }
        customers[f"cust{c:03d}"] = {
            "name": f"Customer {c}",
            "multi_server_discount": "0.10" if c % 2 == 0 else 0,
            "billing": billing,
            "servers": servers,
        }
    data["customers"] = customers
    path = folder / "vigie.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        path = config(folder)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
        env["XDG_CACHE_HOME"] = str(folder / "cache")
        args = [
            VIGIE,
            "--config",
            str(path),
            "issue",
            "invoice",
            "--all",
            "--quarter",
            "2026-Q4",
            "--output",
            str(folder / "out"),
        ]
        started = time.perf_counter()
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        if result.returncode != 0:
            print(f"bench_einvoice: vigie failed: {result.stderr.strip()}", file=sys.stderr)
            return 2
        written = sorted((folder / "out").iterdir())
        if len(written) != CUSTOMERS:
            print(f"bench_einvoice: {len(written)} documents, expected {CUSTOMERS}")
            return 2
        from bridge.adapters.einvoice_validation import Validator

        compiled = time.perf_counter()
        validator = Validator()
        compile_s = time.perf_counter() - compiled
        data = written[0].read_bytes()
        validator.validate(data)
        warm = time.perf_counter()
        for document in written[:50]:
            assert validator.validate(document.read_bytes()).valid
        per_document_ms = (time.perf_counter() - warm) / 50 * 1000
    print(
        f"vigie issue invoice --all: {CUSTOMERS} customers, {CUSTOMERS} invoices of 15 lines "
        f"issued and validated in {elapsed:.2f} s ({elapsed / CUSTOMERS * 1000:.0f} ms each "
        f"with the start-up), budget {BUDGET_SECONDS:.0f} s"
    )
    print(
        f"validator: compiling the CEN rules {compile_s:.2f} s, then "
        f"{per_document_ms:.1f} ms a document (all three layers)"
    )
    return 0 if elapsed <= BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
