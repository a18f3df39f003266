"""Who sees which ticket, what makes an account or password acceptable, the login bound,
and the queue's order and SLA clock: pure rules, as tables."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bridge.domain.accounts import (
    LoginPolicy,
    User,
    account_problem,
    locked_out,
    may_see,
    password_problem,
    visible_customer,
)
from bridge.domain.queue import clock_state, first_line, queue_order, time_left
from bridge.domain.tickets import Ticket

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def user(role: str, customer: str | None = None, disabled: bool = False) -> User:
    return User("someone", role, customer, disabled, NOW)  # type: ignore[arg-type]


def ticket(
    id: int,
    customer: str | None = "acme",
    status: str = "new",
    deadline_in: timedelta | None = timedelta(hours=1),
) -> Ticket:
    return Ticket(
        id=id,
        kind="incident",
        key=f"web01!s{id}",
        customer=customer,
        server="web01",
        service=f"s{id}",
        level="B",
        status=status,
        subject="down",
        reference_at=NOW,
        deadline_at=None if deadline_in is None else NOW + deadline_in,
        taken_at=None,
        taken_by=None,
        recovered_at=None,
        closed_at=None,
        express=False,
        assignee=None,
        in_downtime=False,
        external_ref=None,
        last_state="CRITICAL",
        debrief=None,
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("account", "customer", "sees"),
    [
        (user("staff"), "acme", True),
        (user("admin"), None, True),
        (user("customer", "acme"), "acme", True),
        (user("customer", "acme"), "bakery", False),
        (user("customer", "acme"), None, False),  # out of contract, no customer known
        (user("staff", disabled=True), "acme", False),
    ],
)
def test_who_sees_which_ticket(account: User, customer: str | None, sees: bool) -> None:
    assert may_see(account, ticket(1, customer)) is sees


def test_a_customer_account_is_held_to_its_customer() -> None:
    assert visible_customer(user("staff"), "bakery") == (True, "bakery")
    assert visible_customer(user("customer", "acme"), None) == (True, "acme")
    assert visible_customer(user("customer", "acme"), "bakery") == (False, "acme")


@pytest.mark.parametrize(
    ("name", "role", "customer", "problem"),
    [
        ("alice", "staff", None, None),
        ("ops@acme", "customer", "acme", None),
        ("", "staff", None, "user name"),
        ("a b", "staff", None, "user name"),
        ("alice", "root", None, "--role"),
        ("alice", "customer", None, "--customer"),
        ("alice", "admin", "acme", "--customer"),
    ],
)
def test_account_problems(name: str, role: str, customer: str | None, problem: str | None) -> None:
    found = account_problem(name, role, customer)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_password_problems() -> None:
    assert password_problem("long enough") is None
    assert "at least 8" in (password_problem("short") or "")
    assert "control" in (password_problem("new\nline!") or "")


def test_the_login_bound_per_account_and_per_address() -> None:
    policy = LoginPolicy(max_failures=5)
    assert not locked_out(4, 4, policy)
    assert locked_out(5, 5, policy)
    assert not locked_out(0, 19, policy)  # one office behind one address, several accounts
    assert locked_out(0, 20, policy)


def test_the_queue_is_most_urgent_first() -> None:
    later = ticket(1, deadline_in=timedelta(hours=3))
    breached = ticket(2, deadline_in=-timedelta(minutes=5))
    soon = ticket(3, deadline_in=timedelta(minutes=10))
    no_contract = ticket(4, deadline_in=None)
    taken = ticket(5, status="taken", deadline_in=timedelta(minutes=1))
    order = queue_order([later, taken, no_contract, soon, breached], NOW)
    assert [t.id for t in order] == [2, 3, 1, 4, 5]


def test_the_sla_clock() -> None:
    warning = timedelta(minutes=15)
    assert time_left(ticket(1), NOW) == timedelta(hours=1)
    assert time_left(replace(ticket(1), status="taken"), NOW) is None  # stopped (R4)
    assert clock_state(None, warning) == "stopped"
    assert clock_state(timedelta(hours=1), warning) == "ok"
    assert clock_state(timedelta(minutes=15), warning) == "warning"
    assert clock_state(timedelta(0), warning) == "breached"


def test_the_first_line_of_a_plugin_output() -> None:
    assert first_line("HTTP CRITICAL - down|time=1s\nlong text") == "HTTP CRITICAL - down"
    assert first_line("  \n") == "" and first_line(None) == ""
