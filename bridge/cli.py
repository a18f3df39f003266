"""The ``vigie`` command: parse, call the core and the store, print. Nothing more.

Exit codes: 0 done, 1 refused by a contract rule (the message names it), 2 bad input or
configuration (the message says what and where), 3 an internal error (a bug: report it).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import click

from bridge import intake
from bridge.config import Config, ConfigError, Customer, config_path, load_config
from bridge.intake import (
    EXIT_BAD_INPUT,
    EXIT_INTERNAL,
    EXIT_REFUSED,
    EXIT_TEMPFAIL,
    NOTIFY_OPTIONS,
    business_calendar,
    envvar,
)
from bridge.store import (
    Invalid,
    NewTicket,
    NotFound,
    Refused,
    Store,
    StoreError,
    StoreUnavailable,
)
from bridge.tickets import CATEGORIES, Ticket, approval_json, history_json, ticket_json, work_json
from bridge.times import TimeFormatError, parse_time, to_display

ACKNOWLEDGED = "acknowledged in Icinga"
CLOCK_SKEW = timedelta(minutes=5)  # how far in the future a staff-given time may be


class Failure(click.ClickException):
    """One line on stderr and a chosen exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"vigie: {self.format_message()}", err=True)


def bad_input(message: str) -> NoReturn:
    raise Failure(message, EXIT_BAD_INPUT)


def refused(message: str) -> NoReturn:
    raise Failure(message, EXIT_REFUSED)


@dataclass
class App:
    """What every command needs: the configuration (loaded once, on first use) and now."""

    config_option: str | None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _config: Config | None = None

    @property
    def config(self) -> Config:
        if self._config is None:
            try:
                self._config = intake.load(self.config_option)
            except intake.IntakeFailure as failure:
                raise Failure(str(failure), failure.exit_code) from None
        return self._config

    @contextmanager
    def store(self, create: bool = True) -> Iterator[Store]:
        try:
            with Store(self.config.store_path, create) as store:
                yield store
        except StoreUnavailable as error:
            bad_input(str(error))
        except (NotFound, Invalid) as error:
            bad_input(str(error))
        except Refused as error:
            refused(str(error))

    def time(self, option: str, value: str | None, future: bool = False) -> datetime:
        """A time option (default now); things that happened cannot be in the future."""
        if value is None:
            return self.now
        try:
            moment = parse_time(value, self.config.timezone)
        except TimeFormatError as error:
            bad_input(f"{option}: {error}")
        if not future and moment > self.now + CLOCK_SKEW:
            bad_input(f"{option}: {value} is in the future")
        return moment

    def show_time(self, moment: datetime | None) -> str:
        return to_display(moment, self.config.timezone) or "-"


pass_app = click.make_pass_decorator(App)
TICKET_ID = click.IntRange(1, 2**63 - 1)  # SQLite's INTEGER
FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
    help="How to print records.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_option",
    envvar="VIGIE_CONFIG",
    metavar="FILE",
    help="vigie.yaml [env VIGIE_CONFIG; default /etc/vigie/vigie.yaml]",
)
@click.version_option(package_name="vigie", prog_name="vigie")
@click.pass_context
def cli(ctx: click.Context, config_option: str | None) -> None:
    """Vigie: Icinga 2 notifications become helpdesk tickets with SLA deadlines and bills."""
    ctx.obj = App(config_option)


# -- notify ---------------------------------------------------------------------------------


def _notify_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for name, help_text in reversed(NOTIFY_OPTIONS):
        env = envvar(name)
        command = click.option(f"--{name}", envvar=env, help=f"{help_text} [env {env}]")(command)
    return command


@cli.command()
@_notify_options
@pass_app
def notify(app: App, /, **options: str | None) -> None:
    """Record one Icinga notification; exit 0 once it is durably stored."""
    by_flag = {name.replace("_", "-"): value for name, value in options.items()}
    try:
        lines = intake.notify(app.config_option, by_flag, app.now)
    except intake.IntakeFailure as failure:
        raise Failure(str(failure), failure.exit_code) from None
    click.echo("\n".join(lines))


