"""A throwaway PostgreSQL cluster from Debian's ``postgresql`` package, for the tests.

``initdb`` into a temporary folder, the server on a high port whose socket lives in that
folder only (no TCP: parallel runs never collide), ``fsync=off`` because the data is thrown
away (tests only: a deployment keeps the defaults). Run as the ``postgres`` account when
the tests run as root (the server refuses root). One cluster per test session; each test
gets a fresh database copied from a template already at the current schema.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
PORT = 54329  # names the socket file in the cluster's own folder
TEMPLATE = "vigie_template"


@dataclass
class Cluster:
    """A running cluster: its folder (also its socket's) and how to reach a database."""

    base: Path
    port: int
    owner: dict[str, Any]
    durable: bool = False  # fsync and synchronous commits as a deployment has them

    def url(self, database: str) -> str:
        """A ``postgresql://`` url of ``database``, over the cluster's unix socket."""
        return f"postgresql://postgres@/{database}?host={self.base}&port={self.port}"

    def ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run ``pg_ctl`` on the cluster, as its owner."""
        return subprocess.run(
            [str(BIN / "pg_ctl"), "-D", str(self.base / "data"), *args],
            check=check,
            capture_output=True,
            text=True,
            cwd=self.base,
            timeout=60,
            **self.owner,
        )

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.base} -c listen_addresses='' -c max_connections=200"
        if not self.durable:  # thrown away after the tests: durability buys nothing
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self.ctl("-l", str(self.base / "server.log"), "-w", "-t", "30", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (``immediate``: as a crash would)."""
        self.ctl("-m", mode, "-w", "-t", "30", "stop", check=False)

    def admin(self, statement: str) -> None:
        """Run one statement outside a transaction, as the superuser."""
        import psycopg

        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(statement.encode())

    def fresh_database(self) -> str:
        """The url of a new database at the current schema (a copy of the template)."""
        name = "t_" + uuid.uuid4().hex[:12]
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE {TEMPLATE} STRATEGY FILE_COPY')
        return self.url(name)

    def empty_database(self) -> str:
        """The url of a new empty database (no schema yet)."""
        name = "e_" + uuid.uuid4().hex[:12]
        self.admin(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return self.url(name)


def _owner() -> dict[str, Any]:
    if os.geteuid() != 0:
        return {}
    account = pwd.getpwnam(os.environ.get("PG_TEST_USER", "postgres"))
    return {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A PostgreSQL cluster for the whole session, stopped and removed after."""
    if not (BIN / "initdb").exists():
        pytest.fail("PostgreSQL is not installed: run tools/install-deps (package postgresql)")
    pytest.importorskip("psycopg", reason="the postgres extra: pip install -e '.[postgres]'")
    with throwaway_cluster() as cluster:
        yield cluster


@contextmanager
def throwaway_cluster(durable: bool = False) -> Iterator[Cluster]:
    """initdb into a new temporary folder, start, yield; stop and remove it after."""
    # Not under pytest's folder: root's 0700 parents would shut the postgres account out.
    base = Path(tempfile.mkdtemp(prefix="vigie-pg-"))
    owner = _owner()
    if owner:
        os.chown(base, owner["user"], owner["group"])
    base.chmod(0o755)
    cluster = Cluster(base, PORT, owner, durable)
    try:
        subprocess.run(
            [
                str(BIN / "initdb"),
                "-D",
                str(base / "data"),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "--no-instructions",
            ],
            check=True,
            capture_output=True,
            cwd=base,
            timeout=120,
            **owner,
        )
        cluster.start()
        from bridge.store.postgres import connect

        cluster.admin(f"CREATE DATABASE {TEMPLATE} TEMPLATE template0")
        connect(cluster.url(TEMPLATE), None).close()  # brings it to the current schema
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(base, ignore_errors=True)
