"""The store's test suite runs on both stores: ``backend`` is SQLite, then PostgreSQL (a
database of the session's throwaway cluster), behind the same unit of work.

A test asks for ``backend`` and uses ``backend.uow()``, ``backend.raw()`` (a connection
that bypasses the repository, to prove what the database itself refuses) and
``backend.store`` (the ``store:`` section of a vigie.yaml).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bridge.store.unit_of_work import UnitOfWork
from tests.servers.postgres import Cluster


@dataclass
class Backend:
    """One store under test."""

    name: str
    folder: Path  # where its local files are (SQLite database, spool, journal)
    url: str | None = None

    @property
    def store(self) -> dict[str, str]:
        """The ``store:`` section of a vigie.yaml naming this store."""
        if self.url is None:
            return {"path": str(self.folder / "vigie.db")}
        return {"url": self.url, "spool": str(self.folder / "vigie.spool")}

    @property
    def local(self) -> Path:
        """The stem of the store's local files: ``<local>.spool``, ``<local>.journal``."""
        return self.folder / ("vigie.db" if self.url is None else "vigie")

    def uow(self, write: bool = True) -> UnitOfWork:
        """A unit of work on this store."""
        if self.url is None:
            return UnitOfWork(self.local, write=write)
        from bridge.store.postgres import PostgresUnitOfWork

        return PostgresUnitOfWork(self.url, None, self.local, write=write)

    @contextmanager
    def raw(self) -> Iterator[Any]:
        """A connection of its own, autocommit, ``?`` placeholders, for the statements the
        repository never makes (the database's refusals raise sqlite3.IntegrityError)."""
        if self.url is None:
            db = sqlite3.connect(self.local, isolation_level=None)
            try:
                yield db
            finally:
                db.close()
            return
        from bridge.store.postgres import connect

        pg = connect(self.url, None)
        try:
            yield pg
        finally:
            pg.close()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """Each store in turn: SQLite in the test's folder, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return Backend("sqlite", tmp_path)
    cluster: Cluster = request.getfixturevalue("pg_cluster")
    return Backend("postgres", tmp_path, cluster.fresh_database())
