"""A test CA and the certificates the tests need, made with the openssl command line."""

from __future__ import annotations

import datetime
import os
import ssl
import subprocess
from pathlib import Path

CA_CONFIG = """\
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = {dir}
database = {dir}/index.txt
new_certs_dir = {dir}
serial = {dir}/serial
default_md = sha256
policy = any
unique_subject = no
email_in_dn = no
[ any ]
commonName = supplied
[ leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = $ENV::SAN
"""


class Pki:
    """A test CA and the certificates the tests need, made with the openssl CLI."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "index.txt").write_text("")
        (root / "serial").write_text("01\n")
        (root / "ca.cnf").write_text(CA_CONFIG.format(dir=root))
        self.ca = root / "ca.pem"
        self._openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(root / "ca.key"), "-out", str(self.ca), "-subj", "/CN=Vigie Test CA",
            "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        )  # fmt: skip

    def _openssl(self, *args: str, env: dict[str, str] | None = None) -> None:
        subprocess.run(
            ["openssl", *args],
            check=True,
            capture_output=True,
            timeout=30,
            env={**os.environ, **(env or {})},
        )

    def issue(
        self, name: str, san: str, not_before: datetime.datetime, not_after: datetime.datetime
    ) -> tuple[Path, Path]:
        """A certificate signed by the test CA: (cert.pem, key.pem)."""
        key, csr, cert = (self.root / f"{name}.{ext}" for ext in ("key", "csr", "pem"))
        self._openssl(
            "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(key), "-out", str(csr), "-subj", f"/CN={name}",
        )  # fmt: skip
        self._openssl(
            "ca", "-batch", "-notext", "-config", str(self.root / "ca.cnf"),
            "-cert", str(self.ca), "-keyfile", str(self.root / "ca.key"),
            "-in", str(csr), "-out", str(cert), "-extensions", "leaf",
            "-startdate", not_before.strftime("%Y%m%d%H%M%SZ"),
            "-enddate", not_after.strftime("%Y%m%d%H%M%SZ"),
            env={"SAN": san},
        )  # fmt: skip
        return cert, key

    def self_signed(self, name: str, san: str) -> tuple[Path, Path]:
        """A self-signed certificate that no CA vouches for."""
        key, cert = self.root / f"{name}.key", self.root / f"{name}.pem"
        self._openssl(
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}", "-days", "90",
            "-addext", f"subjectAltName={san}",
        )  # fmt: skip
        return cert, key


class Certificates:
    """The certificate set: valid, expiring in 4 days, expired 10 days ago, wrong host, ..."""

    def __init__(self, pki: Pki) -> None:
        now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
        day = datetime.timedelta(days=1)
        local = "DNS:localhost,IP:127.0.0.1"
        self.ca = pki.ca
        self.valid = pki.issue("localhost", local + ",DNS:*.vigie.test", now - day, now + 90 * day)
        self.expiring_at = now + 4 * day
        self.expiring = pki.issue("expiring", local, now - 30 * day, self.expiring_at)
        self.expired_at = now - 10 * day
        self.expired = pki.issue("expired", local, now - 100 * day, self.expired_at)
        self.wrong_host = pki.issue("wrong", "DNS:wrong.example", now - day, now + 90 * day)
        self.self_signed = pki.self_signed("selfsigned", local)
        self.client = pki.issue("vigie-client", "DNS:vigie-client", now - day, now + 90 * day)
        # bücher.example and 例え.jp in their IDNA form, as certificates name them.
        idn = "DNS:xn--bcher-kva.example,DNS:xn--r8jz45g.jp"
        self.idn = pki.issue("idn", idn, now - day, now + 90 * day)


def server_context(cert: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS context presenting ``cert``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    return context