# -- reading --------------------------------------------------------------------------------


def _breached(app: App, ticket: Ticket) -> bool:
    from bridge.sla import is_breached

    return is_breached(
        deadline_at=ticket.deadline_at,
        taken_at=ticket.taken_at,
        closed_at=ticket.sla_closed_at,
        recovered_at=ticket.sla_recovered_at,
        now=app.now,
    )


def _table(rows: Sequence[Sequence[str]], headers: Sequence[str]) -> str:
    widths = [
        max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=False)
    ]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [headers, *rows]
    ]
    return "\n".join(line.rstrip() for line in lines)


def _json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


@cli.command()
@click.option("--open", "open_only", is_flag=True, help="Only tickets not closed.")
@click.option("--customer", help="Only this customer's tickets.")
@click.option("--server", help="Only this server's tickets.")
@FORMAT
@pass_app
def tickets(app: App, open_only: bool, customer: str | None, server: str | None, fmt: str) -> None:
    """List tickets."""
    with app.store(create=False) as store:
        found = store.tickets(open_only=open_only, customer=customer, server=server)
    if fmt == "json":
        _json([ticket_json(t, _breached(app, t), app.config.timezone) for t in found])
        return
    rows = [
        (
            str(t.id),
            t.status,
            t.customer or "-",
            t.key or t.server or "-",
            t.level or "-",
            app.show_time(t.reference_at),
            app.show_time(t.deadline_at),
            "BREACHED" if _breached(app, t) else "",
            t.subject[:60],
        )
        for t in found
    ]
    headers = (
        "ID",
        "STATUS",
        "CUSTOMER",
        "WHAT",
        "LEVEL",
        "REFERENCE",
        "DEADLINE",
        "SLA",
        "SUBJECT",
    )
    click.echo(_table(rows, headers) if rows else "no tickets")


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@FORMAT
@pass_app
def show(app: App, ticket_id: int, fmt: str) -> None:
    """One ticket with its whole history (R15)."""
    tz = app.config.timezone
    with app.store(create=False) as store:
        ticket = store.get(ticket_id)
        history, work, approvals = (
            store.history(ticket_id),
            store.work(ticket_id),
            store.approvals(ticket_id),
        )
    breached = _breached(app, ticket)
    if fmt == "json":
        data = ticket_json(ticket, breached, tz)
        data["history"] = [history_json(entry, tz) for entry in history]
        data["work"] = [work_json(item, tz) for item in work]
        data["approvals"] = [approval_json(item, tz) for item in approvals]
        _json(data)
        return
    fields = ticket_json(ticket, breached, tz)
    width = max(len(name) for name in fields)
    for name, value in fields.items():
        if value is not None and value != "":
            click.echo(f"{name.ljust(width)}  {value}")
    click.echo("\nhistory:")
    for entry in history:
        detail = " ".join(
            part
            for part in (
                entry.state,
                entry.actor and f"by {entry.actor}",
                entry.comment and f"«{entry.comment}»",
                entry.output and f"— {entry.output.splitlines()[0][:100]}",
            )
            if part
        )
        click.echo(f"  {app.show_time(entry.at)}  {entry.type:<20} {detail}".rstrip())
    if work:
        click.echo("\nwork:")
        for item in work:
            note = f"  {item.note}" if item.note else ""
            click.echo(
                f"  {app.show_time(item.at)}  {item.minutes:>4} min  {item.by:<12} "
                f"{item.category}{note}"
            )
    if approvals:
        click.echo("\napprovals:")
        for approval in approvals:
            click.echo(f"  {app.show_time(approval.at)}  by {approval.by}")


