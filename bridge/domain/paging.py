"""SLA-aware paging: who is owed a page for an untaken ticket, now, before its deadline.

Domain model: a missed take-over refunds the server's month (R3, R4, R5), so a ticket
nobody has taken over must reach someone before its deadline. Each level has a policy: a
list of steps, each at a share of the take-over delay (0 is the opening, 0.5 half-way to
the deadline) naming whom it pages: the on-call person of the rota, the customer's
account manager (R16), the backup, or a person by name. A quiet level holds a page due
outside business hours until business hours begin, when the deadline itself falls in
business hours (nobody is woken for a ticket that can wait for the morning). A take-over,
an Icinga acknowledgement, a recovery or a closing stops every further page; nobody is
paged while the ticket's host or service is in a downtime.

Each step pages once per ticket: the caller passes the steps already recorded in the
ticket's history (R15). Pure: the caller passes "now"; nothing here reads a clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from decimal import Decimal

from bridge.domain.rota import OnCall, Person, Rota, on_call
from bridge.domain.sla import BusinessCalendar
from bridge.domain.times import to_display

TYPE_CHECKING = False  # mypy reads it as true; the pickled configuration loads this module
if TYPE_CHECKING:
    from bridge.domain.tickets import Ticket

ON_CALL, ACCOUNT_MANAGER, BACKUP = "on_call", "account_manager", "backup"
ROLES = (ON_CALL, ACCOUNT_MANAGER, BACKUP)
SMS_LENGTH = 160


@dataclass(frozen=True)
class Step:
    """One page of a level's policy: at ``share`` of the take-over delay, to ``whom``."""

    share: Decimal  # 0 = at opening, 1 = at the deadline itself
    whom: tuple[str, ...]  # roles (on_call, account_manager, backup) or people's names

    @property
    def label(self) -> str:
        """The step's name in the history: ``opening`` or ``80%``."""
        if self.share == 0:
            return "opening"
        return f"{(self.share * 100).normalize():f}%"


@dataclass(frozen=True)
class LevelPolicy:
    """When and whom a level pages; quiet: hold night pages of a business-hours deadline."""

    steps: tuple[Step, ...]
    quiet_outside_business_hours: bool = False


@dataclass(frozen=True)
class Paging:
    """The ``paging:`` section: people, rota, policy per level, how late a page may be."""

    people: Mapping[str, Person]
    rota: Rota
    policies: Mapping[str, LevelPolicy]
    link_base: str
    catch_up: timedelta = timedelta(hours=1)


@dataclass(frozen=True)
class Page:
    """One step owed now: the people it pages (empty when the rota names nobody)."""

    ticket_id: int
    step: str
    due_at: datetime
    people: tuple[str, ...]
    left: timedelta  # until the deadline (negative once breached)

    @property
    def identity(self) -> str:
        """Recorded with the page in the history: the same step never pages twice."""
        return page_identity(self.ticket_id, self.step)


def page_identity(ticket_id: int, step: str) -> str:
    """The identity of a ticket's page at a step, as its history records it (R15)."""
    return f"page:{ticket_id}:{step}"


def stopped(ticket: Ticket) -> str | None:
    """Why nobody is paged for this ticket any more (None: it still may be)."""
    if ticket.deadline_at is None or ticket.level is None:
        return "no SLA deadline (R9)"
    if ticket.status == "closed" or ticket.closed_at is not None:
        return "closed"
    if ticket.taken_at is not None:
        return f"taken over by {ticket.taken_by or 'someone'}"
    if ticket.recovered_at is not None:
        return "recovered"
    if ticket.in_downtime:
        return "in a downtime"
    return None


def due_at(
    step: Step,
    ticket: Ticket,
    policy: LevelPolicy,
    calendar: BusinessCalendar,
) -> datetime:
    """When ``step`` falls due: its share of the way from reference time to deadline, held
    until business hours begin when the level is quiet and its deadline in business hours."""
    assert ticket.deadline_at is not None
    delay = ticket.deadline_at - ticket.reference_at
    due = ticket.reference_at + delay * float(step.share)
    if not policy.quiet_outside_business_hours:
        return due
    if not calendar.is_business_time(ticket.deadline_at) or calendar.is_business_time(due):
        return due
    # The deadline is in business hours, so business hours begin again by then.
    period = next(iter(calendar.business_periods(due)), None)
    return due if period is None else min(period[0], ticket.deadline_at)


