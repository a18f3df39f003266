"""``vigie sync``: what staff did in the external helpdesk, into Vigie's store.

Take-overs, time worked and closings are recorded as their authors did them, at their
times, so the SLA report (R4) and the monthly statement (R13) see the work logged there;
a take-over seen there is acknowledged in Icinga too. Each thing is imported once (its
helpdesk id is marked in the same transaction). Vigie's own comments (``[vigie]``) are
not read back. Work the contract refuses (R11: the customer must approve first) is left
for a later run; other refusals are noted in the ticket's history and not tried again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.adapters.helpdesks import Helpdesk, HelpdeskError, connect
from bridge.config.calendar import business_calendar
from bridge.config.model import Config
from bridge.domain.helpdesk import VIGIE_PREFIX, StaffAction
from bridge.domain.refusals import Refusal, may_close, may_log_work, may_take
from bridge.domain.tickets import Ticket
from bridge.store.unit_of_work import UnitOfWork

# Closed tickets are still read this long after their closing: work logged late is billed.
KEEP_READING = timedelta(days=62)


@dataclass
class Synced:
    """What a ``vigie sync`` run did."""

    imported: list[tuple[int, StaffAction]] = field(default_factory=list)
    held: list[tuple[int, StaffAction, str]] = field(default_factory=list)  # retried later
    noted: list[tuple[int, StaffAction, str]] = field(default_factory=list)  # not imported
    acknowledged: list[tuple[int, str | None]] = field(default_factory=list)
    failed: list[tuple[int, str]] = field(default_factory=list)  # the helpdesk failed


def sync(
    uow: UnitOfWork, config: Config, now: datetime, helpdesk: Helpdesk | None = None
) -> Synced:
    """Read back every mirrored ticket's activity and record what is new."""
    with uow:
        tickets = [
            ticket
            for ticket in uow.tickets.tickets()
            if ticket.external_ref is not None
            and (ticket.closed_at is None or now - ticket.closed_at <= KEEP_READING)
        ]
    done = Synced()
    if not tickets:
        return done
    if helpdesk is None:
        helpdesk = connect(config.helpdesk, config.helpdesk.timeout)
    for ticket in tickets:
        assert ticket.external_ref is not None
        try:
            actions = helpdesk.activity(ticket.external_ref)
        except HelpdeskError as error:
            done.failed.append((ticket.id, str(error)))
            continue
        _import(uow, config, helpdesk.name, ticket.id, actions, now, done)
    return done


def _import(
    uow: UnitOfWork,
    config: Config,
    name: str,
    ticket_id: int,
    actions: Sequence[StaffAction],
    now: datetime,
    done: Synced,
) -> None:
    last_comment: str | None = None
    # A closing last among things of the same instant: its debrief is the comment beside it.
    for action in sorted(actions, key=lambda a: (a.at, a.kind == "closed")):
        if action.kind in ("comment", "work") and (action.text or "").startswith(VIGIE_PREFIX):
            continue  # Vigie's own, sent through the outbox
        if action.kind == "comment":
            last_comment = action.text
        with uow:
            if uow.helpdesk.synced(action.source):
                continue
            ticket = uow.tickets.get(ticket_id)
            outcome = _apply(uow, config, name, ticket, action, last_comment, now)
            if outcome == "held":
                done.held.append((ticket_id, action, outcome))
                continue  # rolled back: tried again on the next run
            uow.helpdesk.mark_synced(action.source, ticket_id, now)
            uow.commit()
        if isinstance(outcome, str) and outcome not in ("imported", "taken"):
            done.noted.append((ticket_id, action, outcome))
        else:
            done.imported.append((ticket_id, action))
        if outcome == "taken":
            from bridge.services.icinga import acknowledge  # after the commit, as staff do

            with uow:
                taken = uow.tickets.get(ticket_id)
            done.acknowledged.append((ticket_id, acknowledge(uow, config.icinga, taken, now)))


def _apply(
    uow: UnitOfWork,
    config: Config,
    name: str,
    ticket: Ticket,
    action: StaffAction,
    last_comment: str | None,
    now: datetime,
) -> str:
    """Record one action in the open block: "imported", "taken", "held" (R11: not now),
    or why it was only noted."""
    repo, tz, where = uow.tickets, config.timezone, f"in {name}"
    if action.kind == "comment":
        repo.add_entry(
            ticket.id,
            None,
            action.at,
            now,
            "helpdesk_comment",
            actor=action.by,
            comment=f"{where}: {action.text}",
        )
        return "imported"
    if action.kind == "resolved":
        repo.add_entry(
            ticket.id, None, action.at, now, "note", actor=action.by, comment=f"resolved {where}"
        )
        return "imported"
    if action.kind == "taken":
        if ticket.taken_at is not None or ticket.status == "closed":
            return "imported"  # already taken (by Vigie's own change, or earlier)
        verdict = may_take(ticket, action.at, tz)
        if verdict is None:
            repo.set_taken(ticket.id, action.by, action.at)
            repo.add_entry(
                ticket.id,
                None,
                action.at,
                now,
                "taken",
                actor=action.by,
                comment=f"taken over {where}",
            )
            return "taken"
    elif action.kind == "work":
        assert action.minutes is not None
        calendar = business_calendar(config, holiday_cache_dir=config.store_path.parent)
        verdict = may_log_work(
            ticket,
            repo.work(ticket.id),
            repo.approvals(ticket.id),
            action.minutes,
            ticket.kind,
            action.at,
            config.customers.get(ticket.customer or ""),
            calendar.is_business_time(ticket.reference_at),
            config.rates,
            tz,
        )
        if isinstance(verdict, Refusal) and verdict.rule == "R11":
            return "held"
        if verdict is None:
            note = f"logged {where}" + (f": {action.text}" if action.text else "")
            repo.add_work(ticket.id, action.minutes, action.by, action.at, ticket.kind, note, now)
            what = f"{action.minutes} min of {ticket.kind} work {where}"
            repo.add_entry(ticket.id, None, action.at, now, "work", actor=action.by, comment=what)
            return "imported"
    else:  # closed
        if ticket.status == "closed":
            return "imported"
        debrief = last_comment or action.text or f"closed {where} by {action.by}"
        verdict = may_close(ticket, debrief, action.at, tz)
        if verdict is None:
            repo.set_closed(ticket.id, action.at, debrief, ticket.sla_closed_at or action.at)
            repo.add_entry(
                ticket.id, None, action.at, now, "closed", actor=action.by, comment=debrief
            )
            return "imported"
    assert verdict is not None
    why = f"{action.kind} {where} by {action.by} not imported: {verdict.message}"
    repo.add_entry(ticket.id, None, action.at, now, "note", actor=action.by, comment=why)
    return why
