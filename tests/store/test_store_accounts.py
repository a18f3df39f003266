"""Schema version 4: accounts, tokens, sessions and failed logins, added to an older store
in place; secrets only as hashes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.backends import Backend
from tests.store.test_store_schema import make_version_1


def test_an_older_store_gains_the_account_tables_and_keeps_its_tickets(backend: Backend) -> None:
    make_version_1(backend)
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with backend.uow() as uow:
        assert uow.tickets.get(1).subject == "old one"
        uow.accounts.add_user("alice", "staff", None, "$argon2id$stand-in", now)
        uow.accounts.add_session("digest", "alice", "csrf", now, now + timedelta(hours=1))
        uow.commit()
    with backend.uow(write=False) as uow:
        found = uow.accounts.session("digest", now + timedelta(minutes=59))
        assert found is not None and found[0].name == "alice" and found[1] == "csrf"
        assert uow.accounts.session("digest", now + timedelta(hours=1)) is None  # expired
    with backend.raw() as db:
        for table in ("users", "api_tokens", "web_sessions", "failed_logins"):
            assert db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] >= 0


def test_failed_logins_are_counted_per_account_and_address(backend: Backend) -> None:
    now = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
    with backend.uow() as uow:
        for minutes, user, address in (
            (0, "a", "10.0.0.1"),
            (5, "a", "10.0.0.2"),
            (30, "b", "10.0.0.1"),
        ):
            uow.accounts.add_failure(user, address, now + timedelta(minutes=minutes))
        assert uow.accounts.failures("a", "10.0.0.1", now) == (2, 2)
        assert uow.accounts.failures("a", "10.0.0.1", now + timedelta(minutes=1)) == (1, 1)
        uow.accounts.clear_failures("a", now + timedelta(minutes=10))
        assert uow.accounts.failures("a", "10.0.0.1", now) == (0, 1)
