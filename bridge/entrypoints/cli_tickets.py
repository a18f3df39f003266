"""The ``vigie`` commands on tickets: notify, list, show, events, open, take, log, approve,
close, and the cron jobs sync-icinga, send-alerts and replay. Each parses, calls one service,
prints.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from bridge.domain.tickets import CATEGORIES, Category
from bridge.entrypoints import notify as intake
from bridge.entrypoints.cli_app import (
    FORMAT,
    TICKET_ID,
    App,
    Failure,
    cli,
    echo_json,
    name,
    pass_app,
    print_ticket,
)
from bridge.entrypoints.notify_call import EXIT_TEMPFAIL, NOTIFY_OPTIONS, envvar
from bridge.entrypoints.render import (
    approval_json,
    history_json,
    printable,
    table,
    ticket_json,
    work_json,
)
from bridge.services import tickets as services


def _notify_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option, help_text in reversed(NOTIFY_OPTIONS):
        env = envvar(option)
        command = click.option(f"--{option}", envvar=env, help=f"{help_text} [env {env}]")(command)
    return command


@cli.command()
@_notify_options
@pass_app
def notify(app: App, /, **options: str | None) -> None:
    """Record one Icinga notification; exit 0 once it is durably stored."""
    by_flag = {option.replace("_", "-"): value for option, value in options.items()}
    try:
        lines = intake.notify(app.config_option, by_flag, app.now)
    except intake.IntakeFailure as failure:
        raise Failure(str(failure), failure.exit_code) from None
    click.echo("\n".join(lines))


# -- reading --------------------------------------------------------------------------------


@cli.command()
@click.option("--open", "open_only", is_flag=True, help="Only tickets not closed.")
@click.option("--customer", help="Only this customer's tickets.")
@click.option("--server", help="Only this server's tickets.")
@FORMAT
@pass_app
def tickets(app: App, open_only: bool, customer: str | None, server: str | None, fmt: str) -> None:
    """List tickets."""
    with app.outcomes():
        found = services.list_tickets(app.uow(write=False), open_only, customer, server)
    if fmt == "json":
        echo_json([ticket_json(t, app.breached(t), app.config.timezone) for t in found])
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
            "BREACHED" if app.breached(t) else "",
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
    click.echo(table(rows, headers) if rows else "no tickets")


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@FORMAT
@pass_app
def show(app: App, ticket_id: int, fmt: str) -> None:
    """One ticket with its whole history (R15)."""
    tz = app.config.timezone
    with app.outcomes():
        found = services.show(app.uow(write=False), ticket_id)
    ticket, history, work, approvals = found.ticket, found.history, found.work, found.approvals
    data = ticket_json(ticket, app.breached(ticket), tz)
    if fmt == "json":
        data["history"] = [history_json(entry, tz) for entry in history]
        data["work"] = [work_json(item, tz) for item in work]
        data["approvals"] = [approval_json(item, tz) for item in approvals]
        echo_json(data)
        return
    width = max(len(field) for field in data)
    for field, value in data.items():
        if value is not None and value != "":
            click.echo(f"{field.ljust(width)}  {printable(value)}")
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
        click.echo(f"  {app.show_time(entry.at)}  {entry.type:<20} {printable(detail)}".rstrip())
    if work:
        click.echo("\nwork:")
        for item in work:
            note = f"  {printable(item.note)}" if item.note else ""
            click.echo(
                f"  {app.show_time(item.at)}  {item.minutes:>4} min  {printable(item.by):<12} "
                f"{item.category}{note}"
            )
    if approvals:
        click.echo("\napprovals:")
        for approval in approvals:
            click.echo(f"  {app.show_time(approval.at)}  by {printable(approval.by)}")


@cli.command()
@click.argument("key")
@FORMAT
@pass_app
def events(app: App, key: str, fmt: str) -> None:
    """Every notification recorded for a host or host!service, ticket or not (R15)."""
    with app.outcomes():
        found = services.events_of(app.uow(write=False), key)
    tz = app.config.timezone
    if fmt == "json":
        echo_json([dict(history_json(e, tz), ticket=e.ticket_id) for e in found])
        return
    for entry in found:
        ticket = f"#{entry.ticket_id}" if entry.ticket_id else "-"
        detail = " ".join(part for part in (entry.state, entry.actor, entry.comment) if part)
        click.echo(f"{app.show_time(entry.at)}  {ticket:>6}  {entry.type:<20} {detail}".rstrip())
    if not found:
        click.echo(f"nothing recorded for {key}")


# -- staff ----------------------------------------------------------------------------------


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
    with app.outcomes():
        services.customer_of(app.config, customer_id)
        received = app.time("--at", at)
        ticket = services.open_request(
            app.uow(), app.config, customer_id, server, subject, received, express, by, app.now
        )
    print_ticket(app, ticket, fmt, "opened")


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--by", required=True, help="Who takes the ticket over.")
@click.option("--at", help="When [default: now].")
@FORMAT
@pass_app
def take(app: App, ticket_id: int, by: str, at: str | None, fmt: str) -> None:
    """Take a ticket over: stops its SLA clock (R4) and acknowledges it in Icinga."""
    from bridge.services.icinga import take_over

    by = name("--by", by)
    when = app.time("--at", at)
    with app.outcomes():
        ticket, acknowledged = take_over(
            app.uow(), app.config.icinga, ticket_id, by, when, app.now, app.config.timezone
        )
    print_ticket(app, ticket, fmt, "took over")
    if acknowledged is not None and fmt != "json":
        click.echo(acknowledged)


@cli.command("sync-icinga")
@pass_app
def sync_icinga(app: App) -> None:
    """Retry the Icinga acknowledgements that failed or are due (run it from cron)."""
    from bridge.services.icinga import MISSING_TRIES, sync_icinga

    with app.outcomes():
        retried = sync_icinga(app.uow(), app.config.icinga, app.now)
    for done in retried:
        click.echo(f"ticket {done.ticket_id}: {done.said}")
    failed = sum(done.failed for done in retried)
    given_up = sum(done.given_up for done in retried)
    click.echo(
        f"{len(retried)} acknowledgement(s) retried, {failed} still failing, "
        f"{given_up} given up (no such object in Icinga after {MISSING_TRIES} tries)"
    )
    if failed:
        raise Failure(f"{failed} acknowledgement(s) still failing", EXIT_TEMPFAIL)


@cli.command("send-alerts")
@pass_app
def send_alerts(app: App) -> None:
    """Send the customers' alerts waiting in the outbox (R14; run it from cron)."""
    from bridge.services.alerts import send_alerts

    with app.outcomes():
        done = send_alerts(app.uow(), app.config)
    if not done.ran:
        click.echo("another vigie send-alerts is running: nothing to do")
        return
    for message, error in done.failed:
        click.echo(
            f"ticket {message.ticket_id}: {message.channel} to {message.recipient} "
            f"not sent: {error}",
            err=True,
        )
    click.echo(f"{done.sent} alert(s) sent, {len(done.failed)} kept for later")
    if done.failed:
        raise Failure(f"{len(done.failed)} alert(s) not sent", EXIT_TEMPFAIL)


