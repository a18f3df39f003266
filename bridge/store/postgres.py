"""The store on PostgreSQL (``store: {url: postgresql://...}``), for the two masters of an
Icinga 2 HA zone writing one store: the same repository, schema and unit of work as SQLite.

Imported only when the configuration names a PostgreSQL store: psycopg takes about 100 ms
to import, which the SQLite notify path must never pay. The repository's SQL is written
once, with ``?`` placeholders; ``PostgresConnection`` hands it to psycopg as ``%s``.
A server that cannot be reached, a lock or statement held too long, a connection lost: the
store is unavailable (``vigie notify`` spools the event), as for an unwritable SQLite file.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import psycopg
from psycopg import sql as psql

from bridge.store.errors import ConstraintViolation, StoreUnavailable
from bridge.store.repository import Repository
from bridge.store.schema import POSTGRES_FUNCTIONS, SCHEMA_VERSION, STEPS, newer_than_this
from bridge.store.schema import postgres_sql as step_sql
from bridge.store.unit_of_work import UnitOfWork

# A notify gives up before Icinga's 30 s timeout kills it: it spools the event instead.
CONNECT_TIMEOUT_SECONDS = 5
LOCK_TIMEOUT = "15s"
STATEMENT_TIMEOUT = "20s"
# The key of the advisory lock migrations take: two masters starting at once migrate once.
_MIGRATION_LOCK = 0x76696769  # "vigi"
# The channel the web queue listens on; a trigger notifies it of each new history entry.
CHANNEL = "vigie_events"


class Row:
    """A result row read by column name or position, as ``sqlite3.Row`` is."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]) -> None:
        self._index = index
        self._values = values

    def __getitem__(self, key: int | str) -> Any:
        return self._values[self._index[key] if isinstance(key, str) else key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def keys(self) -> list[str]:
        """The column names, in order."""
        return list(self._index)


def _rows(cursor: psycopg.Cursor[Any]) -> Any:
    names = [column.name for column in cursor.description or ()]
    index = {name: position for position, name in enumerate(names)}

    def make(values: Sequence[Any]) -> Row:
        return Row(index, values)

    return make


@functools.lru_cache(maxsize=512)
def placeholders(query: str) -> str:
    """``query`` with its ``?`` placeholders as psycopg's ``%s`` (and ``%`` doubled), quoted
    text and identifiers left as they are."""
    out: list[str] = []
    quote = ""
    for char in query:
        if quote:
            if char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif char == "?":
            out.append("%s")
            continue
        out.append("%%" if char == "%" else char)
    return "".join(out)


class PostgresConnection:
    """One psycopg connection behind the few calls the repository makes of SQLite's."""

    dialect = "postgres"

    def __init__(self, connection: psycopg.Connection[Any], where: str) -> None:
        self.connection = connection
        self.where = where
        self.in_transaction = False

    def execute(self, query: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor[Any]:
        """Run one statement; its cursor (``fetchone``, ``fetchall``, iteration)."""
        try:
            return self.connection.execute(placeholders(query), list(parameters))
        except psycopg.Error as error:
            raise classify(error, self.where) from None

    def executemany(self, query: str, rows: Sequence[Sequence[Any]], /) -> None:
        """Run one statement for each row."""
        try:
            with self.connection.cursor() as cursor:
                cursor.executemany(placeholders(query), rows)
        except psycopg.Error as error:
            raise classify(error, self.where) from None

    def script(self, statements: str) -> None:
        """Run schema SQL as it is written (no placeholders; several statements at once)."""
        try:
            self.connection.execute(statements.encode("utf-8"))
        except psycopg.Error as error:
            raise classify(error, self.where) from None

    def begin(self, write: bool) -> None:
        """Start the block's transaction (a read sees one snapshot)."""
        mode = "BEGIN" if write else "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
        self.execute(mode)
        self.in_transaction = True

    def end(self, verb: str) -> None:
        """COMMIT or ROLLBACK."""
        self.in_transaction = False
        self.execute(verb)

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


def classify(error: psycopg.Error, where: str) -> Exception:
    """``error`` in the store's terms: unavailable (spool and try again), refused by a rule
    of the schema, or left as it is (a bug)."""
    if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        return StoreUnavailable(f"cannot write the store {where}: {first}")
    if isinstance(error, psycopg.IntegrityError):
        return ConstraintViolation(str(error).strip().splitlines()[0])
    return error


def describe(url: str) -> str:
    """The store's address for messages: never a password (there is none in the url)."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    host = info.get("host") or "localhost"
    return f"postgresql://{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"


def connect(url: str, password_file: Path | None) -> PostgresConnection:
    """A connection to the store, its schema brought up to date; StoreUnavailable when the
    server cannot be reached."""
    where = describe(url)
    extra: dict[str, Any] = {
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
        "application_name": "vigie",
        "options": f"-c lock_timeout={LOCK_TIMEOUT} -c statement_timeout={STATEMENT_TIMEOUT}",
    }
    if password_file is not None:
        try:
            extra["password"] = password_file.read_text(encoding="utf-8").splitlines()[0]
        except (OSError, IndexError) as error:
            raise StoreUnavailable(
                f"cannot read the password file {password_file}: {error}"
            ) from None
    try:
        raw = psycopg.connect(url, autocommit=True, row_factory=_rows, **extra)
    except psycopg.Error as error:
        raise classify(error, where) from None
    db = PostgresConnection(raw, where)
    try:
        if url not in _CURRENT:
            migrate(db)
            _CURRENT.add(url)
    except BaseException:
        db.close()
        raise
    return db


# The stores this process has seen at the current schema: one look per process.
_CURRENT: set[str] = set()


def schema_version(db: PostgresConnection) -> int:
    """The store's schema version (0: empty)."""
    found: Any = db.execute("SELECT to_regclass('vigie_schema')").fetchone()
    if found[0] is None:
        return 0
    row = db.execute("SELECT version FROM vigie_schema").fetchone()
    return 0 if row is None else int(row[0])


def migrate(db: PostgresConnection) -> None:
    """Bring the store to ``SCHEMA_VERSION`` (creating it when empty), in one transaction;
    two processes doing it at once wait for each other."""
    if schema_version(db) == SCHEMA_VERSION:
        return
    db.begin(write=True)
    try:
        db.execute("SELECT pg_advisory_xact_lock(?)", (_MIGRATION_LOCK,))
        version = schema_version(db)
        if version > SCHEMA_VERSION:
            raise newer_than_this(db.where, version)
        if version < SCHEMA_VERSION:
            db.script(POSTGRES_FUNCTIONS)
            db.script("CREATE TABLE IF NOT EXISTS vigie_schema (version INTEGER NOT NULL)")
            for step in STEPS:
                if step.version > version:
                    for statement in step_sql(step, {}):
                        db.script(statement)
            _listen_trigger(db)
            db.execute("DELETE FROM vigie_schema")
            db.execute("INSERT INTO vigie_schema (version) VALUES (?)", (SCHEMA_VERSION,))
        db.end("COMMIT")
    except BaseException:
        with contextlib.suppress(psycopg.Error, StoreUnavailable):
            db.end("ROLLBACK")
        raise


def _listen_trigger(db: PostgresConnection) -> None:
    """Each new history entry of a ticket is announced on ``CHANNEL`` (its number), so the
    web queue learns of it without polling."""
    db.script(
        "CREATE OR REPLACE FUNCTION vigie_announce() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN PERFORM pg_notify('{CHANNEL}', NEW.id::text); RETURN NULL; END $$"
    )
    db.script(
        "CREATE OR REPLACE TRIGGER events_announced AFTER INSERT ON events FOR EACH ROW "
        "WHEN (NEW.ticket_id IS NOT NULL) EXECUTE FUNCTION vigie_announce()"
    )


class PostgresUnitOfWork(UnitOfWork):
    """The store in one PostgreSQL database; one transaction per ``with`` block."""

    def __init__(
        self, url: str, password_file: Path | None, local: Path, *, write: bool = True
    ) -> None:
        super().__init__(local, write=write)
        self.url = url
        self.password_file = password_file
        self._pg: PostgresConnection | None = None

    def __enter__(self) -> PostgresUnitOfWork:
        db = connect(self.url, self.password_file)
        try:
            db.begin(self.write)
        except BaseException:
            db.close()
            raise
        self._pg = db
        self._db = db  # type: ignore[assignment]
        self.tickets = Repository(db)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        db, self._pg, self._db = self._pg, None, None
        if db is None:
            return
        try:
            if db.in_transaction:
                with contextlib.suppress(psycopg.Error, StoreUnavailable):
                    db.end("ROLLBACK")
        finally:
            with contextlib.suppress(psycopg.Error):
                db.close()

    def commit(self) -> None:
        """Make the block's writes durable."""
        assert self._pg is not None, "commit() outside the with block"
        self._pg.end("COMMIT")


def listen(url: str, password_file: Path | None, timeout: float) -> Iterator[bool]:
    """Yield True once new history entries were announced, False after ``timeout`` seconds
    without any (so the caller may stop); StoreUnavailable when the server goes away."""
    db = connect(url, password_file)
    try:
        db.connection.execute(psql.SQL("LISTEN {}").format(psql.Identifier(CHANNEL)))
        while True:
            heard = False
            for _ in db.connection.notifies(timeout=timeout, stop_after=1):
                heard = True
            yield heard
    except psycopg.Error as error:
        raise classify(error, db.where) from None
    finally:
        with contextlib.suppress(psycopg.Error):
            db.close()
