"""Accounts' use cases: add, list, disable, change a password, API tokens, log in and out.

Secrets (passwords, tokens, session ids) come in and go out of these functions only; the
store keeps their hashes. A login checks the failure counts first (a bounded number per
account and per address within the policy's window), then the password.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.adapters.passwords import check_password, hash_password
from bridge.config.model import Config
from bridge.domain.accounts import (
    LoginPolicy,
    User,
    account_problem,
    locked_out,
    password_problem,
)
from bridge.domain.refusals import Invalid
from bridge.services.errors import Rejected
from bridge.store.errors import NotFound
from bridge.store.unit_of_work import UnitOfWork


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add_user(
    uow: UnitOfWork,
    config: Config,
    name: str,
    role: str,
    customer: str | None,
    password: str,
    now: datetime,
) -> User:
    """Create an account; Rejected naming what is wrong with its name, role or password."""
    problem = account_problem(name, role, customer) or password_problem(password)
    if problem is None and customer is not None and customer not in config.customers:
        known = ", ".join(sorted(config.customers)) or "none"
        problem = f"--customer: unknown customer {customer!r} (known: {known})"
    if problem is not None:
        raise Rejected(Invalid(problem))
    hashed = hash_password(password)
    with uow:
        try:
            uow.accounts.add_user(name, role, customer, hashed, now)
        except ValueError as error:
            raise Rejected(Invalid(str(error))) from None
        user = uow.accounts.user(name)
        uow.commit()
    return user


def list_users(uow: UnitOfWork) -> list[User]:
    """Every account, by name."""
    with uow:
        return uow.accounts.users()


def disable_user(uow: UnitOfWork, name: str) -> User:
    """Disable an account: its sessions and tokens stop working at once."""
    with uow:
        uow.accounts.user(name)
        uow.accounts.disable(name)
        user = uow.accounts.user(name)
        uow.commit()
    return user


def set_password(uow: UnitOfWork, name: str, password: str) -> None:
    """Give an account a new password."""
    problem = password_problem(password)
    if problem is not None:
        raise Rejected(Invalid(problem))
    hashed = hash_password(password)
    with uow:
        uow.accounts.user(name)
        uow.accounts.set_password_hash(name, hashed)
        uow.commit()


def add_token(uow: UnitOfWork, name: str, now: datetime) -> str:
    """A new API token for an enabled account: returned once, only its digest is kept."""
    token = "vigie_" + secrets.token_urlsafe(32)
    with uow:
        if uow.accounts.user(name).disabled:
            raise Rejected(Invalid(f"user {name!r} is disabled"))
        uow.accounts.add_token(_digest(token), name, now)
        uow.commit()
    return token


def token_user(uow: UnitOfWork, token: str) -> User | None:
    """The enabled account holding this API token, or None."""
    with uow:
        return uow.accounts.token_user(_digest(token))


@dataclass(frozen=True)
class Session:
    """A logged-in browser: the cookie's value (secret) and its CSRF token."""

    user: User
    session_id: str
    csrf: str


class LoginFailed(Exception):
    """Wrong name or password, or too many failures: the message never says which."""


def log_in(
    uow: UnitOfWork,
    name: str,
    password: str,
    address: str,
    policy: LoginPolicy,
    lifetime: timedelta,
    now: datetime,
) -> Session:
    """Check the password (unless locked out) and open a session; LoginFailed otherwise."""
    with uow:
        of_user, of_address = uow.accounts.failures(name, address, now - policy.window)
        stored = uow.accounts.password_hash(name)
    if locked_out(of_user, of_address, policy):
        # Not even recorded: a locked-out flood must not grow the table.
        raise LoginFailed("wrong user name or password, or too many attempts: wait")
    # The hash is checked outside the write lock: it takes tens of milliseconds on purpose.
    ok, rehashed = check_password(stored, password)
    with uow:
        try:
            user = uow.accounts.user(name)
        except NotFound:
            user = None
        if not ok or user is None or user.disabled:
            uow.accounts.add_failure(name, address, now)
            uow.commit()
            raise LoginFailed("wrong user name or password, or too many attempts: wait")
        if rehashed is not None:
            uow.accounts.set_password_hash(name, rehashed)
        session_id = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        uow.accounts.add_session(_digest(session_id), name, csrf, now, now + lifetime)
        uow.accounts.clear_failures(name, now - policy.window)
        uow.commit()
    return Session(user, session_id, csrf)


def session_of(uow: UnitOfWork, session_id: str, now: datetime) -> Session | None:
    """The session behind a cookie, while it lasts and its account is enabled."""
    with uow:
        found = uow.accounts.session(_digest(session_id), now)
    return None if found is None else Session(found[0], session_id, found[1])


def enabled_user(uow: UnitOfWork, name: str) -> User | None:
    """The account of that name if it exists and is enabled (a proxy's trusted header)."""
    with uow:
        try:
            user = uow.accounts.user(name)
        except NotFound:
            return None
    return None if user.disabled else user


def log_out(uow: UnitOfWork, session_id: str) -> None:
    """End a session."""
    with uow:
        uow.accounts.end_session(_digest(session_id))
        uow.commit()