@cli.command()
@click.argument("key")
@FORMAT
@pass_app
def events(app: App, key: str, fmt: str) -> None:
    """Every notification recorded for a host or host!service, ticket or not (R15)."""
    with app.store(create=False) as store:
        found = store.events_of(key)
    tz = app.config.timezone
    if fmt == "json":
        _json([dict(history_json(e, tz), ticket=e.ticket_id) for e in found])
        return
    for entry in found:
        ticket = f"#{entry.ticket_id}" if entry.ticket_id else "-"
        detail = " ".join(part for part in (entry.state, entry.actor, entry.comment) if part)
        click.echo(f"{app.show_time(entry.at)}  {ticket:>6}  {entry.type:<20} {detail}".rstrip())
    if not found:
        click.echo(f"nothing recorded for {key}")


# -- staff ----------------------------------------------------------------------------------


def _customer(app: App, customer_id: str) -> Customer:
    customer = app.config.customers.get(customer_id)
    if customer is None:
        known = ", ".join(sorted(app.config.customers)) or "none"
        bad_input(f"--customer: unknown customer {customer_id!r} (known: {known})")
    return customer


@cli.command("open")
@click.option("--customer", "customer_id", required=True, help="The customer's id in vigie.yaml.")
@click.option("--server", help="The server the request is about (its Icinga host name).")
@click.option("--subject", required=True, help="What the customer asks.")
@click.option("--at", help="When the request was received (R2) [default: now].")
@click.option("--express", is_flag=True, help="Express handling asked, flat fee (R10).")
@click.option("--by", help="Who records the request.")
@FORMAT
@pass_app
def open_request(
    app: App,
    customer_id: str,
    server: str | None,
    subject: str,
    at: str | None,
    express: bool,
    by: str | None,
    fmt: str,
) -> None:
    """Open a ticket for a customer's request."""
    from bridge.sla import take_over_deadline

    config = app.config
    customer = _customer(app, customer_id)
    if not subject.strip():
        bad_input("--subject: empty")
    received = app.time("--at", at)
    day = received.astimezone(config.timezone).date()
    if server is not None and server not in customer.servers:
        known = ", ".join(sorted(customer.servers)) or "none"
        bad_input(f"--server: {server!r} is not a server of {customer_id} (known: {known})")
    covered = [s for s in customer.servers.values() if s.covers(day)]
    if server is not None:
        covered = [s for s in covered if s.name == server]
    # A request naming no server is handled at the customer's best level (as R5 refunds it).
    level = max(covered, key=lambda s: config.levels[s.level].fee).level if covered else None
    deadline = (
        take_over_deadline(received, config.levels[level], business_calendar(config))
        if level
        else None
    )
    new = NewTicket(
        kind="request",
        key=None,
        customer=customer.id,
        server=server,
        service=None,
        level=level,
        subject=subject.strip(),
        reference_at=received,
        deadline_at=deadline,
        express=express,
        assignee=customer.account_manager,
    )
    with app.store() as store:
        ticket = store.open_ticket(new, by, app.now)
    _print_ticket(app, ticket, fmt, "opened")


def _print_ticket(app: App, ticket: Ticket, fmt: str, verb: str) -> None:
    if fmt == "json":
        _json(ticket_json(ticket, _breached(app, ticket), app.config.timezone))
        return
    contract = (
        f"level {ticket.level}, deadline {app.show_time(ticket.deadline_at)}"
        if ticket.level
        else "out of contract (R9)"
    )
    click.echo(f"{verb} ticket {ticket.id} ({ticket.customer or 'unknown customer'}, {contract})")


def _name(option: str, value: str) -> str:
    text = value.strip()
    if not text or any(ord(c) < 32 for c in text):
        bad_input(f"{option}: give a name")
    return text


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--by", required=True, help="Who takes the ticket over.")
@click.option("--at", help="When [default: now].")
@FORMAT
@pass_app
def take(app: App, ticket_id: int, by: str, at: str | None, fmt: str) -> None:
    """Take a ticket over: stops its SLA clock (R4) and acknowledges it in Icinga."""
    by = _name("--by", by)
    when = app.time("--at", at)
    with app.store() as store:
        ticket = store.take(ticket_id, by, when, app.now)
        acknowledged = _acknowledge_in_icinga(app, store, ticket)
    _print_ticket(app, ticket, fmt, "took over")
    if acknowledged is not None and fmt != "json":
        click.echo(acknowledged)


