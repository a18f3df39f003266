"""Recording Icinga notifications: one event, one transaction, one outcome (R2, R4, R14).

``record_notification`` reads what the store knows of the event's key, lets
``domain.incidents.decide`` say what the event does, applies that decision, queues the
customer's alerts and commits; ``replay_spool`` records what an earlier run had to spool.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from bridge.adapters.alert_templates import texts_from
from bridge.config.calendar import business_calendar
from bridge.config.model import Config, ConfigError
from bridge.domain.alerts import compose
from bridge.domain.incidents import (
    ACK_DUE,
    AUTO_DEBRIEF,
    Decision,
    closes_on_recovery,
    decide,
    kept_for_sla,
    reopened_status,
    state_of,
)
from bridge.domain.notification import EARLIEST_REFERENCE, Event, with_plausible_since
from bridge.domain.tickets import Ticket, incident_ticket
from bridge.store import journal, spool
from bridge.store.errors import Conflict, StoreUnavailable
from bridge.store.repository import Repository
from bridge.store.unit_of_work import UnitOfWork

# Failures that are not the event's fault: replaying stops there and tries again later.
TRANSIENT: tuple[type[BaseException], ...] = (StoreUnavailable, ConfigError)


@dataclass(frozen=True)
class Outcome:
    """What recording a notification did, for the one line ``vigie notify`` prints."""

    ticket_id: int | None
    entry: str
    duplicate: bool = False
    took: bool = False
    closed: bool = False
    opened: Ticket | None = None
    reacknowledge: bool = False  # the problem is back on a taken ticket: acknowledge again
    helpdesk: str | None = None  # what delivering to an external helpdesk did, if one is set


# How often a notification is recorded again after another writer got there first: once
# is enough (the second pass sees what the other wrote); more is a bug, not a race.
CONFLICT_ATTEMPTS = 3


def record_notification(
    uow: UnitOfWork, config: Config, event: Event, now: datetime, deliver: bool = True
) -> Outcome:
    """Record one notification: open, update or only note a ticket. The same notification
    recorded twice changes nothing the second time, whichever master of an HA pair sent it.
    With an external helpdesk, what it owes the helpdesk goes to the outbox in the same
    transaction, then (``deliver``) is tried within ``helpdesk.deliver_within``; what fails
    stays for ``vigie flush``."""
    event = with_plausible_since(event, _earliest_reference(config, event))
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            return _record(uow, config, event, now, deliver)
        except Conflict:
            # The other master opened this incident or recorded this event in a transaction
            # that committed while ours ran: ours was rolled back; decide again, seeing it.
            if attempt == CONFLICT_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _record(uow: UnitOfWork, config: Config, event: Event, now: datetime, deliver: bool) -> Outcome:
    with uow:
        repo = uow.tickets
        # Writers of the same host wait for each other (PostgreSQL; SQLite has one writer).
        repo.hold(event.host)
        seen = repo.entry_with_identity(event.identity)
        if seen is not None:
            return Outcome(seen.ticket_id, "duplicate", duplicate=True)
        decision = decide(
            event,
            open_ticket=state_of(repo.open_ticket_following(event.key)),
            host_ticket=state_of(
                None if event.service is None else repo.open_ticket_keyed(event.host)
            ),
            last_ticket=state_of(repo.last_ticket_following(event.key)),
            last_state=repo.last_state(event.key),
            reopen_within=config.reopen_within,
        )
        outcome, ticket = _apply(repo, config, event, decision, now)
        if event.reported_since is not None:
            repo.add_entry(
                outcome.ticket_id,
                event.key,
                event.received_at,
                now,
                "note",
                comment=f"Icinga gave {event.reported_since.isoformat()} as the reference "
                "time, before any contract: the notification's time stands in for it (R2)",
            )
        if ticket is not None:  # opened or recovered: the customer is told (R14)
            for channel, recipient, subject, body in compose(
                config.customers,
                config.timezone,
                ticket,
                decision.entry,
                texts_from(config.alerts.templates),
                portal_link(config, ticket.id),
            ):
                repo.add_message(ticket.id, channel, recipient, subject, body, now)
        if config.helpdesk.external and outcome.ticket_id is not None:
            _queue_for_helpdesk(uow, event, outcome, now)
        uow.commit()
    if config.helpdesk.external and outcome.ticket_id is not None and deliver:
        # Only where a helpdesk is configured: the embedded default imports nothing more.
        from bridge.services.helpdesk_outbox import deliver_after_commit

        outcome = replace(
            outcome, helpdesk=deliver_after_commit(uow, config, outcome.ticket_id, now)
        )
    if outcome.reacknowledge and outcome.ticket_id is not None:
        # After the commit: the event is safe whatever Icinga answers, and its write lock
        # is released before Icinga runs the ACKNOWLEDGEMENT notification this causes.
        from bridge.services.icinga import reacknowledge  # rare: off notify's usual path

        reacknowledge(uow, config.icinga, outcome.ticket_id, now)
    return outcome


def _queue_for_helpdesk(uow: UnitOfWork, event: Event, outcome: Outcome, now: datetime) -> None:
    """The outbox items this notification owes the external helpdesk (same transaction)."""
    from bridge.domain.helpdesk import changes_for

    assert outcome.ticket_id is not None
    ticket = uow.tickets.get(outcome.ticket_id)
    text = f"{event.type} {event.key}" + (f" {event.state}" if event.state else "")
    text += f" since {event.since.isoformat()}"
    if event.output:
        text += f"\n{event.output}"
    if event.author or event.comment:
        text += f"\n{event.author or ''}: {event.comment or ''}"
    opened = outcome.opened is not None
    for action, payload in changes_for(opened, outcome.took, outcome.closed, ticket, text):
        uow.helpdesk.add(ticket.id, action, payload, now)


def _earliest_reference(config: Config, event: Event) -> datetime:
    """The earliest plausible reference time of ``event``: 2000, or its server's contract
    start (the first day of that month, as contracts cover whole months)."""
    for customer in config.customers.values():
        server = customer.servers.get(event.host)
        if server is not None:
            start = datetime(server.since.year, server.since.month, 1, tzinfo=config.timezone)
            return max(EARLIEST_REFERENCE, start)
    return EARLIEST_REFERENCE


def _apply(
    repo: Repository, config: Config, event: Event, decision: Decision, now: datetime
) -> tuple[Outcome, Ticket | None]:
    """Write what ``decision`` says; the outcome, and the ticket as it now is when it was
    opened or recovered."""
    at = event.since if event.type in ("PROBLEM", "RECOVERY") else event.received_at
    ticket_id = decision.ticket_id
    if decision.action == "open":
        calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
        new = incident_ticket(event, config.customers, config.levels, calendar, config.timezone)
        in_downtime = repo.last_downtime_entry((event.key, event.host)) == "downtime_start"
        ticket_id = repo.add(new, in_downtime, now)
    if ticket_id is not None and decision.action == "reopen":
        ticket = repo.get(ticket_id)
        kept = kept_for_sla(ticket.sla_closed_at, ticket.deadline_at, event.since)
        repo.reopen(ticket_id, reopened_status(ticket), kept)
    repo.add_entry(ticket_id, event.key, at, now, decision.entry, event)
    took = closed = False
    if ticket_id is not None:
        ticket = repo.get(ticket_id)
        if event.state is not None and ticket.key == event.key:
            repo.set_last_state(ticket_id, event.state)
        if decision.clear_recovery:
            kept = kept_for_sla(ticket.sla_recovered_at, ticket.deadline_at, event.since)
            repo.set_recovered(ticket_id, None, kept)
        if decision.take:
            taker = event.author or "icinga"
            repo.set_taken(ticket_id, taker, event.received_at)
            # Every take-over shows as "taken", whichever way it came in.
            repo.add_entry(ticket_id, None, event.received_at, now, "taken", actor=taker)
            took = True
        if decision.recover:
            repo.set_recovered(ticket_id, at, ticket.sla_recovered_at or at)
            if closes_on_recovery(config.customers, ticket.customer):
                repo.set_closed(ticket_id, at, AUTO_DEBRIEF, ticket.sla_closed_at or at)
                repo.add_entry(ticket_id, None, at, now, "closed", comment=AUTO_DEBRIEF)
                closed = True
    again = decision.reacknowledge and ticket_id is not None and config.icinga is not None
    if again:
        # Written with the event, so that `vigie sync-icinga` acknowledges it should this
        # run die before Icinga answers.
        owner = repo.get(ticket_id).taken_by if ticket_id is not None else None
        repo.add_entry(
            ticket_id,
            None,
            event.received_at,
            now,
            ACK_DUE,
            actor=owner,
            comment="the problem came back on a ticket taken over: acknowledged again",
        )
    told = ticket_id is not None and (decision.action == "open" or decision.recover)
    now_ticket = repo.get(ticket_id) if told and ticket_id is not None else None
    opened = now_ticket if decision.action == "open" else None
    outcome = Outcome(
        ticket_id, decision.entry, took=took, closed=closed, opened=opened, reacknowledge=again
    )
    return outcome, now_ticket


def replay_spool(
    uow: UnitOfWork,
    config: Config,
    spooled: Path,
    now: datetime,
    *,
    max_records: int | None = None,
    max_seconds: float | None = None,
) -> int | None:
    """Record what earlier runs left, oldest first and within the bounds given; how many
    (None: nothing waited). First the journal of runs that died before recording their
    event, then the spool of events the store could not take."""
    folder = journal.journal_folder(config.store_path)
    if not (journal.pending(folder) or spool.pending(spooled)):
        return None

    def record(event: Event) -> None:
        record_notification(uow, config, event, now, deliver=False)  # `vigie flush` will

    try:
        count = journal.replay(folder, record, TRANSIENT, spooled)
        if max_records is not None:
            max_records = max(0, max_records - count)
        return count + spool.replay(spooled, record, TRANSIENT, max_records, max_seconds)
    except OSError as error:  # the files beside the store cannot be written (a full disk)
        raise StoreUnavailable(f"cannot replay {spooled}: {error.strerror or error}") from None


def waiting(config: Config, spooled: Path) -> bool:
    """Whether events still wait in the journal or the spool (a cheap look)."""
    return journal.pending(journal.journal_folder(config.store_path)) or spool.pending(spooled)


def portal_link(config: Config, ticket_id: int) -> str | None:
    """The ticket's page on the portal, when ``web.public_url`` says where that is."""
    base = config.web.public_url
    return None if base is None else f"{base}/tickets/{ticket_id}"
