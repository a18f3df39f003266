"""Who may use the web queue and its API, and what each may see.

Staff and admins see every ticket; a customer account sees only its own customer's tickets
(the same rule answers the pages, the API and the event stream, so a customer role needs
no other check). Admins also manage accounts. Pure: no clock, no store, no hashing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from bridge.domain.tickets import Ticket

Role = Literal["staff", "admin", "customer"]
ROLES: tuple[Role, ...] = ("staff", "admin", "customer")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class User:
    """An account: its role, its customer when the role is ``customer``, and whether usable."""

    name: str
    role: Role
    customer: str | None
    disabled: bool
    created_at: datetime

    @property
    def is_staff(self) -> bool:
        """Staff act on tickets (take over, log work, close); admins are staff too."""
        return self.role in ("staff", "admin")


def account_problem(name: str, role: str, customer: str | None) -> str | None:
    """What is wrong with a new account's name, role and customer, or None."""
    if not _NAME.fullmatch(name):
        return (
            f"user name {name!r}: letters, digits and . _ @ - only, "
            "starting with a letter or digit, at most 64"
        )
    if role not in ROLES:
        return f"--role: {role!r} is not one of {', '.join(ROLES)}"
    if role == "customer" and not customer:
        return "--customer: a customer account needs its customer"
    if role != "customer" and customer:
        return "--customer: only for --role customer"
    return None


def password_problem(password: str) -> str | None:
    """What is wrong with a new password, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password: at least {MIN_PASSWORD_LENGTH} characters"
    if any(ord(c) < 32 for c in password):
        return "password: no control characters (a line break?)"
    return None


def may_see(user: User, ticket: Ticket) -> bool:
    """Whether the account may see this ticket (a customer only its own)."""
    if user.disabled:
        return False
    if user.role == "customer":
        return ticket.customer is not None and ticket.customer == user.customer
    return True


def visible_customer(user: User, asked: str | None) -> tuple[bool, str | None]:
    """The customer filter a listing runs with: a customer account is held to its own.

    Returns (allowed, customer): a customer account asking for another customer sees
    nothing rather than an error, so it cannot learn which customers exist.
    """
    if user.role != "customer":
        return True, asked
    if asked is not None and asked != user.customer:
        return False, user.customer
    return True, user.customer


@dataclass(frozen=True)
class LoginPolicy:
    """How many failed logins an account, or an address, may have within ``window``."""

    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)


def locked_out(failures_of_account: int, failures_of_address: int, policy: LoginPolicy) -> bool:
    """Too many recent failures for this account or from this address: refuse to check."""
    return (
        failures_of_account >= policy.max_failures or failures_of_address >= policy.max_failures * 4
    )