def pages_owed(
    ticket: Ticket,
    policy: LevelPolicy,
    paging: Paging,
    calendar: BusinessCalendar,
    now: datetime,
    paged: frozenset[str],
    account_manager: str | None,
) -> tuple[Page, ...]:
    """The steps of ``policy`` owed now for ``ticket`` (R3, R5, R16), each with its people.

    A step is owed once due, not yet in ``paged`` (the identities already recorded), no
    more than ``paging.catch_up`` late (a store full of old untaken tickets must not page
    anyone the day paging is switched on). None once ``stopped``.
    """
    if stopped(ticket) is not None:
        return ()
    assert ticket.deadline_at is not None
    owed: list[Page] = []
    for step in policy.steps:
        if page_identity(ticket.id, step.label) in paged:
            continue
        due = due_at(step, ticket, policy, calendar)
        if due > now or now - due > paging.catch_up:
            continue
        people = resolve(step.whom, paging, calendar, now, account_manager)
        owed.append(Page(ticket.id, step.label, due, people, ticket.deadline_at - now))
    return tuple(owed)


def resolve(
    whom: Sequence[str],
    paging: Paging,
    calendar: BusinessCalendar,
    now: datetime,
    account_manager: str | None,
) -> tuple[str, ...]:
    """The people a step's ``whom`` names at ``now``, each once, in order; a role that
    names nobody (no account manager) is left out."""
    people: list[str] = []
    for target in whom:
        if target == ON_CALL:
            person = who_is_on_call(paging, calendar, now).person
        elif target == ACCOUNT_MANAGER:
            person = account_manager
        elif target == BACKUP:
            person = paging.rota.backup
        else:
            person = target
        if person is not None and person not in people:
            people.append(person)
    return tuple(people)


def who_is_on_call(paging: Paging, calendar: BusinessCalendar, at: datetime) -> OnCall:
    """The on-call person at ``at`` by the rota (public holidays from ``calendar``)."""
    return on_call(paging.rota, calendar.tz, at, calendar.is_holiday)


def compose(
    page: Page, ticket: Ticket, person: Person, link: str, tz: tzinfo
) -> Sequence[tuple[str, str, str, str]]:
    """The (channel, recipient, subject, body) messages of one page to one person: the
    ticket, the time left before its deadline and the link to take it over."""
    left = time_left(page.left)
    where = ticket.key or ticket.server or ticket.customer or "request"
    subject = f"[page] ticket #{ticket.id} level {ticket.level}: {where}, {left}"
    body = "\n".join(
        [
            f"Ticket #{ticket.id}: {ticket.subject}",
            "",
            f"Customer:   {ticket.customer or '-'}",
            f"Level:      {ticket.level}",
            f"Since:      {to_display(ticket.reference_at, tz)}",
            f"Deadline:   {to_display(ticket.deadline_at, tz)} ({left})",
            f"Step:       {page.step} of the take-over delay",
            "",
            f"Take it over: {link}",
            "",
            "Nobody has taken this ticket over yet. Taking it over (or acknowledging the",
            "problem in Icinga) stops the pages.",
        ]
    )
    sms = f"#{ticket.id} {ticket.level} {where} {left}: {link}"[:SMS_LENGTH]
    messages: list[tuple[str, str, str, str]] = []
    if person.email is not None:
        messages.append(("email", person.email, subject, body + "\n"))
    if person.sms is not None:
        messages.append(("sms", person.sms, subject, sms))
    return messages


def ticket_link(link_base: str, ticket_id: int) -> str:
    """The web queue's page of the ticket, where it is taken over."""
    return f"{link_base.rstrip('/')}/tickets/{ticket_id}"


def time_left(left: timedelta) -> str:
    """``3h59 left``, ``48m left`` or ``deadline passed 12m ago``."""
    minutes = int(left.total_seconds() // 60)
    if minutes < 0:
        return f"deadline passed {_hours(-minutes)} ago"
    return f"{_hours(minutes)} left"


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours}h{rest:02d}" if hours else f"{rest}m"
