"""The services against a real store: the domain's verdict is raised before anything is
written, and what a service returns is what the store now holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.config.model import Config
from bridge.domain.notification import parse_event
from bridge.domain.refusals import Invalid, Refusal
from bridge.services import tickets
from bridge.services.errors import Rejected
from bridge.services.notifications import record_notification
from bridge.store.unit_of_work import UnitOfWork

# Wednesday 2026-11-25, 10:00 in Brussels: inside business hours.
SINCE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
NOW = SINCE + timedelta(seconds=20)


def problem(service: str = "http") -> object:
    return parse_event(
        type="PROBLEM",
        host="web01",
        service=service,
        state="CRITICAL",
        output="HTTP CRITICAL - 503",
        since=str(SINCE.timestamp()),
        author=None,
        comment=None,
        received_at=NOW,
    )


def history_types(uow: UnitOfWork, ticket_id: int) -> list[str]:
    with uow:
        return [entry.type for entry in uow.tickets.history(ticket_id)]


def test_a_notification_opens_one_ticket_with_its_deadline_and_alerts(
    uow: UnitOfWork, config: Config
) -> None:
    event = problem()
    first = record_notification(uow, config, event, NOW)  # type: ignore[arg-type]
    again = record_notification(uow, config, event, NOW)  # type: ignore[arg-type]
    assert first.opened is not None and first.ticket_id == again.ticket_id
    assert (again.duplicate, first.opened.level, first.opened.assignee) == (True, "B", "alice")
    assert first.opened.deadline_at == SINCE + timedelta(hours=4)  # R3, level B
    with uow:
        assert len(uow.tickets.tickets()) == 1
        # R14: acme's mail and SMS, queued with the ticket.
        assert [m.channel for m in uow.tickets.undelivered()] == ["email", "sms"]


def test_taking_over_twice_is_refused_by_r4_and_writes_nothing(
    uow: UnitOfWork, config: Config
) -> None:
    opened = record_notification(uow, config, problem(), NOW)  # type: ignore[arg-type]
    assert opened.ticket_id is not None
    taken = tickets.take(uow, opened.ticket_id, "bob", NOW, NOW)
    assert (taken.status, taken.taken_by) == ("taken", "bob")
    with pytest.raises(Rejected) as again:
        tickets.take(uow, opened.ticket_id, "carol", NOW + timedelta(minutes=1), NOW)
    assert isinstance(again.value.verdict, Refusal) and again.value.verdict.rule == "R4"
    assert history_types(uow, opened.ticket_id).count("taken") == 1


def test_an_incident_closed_without_debrief_is_refused_by_r15(
    uow: UnitOfWork, config: Config
) -> None:
    opened = record_notification(uow, config, problem(), NOW)  # type: ignore[arg-type]
    assert opened.ticket_id is not None
    with pytest.raises(Rejected) as refused:
        tickets.close(uow, opened.ticket_id, "  ", NOW, NOW)
    assert refused.value.refused and "R15" in str(refused.value)
    with uow:
        assert uow.tickets.get(opened.ticket_id).status == "new"
    closed = tickets.close(uow, opened.ticket_id, "restarted php-fpm", NOW, NOW)
    assert (closed.status, closed.debrief) == ("closed", "restarted php-fpm")


def test_work_past_the_threshold_waits_for_the_approval_r11(
    uow: UnitOfWork, config: Config
) -> None:
    opened = record_notification(uow, config, problem(), NOW)  # type: ignore[arg-type]
    ticket_id = opened.ticket_id
    assert ticket_id is not None
    tickets.log_work(uow, config, ticket_id, 90, "bob", NOW, None, None, NOW)  # 6 quarters
    with pytest.raises(Rejected) as refused:
        tickets.log_work(uow, config, ticket_id, 15, "bob", NOW, None, None, NOW)
    assert isinstance(refused.value.verdict, Refusal) and refused.value.verdict.rule == "R11"
    tickets.log_work(uow, config, ticket_id, 30, "bob", NOW, "update", None, NOW)  # R6
    tickets.approve(uow, ticket_id, "acme's CTO", NOW, NOW)
    work = tickets.log_work(uow, config, ticket_id, 15, "bob", NOW, None, None, NOW)
    assert work.category == "incident"
    with uow:
        assert [w.minutes for w in uow.tickets.work(ticket_id)] == [90, 30, 15]


def test_a_time_before_the_reference_time_is_invalid_not_refused(
    uow: UnitOfWork, config: Config
) -> None:
    opened = record_notification(uow, config, problem(), NOW)  # type: ignore[arg-type]
    assert opened.ticket_id is not None
    with pytest.raises(Rejected) as wrong:
        tickets.approve(uow, opened.ticket_id, "acme", SINCE - timedelta(hours=1), NOW)
    assert isinstance(wrong.value.verdict, Invalid) and not wrong.value.refused