@cli.command()
@click.argument("ticket_id", type=TICKET_ID)
@click.option("--debrief", help="What happened and what was done (required for incidents, R15).")
@click.option("--at", help="When [default: now].")
@FORMAT
@pass_app
def close(app: App, ticket_id: int, debrief: str | None, at: str | None, fmt: str) -> None:
    """Close a ticket, with its debrief."""
    when = app.time("--at", at)
    with app.outcomes():
        ticket = services.close(app.uow(), ticket_id, debrief, when, app.now, app.config.timezone)
    print_ticket(app, ticket, fmt, "closed")


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
    category: Category | None,
    note: str | None,
    fmt: str,
) -> None:
    """Log work on a ticket (refused past the approval threshold, R11)."""
    by = name("--by", by)
    when = app.time("--at", at)
    with app.outcomes():
        work = services.log_work(
            app.uow(), app.config, ticket_id, minutes, by, when, category, note, app.now
        )
    if fmt == "json":
        echo_json(work_json(work, app.config.timezone))
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
    by = name("--by", by)
    when = app.time("--at", at)
    with app.outcomes():
        services.approve(app.uow(), ticket_id, by, when, app.now, app.config.timezone)
    click.echo(f"approval by {by} recorded on ticket {ticket_id}")


@cli.command("replay")
@click.option(
    "--seconds",
    type=click.FloatRange(0.1, 3600),
    default=25.0,
    show_default=True,
    help="Stop after this long (cron's next run goes on).",
)
@pass_app
def replay(app: App, seconds: float) -> None:
    """Record what notify runs left: a dead run's journal, the spool (run it from cron).

    Exit 0 once nothing waits, 75 while events still wait (the store is still unavailable,
    or the time was up)."""
    from bridge.services.notifications import replay_spool, waiting
    from bridge.store.errors import StoreUnavailable
    from bridge.store.spool import spool_path

    spooled = spool_path(app.config.store_path)
    try:
        store = app.uow(replay_first=False)  # this command is the replay
        done = replay_spool(store, app.config, spooled, app.now, max_seconds=seconds)
    except StoreUnavailable as error:
        raise Failure(f"{error}; the events wait in {spooled}", EXIT_TEMPFAIL) from None
    click.echo(f"replayed {done or 0} notification(s) into {app.config.store_path}")
    if waiting(app.config, spooled):
        raise Failure(f"more wait in {spooled}: run vigie replay again", EXIT_TEMPFAIL)
