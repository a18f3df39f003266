"""One transaction on the store: ``with uow: ... uow.commit()``, or nothing is written.

A writing unit of work holds SQLite's write lock from the start (``BEGIN IMMEDIATE``), so a
burst of ``vigie notify`` processes queue on the lock instead of failing; WAL mode lets
readers run beside the one writer. Leaving the block without ``commit()`` rolls back. A
reading one never creates the store: a store not made yet reads as an empty one.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from pathlib import Path
from types import TracebackType

from bridge.store.errors import StoreUnavailable, unavailable
from bridge.store.files import FILE_MODE
from bridge.store.repository import Repository
from bridge.store.schema import BUSY_TIMEOUT_SECONDS, SCHEMA_VERSION, migrate

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs notify start-up time
if TYPE_CHECKING:
    from collections.abc import Iterator

    from bridge.config.model import Config
    from bridge.store.accounts import Accounts
    from bridge.store.helpdesk import HelpdeskOutbox
    from bridge.store.issued import IssuedDocuments
    from bridge.store.portal import Portal


class UnitOfWork:
    """The store in one SQLite file; ``tickets``, ``issued`` and ``accounts`` are its
    repositories while the block runs."""

    tickets: Repository

    def __init__(self, path: Path, *, write: bool = True) -> None:
        self.path = path
        self.write = write
        self._db: sqlite3.Connection | None = None

    def __enter__(self) -> UnitOfWork:
        self._db = _connect(self.path, self.write)
        if self.write:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                self._db.close()
                raise unavailable(error, self.path) or error from None
        self.tickets = Repository(self._db)
        return self

    # Loaded on first use: `vigie notify` needs neither, nor the domain modules behind them.
    @property
    def issued(self) -> IssuedDocuments:
        """The issued e-invoices, in this block's transaction."""
        from bridge.store.issued import IssuedDocuments

        assert self._db is not None, "issued outside the with block"
        return IssuedDocuments(self._db)

    @property
    def accounts(self) -> Accounts:
        """The web accounts, tokens and sessions, in this block's transaction."""
        from bridge.store.accounts import Accounts

        assert self._db is not None, "accounts outside the with block"
        return Accounts(self._db)

    @property
    def portal(self) -> Portal:
        """The customer portal's attachments and approval requests, in this transaction."""
        from bridge.store.portal import Portal

        assert self._db is not None, "portal outside the with block"
        return Portal(self._db)

    @property
    def helpdesk(self) -> HelpdeskOutbox:
        """The external helpdesk's outbox and sync marks, in this block's transaction."""
        from bridge.store.helpdesk import HelpdeskOutbox

        assert self._db is not None, "helpdesk outside the with block"
        return HelpdeskOutbox(self._db)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        db, self._db = self._db, None
        if db is None:
            return
        try:
            if db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
        finally:
            db.close()
        if self.write and isinstance(error, sqlite3.Error):
            classified = unavailable(error, self.path)
            if classified is not None:
                raise classified from None

    def commit(self) -> None:
        """Make the block's writes durable (``synchronous = FULL``)."""
        assert self._db is not None, "commit() outside the with block"
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as error:
            # SQLite may have rolled back by itself (a full disk does): a ROLLBACK then
            # fails with "no transaction is active", which must not hide why.
            if self._db.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._db.execute("ROLLBACK")
            raise unavailable(error, self.path) or error from None


def _connect(path: Path, write: bool) -> sqlite3.Connection:
    try:
        if write:
            path.parent.mkdir(parents=True, exist_ok=True)
            # Made by us, owner and group only: SQLite gives its -wal and -shm files the
            # database's own mode, and they hold customers' plugin output.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE))
            _mend_sidecars(path)
        where = str(path) if write or path.exists() else ":memory:"
        db = sqlite3.connect(where, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        db.execute("PRAGMA synchronous = FULL")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            migrate(db, path)
    except (OSError, sqlite3.Error) as error:
        raise StoreUnavailable(f"cannot open the store {path}: {error}") from None
    return db


def _mend_sidecars(path: Path) -> None:
    """SQLite makes its -wal and -shm files with the database's mode, and keeps them: a
    database read (``vigie tickets``) while it was read-only leaves a read-only -shm that
    fails every write once the database is writable again. Ours, they get its mode back."""
    database = os.stat(path)
    for suffix in ("-wal", "-shm"):
        sidecar = path.with_name(path.name + suffix)
        try:
            status = os.stat(sidecar)
        except FileNotFoundError:
            continue
        if status.st_uid == os.geteuid() and not status.st_mode & stat.S_IWUSR:
            os.chmod(sidecar, stat.S_IMODE(database.st_mode))


def announcements(config: Config, timeout: float) -> Iterator[bool] | None:
    """On PostgreSQL, an iterator that yields True once a history entry of a ticket is
    committed (LISTEN/NOTIFY), False after ``timeout`` seconds without any; None on
    SQLite, which cannot tell (its readers poll)."""
    if config.store_url is None:
        return None
    from bridge.store.postgres import listen

    return listen(config.store_url, config.store_password_file, timeout)


def open_store(config: Config, *, write: bool = True) -> UnitOfWork:
    """The unit of work on the configured store: the SQLite file, or PostgreSQL when
    ``store.url`` names it (psycopg is imported only then)."""
    if config.store_url is None:
        return UnitOfWork(config.store_path, write=write)
    from bridge.store.postgres import PostgresUnitOfWork

    return PostgresUnitOfWork(
        config.store_url, config.store_password_file, config.store_path, write=write
    )
