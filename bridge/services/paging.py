"""Paging staff before a deadline is missed (R3, R5, R16): ``vigie page`` and ``vigie oncall``.

One run reads the open tickets, asks the domain (``bridge.domain.paging``) which pages each
is owed now, records each page in the ticket's history (R15) with its messages in the
outbox, all in one transaction, then delivers the outbox as ``send-alerts`` does. A page
recorded once is never owed again, so cron may run this every minute.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bridge.config.calendar import business_calendar
from bridge.config.model import Config
from bridge.domain.paging import (
    Page,
    Paging,
    compose,
    pages_owed,
    ticket_link,
    time_left,
    who_is_on_call,
)
from bridge.domain.refusals import Invalid
from bridge.domain.rota import OnCall, Person
from bridge.domain.sla import BusinessCalendar
from bridge.domain.tickets import Ticket
from bridge.services.alerts import Sending, send_alerts
from bridge.services.errors import Rejected
from bridge.store.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class PlannedPage:
    """A page owed now: its ticket, step, people and the messages it sends."""

    ticket: Ticket
    page: Page
    messages: tuple[tuple[str, str, str, str], ...]  # channel, recipient, subject, body
    channels: tuple[tuple[str, tuple[str, ...]], ...]  # each person and how they are reached

    @property
    def summary(self) -> str:
        """``80%: alice (email, sms), carol (email); 48m left``."""
        if not self.page.people:
            reached = "nobody to page (the policy names no one here)"
        else:
            reached = ", ".join(
                f"{person} ({', '.join(ways) or 'no contact'})" for person, ways in self.channels
            )
        return f"{self.page.step}: {reached}; {time_left(self.page.left)}"


@dataclass
class PageRun:
    """What a run of ``page`` did: the pages owed, and the outbox delivery that followed."""

    planned: list[PlannedPage] = field(default_factory=list)
    sending: Sending | None = None


def paging_of(config: Config) -> Paging:
    """The ``paging:`` section, or Rejected saying it is missing."""
    if config.paging is None:
        raise Rejected(Invalid("paging: not configured in vigie.yaml (see the README, Paging)"))
    return config.paging


def plan(uow: UnitOfWork, config: Config, now: datetime) -> list[PlannedPage]:
    """The pages owed at ``now`` for every open ticket, read in ``uow`` (whose block the
    caller holds)."""
    paging = paging_of(config)
    calendar = _calendar(config)
    planned: list[PlannedPage] = []
    for found in uow.tickets.open_tickets():
        policy = paging.policies.get(found.level or "")
        if policy is None:
            continue
        # In a downtime now (of its service or its host), whatever it was at opening.
        keys = tuple(key for key in (found.key, found.server) if key)
        downtime = bool(keys) and uow.tickets.last_downtime_entry(keys) == "downtime_start"
        ticket = dataclasses.replace(found, in_downtime=downtime)
        customer = config.customers.get(ticket.customer or "")
        manager = customer.account_manager if customer is not None else ticket.assignee
        paged = uow.tickets.paged_steps(ticket.id)
        for page in pages_owed(ticket, policy, paging, calendar, now, paged, manager):
            planned.append(_planned(ticket, page, paging, config))
    planned.sort(key=lambda p: (p.page.due_at, p.ticket.id))
    return planned


def page(
    uow: UnitOfWork,
    config: Config,
    now: datetime,
    *,
    dry_run: bool = False,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> PageRun:
    """Record the pages owed at ``now`` and deliver the outbox; with ``dry_run``, only say
    which pages are owed."""
    run = PageRun()
    if dry_run:
        with uow:
            run.planned = plan(uow, config, now)
        return run
    recorded_at = clock()
    with uow:
        run.planned = plan(uow, config, now)
        for planned in run.planned:
            for channel, recipient, subject, body in planned.messages:
                uow.tickets.add_message(
                    planned.ticket.id, channel, recipient, subject, body, recorded_at
                )
            uow.tickets.add_page(
                planned.ticket.id, now, recorded_at, planned.page.identity, planned.summary
            )
        uow.commit()
    # The whole outbox, not only these pages: pages a relay refused earlier go now.
    run.sending = send_alerts(uow, config, clock)
    return run


def oncall(config: Config, at: datetime) -> tuple[OnCall, Person | None]:
    """Who is on call at ``at``, why, and how to reach them."""
    paging = paging_of(config)
    found = who_is_on_call(paging, _calendar(config), at)
    return found, paging.people.get(found.person or "")


def _planned(ticket: Ticket, page: Page, paging: Paging, config: Config) -> PlannedPage:
    link = ticket_link(paging.link_base, ticket.id)
    messages: list[tuple[str, str, str, str]] = []
    channels: list[tuple[str, tuple[str, ...]]] = []
    for name in page.people:
        person = paging.people.get(name) or Person(name)
        composed = compose(page, ticket, person, link, config.timezone)
        channels.append((name, tuple(channel for channel, _, _, _ in composed)))
        messages += composed
    return PlannedPage(ticket, page, tuple(messages), tuple(channels))


def _calendar(config: Config) -> BusinessCalendar:
    return business_calendar(config, holiday_cache_dir=config.store_path.parent)