def _acknowledge_in_icinga(app: App, store: Store, ticket: Ticket) -> str | None:
    """Acknowledge the ticket's problem in Icinga; a failure is noted and retried later."""
    api = app.config.icinga
    if api is None or ticket.kind != "incident" or ticket.server is None:
        return None
    from bridge.icinga_api import IcingaApiError, acknowledge_problem

    comment = f"Vigie ticket #{ticket.id} taken over by {ticket.taken_by}"
    try:
        acknowledge_problem(api, ticket.server, ticket.service, ticket.taken_by or "vigie", comment)
    except IcingaApiError as error:
        store.note(ticket.id, "icinga_ack_failed", app.now, app.now, comment=str(error))
        return f"Icinga not acknowledged ({error}); retried by `vigie sync-icinga`"
    store.note(ticket.id, "icinga_acknowledged", app.now, app.now, comment=comment)
    return ACKNOWLEDGED


@cli.command("sync-icinga")
@pass_app
def sync_icinga(app: App) -> None:
    """Retry the Icinga acknowledgements that failed (run it from cron)."""
    retried = failed = 0
    with app.store() as store:
        for ticket in store.tickets(open_only=True):
            last = store.last_entry(ticket.id, ("icinga_ack_failed", "icinga_acknowledged"))
            if last is not None and last.type == "icinga_ack_failed":
                said = _acknowledge_in_icinga(app, store, ticket)
                click.echo(f"ticket {ticket.id}: {said}")
                retried += 1
                failed += said is not None and said != ACKNOWLEDGED
    click.echo(f"{retried} acknowledgement(s) retried, {failed} still failing")
    if failed:
        raise Failure(f"{failed} acknowledgement(s) still failing", EXIT_TEMPFAIL)


@cli.command("send-alerts")
@pass_app
def send_alerts(app: App) -> None:
    """Send the customers' alerts waiting in the outbox (R14; run it from cron)."""
    from bridge.alerts import deliver, exclusive

    failed: list[tuple[Any, str]] = []
    sent = 0
    lock = app.config.store_path.with_name(app.config.store_path.name + ".send-alerts.lock")
    with app.store() as store, exclusive(lock) as mine:
        if not mine:
            click.echo("another vigie send-alerts is running: nothing to do")
            return

        def done(message: Any, error: str | None) -> None:
            nonlocal sent
            store.delivered(message, error, datetime.now(UTC))
            if error is None:
                sent += 1
            else:
                failed.append((message, error))

        waiting = store.undelivered()
        if waiting:
            deliver(waiting, app.config.alerts, done)
    for message, error in failed:
        click.echo(
            f"ticket {message.ticket_id}: {message.channel} to {message.recipient} "
            f"not sent: {error}",
            err=True,
        )
    click.echo(f"{sent} alert(s) sent, {len(failed)} kept for later")
    if failed:
        raise Failure(f"{len(failed)} alert(s) not sent", EXIT_TEMPFAIL)


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--debrief", help="What happened and what was done (required for incidents, R15).")
@click.option("--at", help="When [default: now].")
@FORMAT
@pass_app
def close(app: App, ticket_id: int, debrief: str | None, at: str | None, fmt: str) -> None:
    """Close a ticket, with its debrief."""
    when = app.time("--at", at)
    with app.store() as store:
        ticket = store.close_ticket(ticket_id, debrief, when, app.now)
    _print_ticket(app, ticket, fmt, "closed")


