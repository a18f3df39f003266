"""A private CA and a node certificate for Icinga 2's API, made with openssl."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.servers.polling import HarnessError

NODE_NAME = "vigie-test"


@dataclass(frozen=True)
class Certificates:
    """The files Icinga's ApiListener reads (``certs/<node>.crt|.key``, ``certs/ca.crt``)."""

    ca_file: Path
    cert_file: Path
    key_file: Path


def make_certificates(
    folder: Path, node_name: str = NODE_NAME, ca_from: Path | None = None
) -> Certificates:
    """A private CA and a certificate for ``node_name`` valid for 127.0.0.1 and localhost;
    ``ca_from``: the folder of an earlier call, whose CA signs this one too (the endpoints
    of one Icinga zone trust each other through their common CA)."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, ca_file = (ca_from or folder) / "ca.key", (ca_from or folder) / "ca.crt"
    key_file, csr, cert_file = (
        folder / f"{node_name}.key",
        folder / f"{node_name}.csr",
        folder / f"{node_name}.crt",
    )
    ext = folder / f"{node_name}.ext"
    ext.write_text(
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth,clientAuth\n"
        f"subjectAltName=DNS:{node_name},DNS:localhost,IP:127.0.0.1\n",
        encoding="ascii",
    )
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    if ca_from is None:
        _openssl(
            "req", "-x509", *ec, "-days", "30", "-subj", "/CN=Vigie test CA",
            "-keyout", ca_key, "-out", ca_file,
        )  # fmt: skip
    _openssl("req", "-new", *ec, "-subj", f"/CN={node_name}", "-keyout", key_file, "-out", csr)
    _openssl(
        "x509", "-req", "-in", csr, "-CA", ca_file, "-CAkey", ca_key,
        "-set_serial", str(int.from_bytes(os.urandom(8), "big")),
        "-days", "30", "-extfile", ext, "-out", cert_file,
    )  # fmt: skip
    for private in (ca_key, key_file):
        private.chmod(0o600)
    return Certificates(ca_file, cert_file, key_file)


def _openssl(*args: str | Path) -> None:
    command = ["openssl", *map(str, args)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise HarnessError(f"openssl {args[0]} failed: {last}")
