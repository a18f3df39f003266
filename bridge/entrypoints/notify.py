"""``vigie notify``: one Icinga notification in, durably stored, one line out (the lean path).

This is the path Icinga runs thousands of times a day, often hundreds at once, so it stays
lean: it never imports click (the launcher parses a plain ``notify`` call itself with the
option table of ``notify_call``, and hands anything else to the click CLI), nor anything
heavy. A running ``vigie notify-server`` keeps this module loaded and runs ``notify`` for
the launcher, which then loads none of it.
Whatever fails once the event is read, the event is not lost: it goes to the spool. The
recording itself is ``services.notifications``; this parses, calls and prints.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from bridge.config.load import config_path, load_config
from bridge.config.model import DEFAULT_STORE_PATH, Config, ConfigError
from bridge.domain.notification import BadNotification, Event, parse_event
from bridge.domain.times import to_display
from bridge.entrypoints.notify_call import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_TEMPFAIL,
)
from bridge.services.notifications import Outcome, record_notification, replay_spool
from bridge.store import journal, spool
from bridge.store.errors import StoreUnavailable
from bridge.store.unit_of_work import open_store

# A run records what earlier runs left before its own event, within these bounds: well
# under Icinga's 30 s, so a long backlog never holds new notifications back (``vigie
# replay``, from cron, drains the rest).
REPLAY_RECORDS = 2000
REPLAY_SECONDS = 5.0


class IntakeFailure(Exception):
    """The notification was not recorded: one line for stderr and the exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def notify(
    config_option: str | None, options: Mapping[str, str | None], now: datetime
) -> list[str]:
    """Record one notification; return the lines to print, or raise IntakeFailure."""
    try:
        config: Config | None = load(config_option)
        broken = None
    except IntakeFailure as failure:
        config, broken = None, failure
    try:
        event = parse_event(
            type=options.get("type"),
            host=options.get("host"),
            service=options.get("service"),
            state=options.get("state"),
            output=options.get("output"),
            since=options.get("since"),
            author=options.get("author"),
            comment=options.get("comment"),
            customer=options.get("customer"),
            notification_number=options.get("notification-number"),
            received_at=now,
            tz=UTC if config is None else config.timezone,
        )
    except BadNotification as error:
        raise IntakeFailure(str(error), EXIT_BAD_INPUT) from None
    if config is None:
        assert broken is not None
        kept_in = spool.spool_path(fallback_store(config_option))
        try:
            spool.append(kept_in, event)
        except spool.SpoolError as spool_error:
            raise IntakeFailure(
                f"{broken}; and {spool_error}: NOTHING RECORDED", EXIT_TEMPFAIL
            ) from None
        raise IntakeFailure(
            f"{broken}; {event.type} for {event.key} kept in {kept_in}, recorded once the "
            "configuration is fixed",
            EXIT_BAD_INPUT,
        )
    spooled = spool.spool_path(config.store_path)
    lines = []
    # First the event goes to the journal (one small fsynced file, no lock to wait for):
    # a run Icinga kills from now on leaves it for the next run to record.
    entry = _journal(config, event)
    uow = open_store(config)
    try:
        replayed = replay_spool(
            uow, config, spooled, now, max_records=REPLAY_RECORDS, max_seconds=REPLAY_SECONDS
        )
        if replayed:
            lines.append(f"replayed {replayed} spooled notification(s) from {spooled}")
        outcome = record_notification(uow, config, event, now)
    except Exception as error:  # whatever failed, the event must not be lost: spool it
        lines.append(_keep(error, event, spooled, entry))
        return lines
    if entry is not None:
        entry.done()
    lines.append(describe(outcome, event, config))
    if outcome.helpdesk is not None:
        lines.append(outcome.helpdesk)
    return lines


def _journal(config: Config, event: Event) -> journal.Entry | None:
    """The event in the journal, or None where it cannot be written (a full disk, a folder
    Vigie may not write): the store or the spool may still take it."""
    try:
        return journal.write(journal.journal_folder(config.store_path), event)
    except OSError:
        return None


def _keep(error: Exception, event: Event, spooled: Path, entry: journal.Entry | None) -> str:
    """Keep an event the store did not take: in the spool, else in the journal; the line to
    print, or IntakeFailure when it could not be kept at all."""
    where = spooled
    try:
        spool.append(spooled, event)
    except spool.SpoolError as spool_error:
        if entry is None:
            raise IntakeFailure(
                f"{error}; and {spool_error}: NOTHING RECORDED", EXIT_TEMPFAIL
            ) from None
        entry.keep()  # durably in the journal: the next run that can write records it
        where = entry.path.parent
    else:
        if entry is not None:
            entry.done()
    kept = f"{event.type} for {event.key} kept in {where}"
    if isinstance(error, ConfigError):
        raise IntakeFailure(
            f"configuration: {error}; {kept}, recorded once it is fixed", EXIT_BAD_INPUT
        ) from None
    if not isinstance(error, StoreUnavailable):
        raise IntakeFailure(
            f"internal error: {type(error).__name__}: {error}; {kept}", EXIT_INTERNAL
        ) from None
    return (
        f"spooled {event.type} for {event.key} in {where} ({error}); "
        "it is recorded on the next run that can write the store"
    )


def fallback_store(config_option: str | None) -> Path:
    """Where the store is while the configuration is broken: the last one validated."""
    from bridge.config import cache as config_cache

    last = config_cache.read(config_path(config_option), stale=True)
    return last.store_path if isinstance(last, Config) else DEFAULT_STORE_PATH


def load(config_option: str | None) -> Config:
    """The configuration, or IntakeFailure naming the file and its first problem."""
    path = config_path(config_option)
    try:
        return load_config(path)
    except ConfigError as error:
        first = located(path, error.problems[0] if error.problems else str(error))
        more = len(error.problems) - 1
        tail = f" (and {more} more: run vigie check-config)" if more > 0 else ""
        raise IntakeFailure(f"configuration {first}{tail}", EXIT_BAD_INPUT) from None


def located(path: object, problem: str) -> str:
    """A configuration problem with its file named once: file-level ones already name it."""
    return problem if problem.startswith(str(path)) else f"{path}: {problem}"


def describe(outcome: Outcome, event: Event, config: Config) -> str:
    """The one line ``vigie notify`` prints."""
    what = outcome.entry.replace("_", " ")
    if outcome.ticket_id is None:
        return f"{event.type} for {event.key}: {what} recorded (no ticket follows {event.key})"
    where = f"ticket {outcome.ticket_id}"
    if outcome.duplicate:
        return f"{event.type} for {event.key} already recorded ({where}): nothing changed"
    ticket = outcome.opened
    if ticket is not None:
        deadline = to_display(ticket.deadline_at, config.timezone)
        contract = (
            f"level {ticket.level}, deadline {deadline}" if ticket.level else "out of contract (R9)"
        )
        return (
            f"opened ticket {ticket.id} for {event.key} "
            f"({ticket.customer or 'unknown customer'}, {contract})"
        )
    extra = " (taken over)" if outcome.took else ""
    extra += " (closed on recovery)" if outcome.closed else ""
    return f"{event.type} for {event.key}: {what} on {where}{extra}"
