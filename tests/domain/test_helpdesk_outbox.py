"""The helpdesk outbox's rules, as plain values: exponential backoff with jitter, a cap,
dead letters after max_attempts, one ticket's items in order (R15: nothing is dropped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bridge.domain.helpdesk import (
    BACKOFF_CAP,
    VIGIE_PREFIX,
    OutboxItem,
    backoff,
    changes_for,
    marker,
    next_deliveries,
)
from bridge.domain.tickets import Ticket

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)


def item(number: int, ticket: int, **changes: object) -> OutboxItem:
    values: dict[str, object] = {
        "id": number,
        "ticket_id": ticket,
        "action": "comment",
        "payload": {"text": "x"},
        "created_at": NOW,
    }
    values.update(changes)
    return OutboxItem(**values)  # type: ignore[arg-type]


def test_backoff_doubles_from_five_seconds_up_to_an_hour() -> None:
    assert [backoff(n, 1.0).total_seconds() for n in range(1, 6)] == [5, 10, 20, 40, 80]
    assert backoff(30, 1.0) == BACKOFF_CAP
    assert backoff(0, 1.0) == timedelta(0)


@given(st.integers(1, 60), st.floats(0.0, 2.0))
def test_jitter_spreads_a_retry_between_half_and_one_and_a_half_times(
    failures: int, jitter: float
) -> None:
    plain = backoff(failures, 1.0)
    assert plain * 0.5 <= backoff(failures, jitter) <= plain * 1.5


def test_each_ticket_delivers_its_first_item_only_and_in_order() -> None:
    items = [item(3, 2), item(1, 1), item(2, 1), item(4, 2, delivered=True)]
    assert [i.id for i in next_deliveries(items, NOW, 20)] == [1, 3]


def test_an_item_backing_off_holds_its_ticket_back_until_its_time() -> None:
    later = NOW + timedelta(seconds=30)
    items = [item(1, 1, failures=1, retry_at=later), item(2, 1), item(3, 2)]
    assert [i.id for i in next_deliveries(items, NOW, 20)] == [3]
    assert [i.id for i in next_deliveries(items, later, 20)] == [1, 3]
    assert [i.id for i in next_deliveries(items, NOW, 20, ignore_backoff=True)] == [1, 3]


def test_after_max_attempts_an_item_is_dead_and_holds_its_ticket_back() -> None:
    dead = item(1, 1, failures=3, retry_at=NOW)
    assert dead.dead(3) and not dead.dead(4)
    assert next_deliveries([dead, item(2, 1)], NOW, 3, ignore_backoff=True) == []
    assert not item(5, 1, failures=9, delivered=True).dead(3)


def test_the_marker_of_ticket_12_is_not_a_prefix_of_ticket_123s() -> None:
    assert marker(12) == "[vigie#12]"
    assert marker(12) not in marker(123)


def test_what_a_notification_owes_the_helpdesk() -> None:
    ticket = a_ticket()
    opened = changes_for(True, False, False, ticket, "PROBLEM")
    assert [action for action, _ in opened] == ["open"]
    assert str(opened[0][1]["subject"]).startswith("[vigie#7] web01!http: ")
    taken = changes_for(False, True, False, ticket, "ACKNOWLEDGEMENT")
    assert taken == [
        ("comment", {"text": VIGIE_PREFIX + "ACKNOWLEDGEMENT"}),
        ("status", {"status": "taken", "by": "alice"}),
    ]
    closed = changes_for(False, False, True, ticket, "RECOVERY")
    assert [payload.get("status") for _, payload in closed] == [None, "closed"]


def a_ticket() -> Ticket:
    at = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
    return Ticket(
        id=7, kind="incident", key="web01!http", customer="acme", server="web01",
        service="http", level="B", status="taken", subject="HTTP CRITICAL", reference_at=at,
        deadline_at=at, taken_at=at, taken_by="alice", recovered_at=None, closed_at=None,
        express=False, assignee=None, in_downtime=False, external_ref=None, last_state=None,
        debrief=None, created_at=at,
    )  # fmt: skip