@cli.command()
@click.option("--level", required=True, help="The service level (A, B, C...).")
@click.option("--at", required=True, help="The reference time (R2); without offset, local time.")
@FORMAT
@pass_app
def deadline(app: App, level: str, at: str, fmt: str) -> None:
    """The take-over deadline of a reference time at a level (R3)."""
    from bridge.sla import take_over_deadline

    config = app.config
    if level not in config.levels:
        bad_input(f"--level: unknown level {level!r} (known: {', '.join(sorted(config.levels))})")
    reference = app.time("--at", at, future=True)
    calendar = business_calendar(config)
    due = take_over_deadline(reference, config.levels[level], calendar)
    data = {
        "level": level,
        "reference_at": app.show_time(reference),
        "business_hours": calendar.is_business_time(reference),
        "deadline_at": app.show_time(due),
        "within_seconds": int((due - reference).total_seconds()),
    }
    if fmt == "json":
        _json(data)
    else:
        inside = "inside" if data["business_hours"] else "outside"
        click.echo(
            f"level {level}, reference {data['reference_at']} ({inside} business hours): "
            f"take over by {data['deadline_at']}"
        )


# -- work and billing -----------------------------------------------------------------------


def _approval_check(app: App, minutes: int, category: str) -> Callable[..., None]:
    """R11: refuse work that would take a ticket past its customer's threshold, unapproved."""
    from bridge.billing import approval_needed

    def check(ticket: Ticket, work: Sequence[Any], approvals: Sequence[Any]) -> None:
        customer = app.config.customers.get(ticket.customer or "")
        threshold = None if customer is None else customer.approval_threshold
        if threshold is None or approvals:
            return
        current = sum(w.minutes for w in work if w.category != "update")
        new = 0 if category == "update" else minutes
        inside = business_calendar(app.config).is_business_time(ticket.reference_at)
        if approval_needed(
            current, new, inside, ticket.level is not None, threshold, app.config.rates
        ):
            raise Refused(
                "R11",
                f"ticket {ticket.id}: {minutes} more minutes would take it past "
                f"{ticket.customer}'s approval threshold of {threshold} quarters; record the "
                f"customer's approval first: vigie approve {ticket.id} --by NAME",
            )

    return check


@cli.command("log")
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--minutes", required=True, type=click.IntRange(1, 24 * 60), help="Time spent.")
@click.option("--by", required=True, help="Who did the work.")
@click.option("--at", help="When the work was done [default: now].")
@click.option(
    "--category",
    type=click.Choice(CATEGORIES),
    help="incident, request or update (updates are included in the fee, R6) "
    "[default: the ticket's kind].",
)
@click.option("--note", help="What was done.")
@FORMAT
@pass_app
def log_work(
    app: App,
    ticket_id: int,
    minutes: int,
    by: str,
    at: str | None,
    category: str | None,
    note: str | None,
    fmt: str,
) -> None:
    """Log work on a ticket (refused past the approval threshold, R11)."""
    by = _name("--by", by)
    when = app.time("--at", at)
    with app.store() as store:
        kind = category or store.get(ticket_id).kind
        work = store.log_work(
            ticket_id,
            minutes,
            by,
            when,
            kind,  # type: ignore[arg-type]
            note,
            app.now,
            check=_approval_check(app, minutes, kind),
        )
    if fmt == "json":
        _json(work_json(work, app.config.timezone))
    else:
        click.echo(
            f"logged {work.minutes} min of {work.category} work by {work.by} on ticket {ticket_id}"
        )


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--by", required=True, help="Who approved, at the customer.")
@click.option("--at", help="When [default: now].")
@pass_app
def approve(app: App, ticket_id: int, by: str, at: str | None) -> None:
    """Record the customer's approval to go past the approval threshold (R11)."""
    by = _name("--by", by)
    when = app.time("--at", at)
    with app.store() as store:
        store.approve(ticket_id, by, when, app.now)
    click.echo(f"approval by {by} recorded on ticket {ticket_id}")


DOCUMENT_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="A readable table, JSON, or CSV for the accountant.",
)


