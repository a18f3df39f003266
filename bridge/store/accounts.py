"""The only SQL of accounts: users, API tokens, web sessions and failed logins.

Passwords are kept as their argon2 hash, tokens and session ids as their SHA-256 digest
(they are long random strings, so a fast digest is enough): a copy of the store gives no
one a way in.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime
from typing import Any

from bridge.domain.accounts import User
from bridge.store.errors import NotFound
from bridge.store.repository import Database, from_db, to_db


class Accounts:
    """Accounts in and out of one connection; the unit of work owns its transaction."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_user(
        self, name: str, role: str, customer: str | None, password_hash: str, now: datetime
    ) -> None:
        """Insert an account; ValueError when the name is taken."""
        try:
            self._db.execute(
                "INSERT INTO users (name, role, customer, password_hash, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (name, role, customer, password_hash, to_db(now)),
            )
        except sqlite3.IntegrityError:
            raise ValueError(f"user {name!r} exists already") from None

    def user(self, name: str) -> User:
        """One account, or NotFound."""
        row = self._db.execute("SELECT * FROM users WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise NotFound(f"no user {name!r}")
        return _user(row)

    def users(self) -> list[User]:
        """Every account, by name."""
        return [_user(row) for row in self._db.execute("SELECT * FROM users ORDER BY name")]

    def password_hash(self, name: str) -> str | None:
        """The stored hash of an account's password (None: no such account)."""
        row = self._db.execute("SELECT password_hash FROM users WHERE name = ?", (name,))
        found = row.fetchone()
        return None if found is None else str(found[0])

    def set_password_hash(self, name: str, password_hash: str) -> None:
        """Replace an account's password hash (a new password, or a rehash)."""
        self._db.execute("UPDATE users SET password_hash = ? WHERE name = ?", (password_hash, name))

    def disable(self, name: str) -> None:
        """Disable an account and end its sessions and tokens at once."""
        self._db.execute("UPDATE users SET disabled = 1 WHERE name = ?", (name,))
        self._db.execute('DELETE FROM web_sessions WHERE "user" = ?', (name,))
        self._db.execute('DELETE FROM api_tokens WHERE "user" = ?', (name,))

    # -- tokens and sessions -------------------------------------------------------------

    def add_token(self, digest: str, name: str, now: datetime) -> None:
        """Store an API token's digest for an account."""
        self._db.execute(
            'INSERT INTO api_tokens (digest, "user", created_at) VALUES (?, ?, ?)',
            (digest, name, to_db(now)),
        )

    def token_user(self, digest: str) -> User | None:
        """The enabled account holding this token, or None."""
        row = self._db.execute(
            'SELECT users.* FROM api_tokens JOIN users ON users.name = api_tokens."user" '
            "WHERE digest = ? AND users.disabled = 0",
            (digest,),
        ).fetchone()
        return None if row is None else _user(row)

    def add_session(
        self, digest: str, name: str, csrf: str, now: datetime, expires: datetime
    ) -> None:
        """Store a web session (its id's digest) and its CSRF token."""
        self._db.execute("DELETE FROM web_sessions WHERE expires_at < ?", (to_db(now),))
        self._db.execute(
            'INSERT INTO web_sessions (digest, "user", csrf, created_at, expires_at) '
            "VALUES (?, ?, ?, ?, ?)",
            (digest, name, csrf, to_db(now), to_db(expires)),
        )

    def session(self, digest: str, now: datetime) -> tuple[User, str] | None:
        """The enabled account of an unexpired session, with the session's CSRF token."""
        row = self._db.execute(
            "SELECT users.*, web_sessions.csrf AS csrf FROM web_sessions "
            'JOIN users ON users.name = web_sessions."user" '
            "WHERE digest = ? AND expires_at > ? AND users.disabled = 0",
            (digest, to_db(now)),
        ).fetchone()
        return None if row is None else (_user(row), str(row["csrf"]))

    def end_session(self, digest: str) -> None:
        """Forget a session (logout)."""
        self._db.execute("DELETE FROM web_sessions WHERE digest = ?", (digest,))

    # -- failed logins -------------------------------------------------------------------

    def add_failure(self, name: str, address: str, now: datetime) -> None:
        """Record a failed login."""
        self._db.execute(
            'INSERT INTO failed_logins ("user", address, at) VALUES (?, ?, ?)',
            (name, address, to_db(now)),
        )

    def failures(self, name: str, address: str, since: datetime) -> tuple[int, int]:
        """Failed logins since then: of this account, and from this address."""
        start = to_db(since)
        of_user = self._db.execute(
            'SELECT count(*) FROM failed_logins WHERE "user" = ? AND at >= ?', (name, start)
        ).fetchone()[0]
        of_address = self._db.execute(
            "SELECT count(*) FROM failed_logins WHERE address = ? AND at >= ?", (address, start)
        ).fetchone()[0]
        return int(of_user), int(of_address)

    def clear_failures(self, name: str, before: datetime) -> None:
        """Forget an account's failures (after a good login) and everyone's old ones."""
        self._db.execute('DELETE FROM failed_logins WHERE "user" = ?', (name,))
        self._db.execute("DELETE FROM failed_logins WHERE at < ?", (to_db(before),))


def _user(row: Any) -> User:
    created = from_db(row["created_at"])
    assert created is not None
    return User(row["name"], row["role"], row["customer"], bool(row["disabled"]), created)