def _month(text: str) -> tuple[int, int]:
    """``--month YYYY-MM`` as (year, month), or a one-line error."""
    from bridge.billing import BillingError, parse_month

    try:
        return parse_month(text)
    except BillingError as error:
        bad_input(f"--month: {error}")


def _period_bounds(first: tuple[int, int], last: tuple[int, int]) -> tuple[datetime, datetime]:
    # A day of margin each side: the billing core picks the month in the provider's zone.
    start = datetime(first[0], first[1], 1, tzinfo=UTC) - timedelta(days=1)
    year, month = last[0] + (last[1] == 12), last[1] % 12 + 1
    return start, datetime(year, month, 1, tzinfo=UTC) + timedelta(days=1)


def _billable(app: App, store: Store, tickets: Sequence[Ticket]) -> list[Any]:
    from bridge.billing import BillableTicket, WorkEntry

    calendar = business_calendar(app.config)
    work = store.work_of([t.id for t in tickets])
    return [
        BillableTicket(
            id=t.id,
            customer=t.customer or "",
            server=t.server,
            kind=t.kind,
            subject=t.subject,
            reference_at=t.reference_at,
            business_hours=calendar.is_business_time(t.reference_at),
            level=t.level,
            express=t.express,
            breached=_breached(app, t),
            work=tuple(WorkEntry(w.at, w.minutes, w.by, w.category) for w in work[t.id]),
        )
        for t in tickets
    ]


def _customers_for(
    app: App, store: Store, customer: str | None, every: bool, since: datetime, until: datetime
) -> list[str]:
    if every:
        return sorted(set(app.config.customers) | set(store.customers(since, until)))
    if customer is None:
        bad_input("give --customer C or --all")
    if customer not in app.config.customers and not store.tickets(customer=customer):
        known = ", ".join(sorted(app.config.customers)) or "none"
        bad_input(f"--customer: unknown customer {customer!r} (known: {known})")
    return [customer]


def _print_documents(app: App, documents: Sequence[Any], fmt: str, every: bool) -> None:
    from bridge.documents import document_csv, document_dict, document_table

    tz = app.config.timezone
    if fmt == "json":
        dicts = [document_dict(d, tz) for d in documents]
        _json(dicts if every else dicts[0])
    elif fmt == "csv":
        click.echo(
            "".join(document_csv(d, header=i == 0, tz=tz) for i, d in enumerate(documents)),
            nl=False,
        )
    else:
        click.echo("\n\n".join(document_table(d, tz) for d in documents))


@cli.command()
@click.option("--customer", help="The customer's id.")
@click.option("--all", "every", is_flag=True, help="Every customer's statement.")
@click.option("--month", required=True, help="YYYY-MM")
@DOCUMENT_FORMAT
@pass_app
def statement(app: App, customer: str | None, every: bool, month: str, fmt: str) -> None:
    """The monthly statement: work, express fees, SLA refunds, VAT (R13)."""
    from bridge.billing import BillingError, monthly_statement

    year, number = _month(month)
    since, until = _period_bounds((year, number), (year, number))
    config = app.config
    documents = []
    with app.store(create=False) as store:
        for customer_id in _customers_for(app, store, customer, every, since, until):
            found = store.tickets(customer=customer_id, since=since, until=until)
            try:
                documents.append(
                    monthly_statement(
                        config.customers.get(customer_id),
                        customer_id,
                        year,
                        number,
                        _billable(app, store, found),
                        config.levels,
                        config.rates,
                        tz=config.timezone,
                    )
                )
            except BillingError as error:
                bad_input(f"{customer_id}: {error}")
    _print_documents(app, documents, fmt, every)


@cli.command()
@click.option("--customer", help="The customer's id.")
@click.option("--all", "every", is_flag=True, help="Every customer's invoice.")
@click.option("--quarter", required=True, help="YYYY-Qn")
@DOCUMENT_FORMAT
@pass_app
def invoice(app: App, customer: str | None, every: bool, quarter: str, fmt: str) -> None:
    """The quarterly advance invoice of the contract fees (R12)."""
    from bridge.billing import BillingError, parse_quarter, quarterly_invoice

    try:
        year, number = parse_quarter(quarter)
    except BillingError as error:
        bad_input(f"--quarter: {error}")
    config = app.config
    if every:
        chosen = sorted(config.customers)
    elif customer is None:
        bad_input("give --customer C or --all")
    else:
        _customer(app, customer)
        chosen = [customer]
    try:
        documents = [
            quarterly_invoice(config.customers[c], year, number, config.levels, config.rates)
            for c in chosen
        ]
    except BillingError as error:
        bad_input(str(error))
    _print_documents(app, documents, fmt, every)


@cli.command("sla")
@click.option("--month", required=True, help="YYYY-MM")
@FORMAT
@pass_app
def sla_month(app: App, month: str, fmt: str) -> None:
    """Per customer and level: tickets, met, breached, take-over times, refunds due."""
    from bridge.billing import SlaOutcome, SlaRecord, sla_report
    from bridge.documents import sla_dicts, sla_table
    from bridge.sla import sla_status

    year, number = _month(month)
    since, until = _period_bounds((year, number), (year, number))
    config = app.config
    with app.store(create=False) as store:
        found = [t for t in store.tickets(since=since, until=until) if t.level and t.customer]
    records = []
    for t in found:
        status = sla_status(
            t.deadline_at,
            now=app.now,
            taken_at=t.taken_at,
            closed_at=t.sla_closed_at,
            recovered_at=t.sla_recovered_at,
        )
        outcome: SlaOutcome = (
            "met"
            if status in ("met", "recovered")
            else "breached"
            if status == "breached"
            else "pending"
        )
        records.append(
            SlaRecord(
                t.id,
                t.customer or "",
                t.server,
                t.level,
                t.reference_at,
                t.taken_at or t.closed_at,
                outcome,
            )
        )
    rows = sla_report(records, config.customers, year, number, config.levels, tz=config.timezone)
    if fmt == "json":
        _json(sla_dicts(rows))
    else:
        click.echo(sla_table(rows, month))


@cli.command("check-config")
@pass_app
def check_config(app: App) -> None:
    """Validate the configuration: exit 0, or 2 with every problem listed."""
    path = config_path(app.config_option)
    try:
        config = load_config(path, check_holidays=True)
    except ConfigError as error:
        for problem in error.problems:
            click.echo(intake.located(path, problem), err=True)
        raise Failure(f"{len(error.problems)} problem(s) in {path}", EXIT_BAD_INPUT) from None
    servers = sum(len(c.servers) for c in config.customers.values())
    click.echo(
        f"{path}: OK ({len(config.customers)} customers, {servers} servers, "
        f"levels {', '.join(sorted(config.levels))})"
    )


def main() -> None:
    """Console entry point: no traceback ever reaches the user."""
    if len(sys.argv) == 1:
        sys.argv.append("--help")  # the overview, rather than a usage error
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Exit as done:
        sys.exit(done.exit_code)
    except BrokenPipeError:
        # The reader went away (`vigie tickets | head`): not an error of ours. Python would
        # complain again when flushing stdout at exit, so point it at /dev/null first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except click.Abort:
        click.echo("vigie: aborted", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.UsageError as error:
        # One line, as everywhere else; click's usual usage block is three more.
        where = error.ctx.command_path if error.ctx else "vigie"
        click.echo(f"{where}: {error.format_message()} (see {where} --help)", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (StoreError, ConfigError) as error:
        click.echo(f"vigie: {error}", err=True)
        sys.exit(EXIT_BAD_INPUT)
    except Exception as error:  # a bug: one line, never a traceback
        click.echo(f"vigie: internal error: {type(error).__name__}: {error}", err=True)
        sys.exit(EXIT_INTERNAL)
