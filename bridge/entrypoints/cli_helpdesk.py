"""The ``vigie`` commands of an external helpdesk: ``outbox`` (what waits), ``flush``
(deliver it; from cron or a systemd timer) and ``sync`` (read back what staff did there)."""

from __future__ import annotations

import click

from bridge.domain.helpdesk import OutboxItem
from bridge.entrypoints.cli_app import FORMAT, App, Failure, cli, echo_json, pass_app
from bridge.entrypoints.notify_call import EXIT_TEMPFAIL
from bridge.entrypoints.render import printable, table


def _state(item: OutboxItem, max_attempts: int) -> str:
    if item.dead(max_attempts):
        return "dead"
    return "failing" if item.failures else "waiting"


@cli.command("outbox")
@click.option("--dead", "dead_only", is_flag=True, help="Only the dead-lettered items.")
@FORMAT
@pass_app
def outbox(app: App, dead_only: bool, fmt: str) -> None:
    """What waits for the external helpdesk (`vigie flush` delivers it)."""
    from bridge.services.helpdesk_outbox import outbox as waiting

    max_attempts = app.config.helpdesk.max_attempts
    with app.outcomes():
        items = waiting(app.uow(write=False), dead_only, max_attempts)
    if fmt == "json":
        echo_json(
            [
                {
                    "id": item.id,
                    "ticket": item.ticket_id,
                    "action": item.action,
                    "payload": dict(item.payload),
                    "created_at": item.created_at.isoformat(),
                    "state": _state(item, max_attempts),
                    "failures": item.failures,
                    "retry_at": None if item.retry_at is None else item.retry_at.isoformat(),
                    "last_error": item.last_error,
                }
                for item in items
            ]
        )
        return
    rows = [
        (
            str(item.id),
            str(item.ticket_id),
            item.action + (f" {item.payload.get('status')}" if item.action == "status" else ""),
            _state(item, max_attempts),
            f"{item.failures}/{max_attempts}",
            app.show_time(item.retry_at),
            printable(item.last_error or "")[:70],
        )
        for item in items
    ]
    headers = ("ID", "TICKET", "ACTION", "STATE", "FAILURES", "RETRY AT", "LAST ERROR")
    what = "dead-lettered" if dead_only else "waiting"
    click.echo(table(rows, headers) if rows else f"nothing {what} in the helpdesk outbox")


@cli.command("flush")
@click.option("--dead", "retry_dead", is_flag=True, help="Retry the dead-lettered items too.")
@click.option("--now", "ignore_backoff", is_flag=True, help="Try every item now (no backoff).")
@pass_app
def flush(app: App, retry_dead: bool, ignore_backoff: bool) -> None:
    """Deliver the helpdesk outbox (run it from cron or a systemd timer).

    Exit 0 when the outbox is empty afterwards, 75 while deliveries remain."""
    from bridge.adapters.helpdesks import HelpdeskError
    from bridge.services.helpdesk_outbox import flush as deliver

    with app.outcomes():
        try:
            done = deliver(
                app.uow(), app.config, ignore_backoff=ignore_backoff, retry_dead=retry_dead
            )
        except HelpdeskError as error:
            raise Failure(f"helpdesk: {error}", EXIT_TEMPFAIL) from None
    for item, why in done.failed:
        click.echo(f"ticket {item.ticket_id}: {item.action} not delivered: {why}", err=True)
    again = f", {done.requeued} dead-lettered item(s) retried" if done.requeued else ""
    click.echo(
        f"{done.delivered} delivered, {len(done.failed)} failed{again}; "
        f"{done.waiting} waiting ({done.dead} dead-lettered)"
    )
    if done.waiting:
        raise Failure(f"{done.waiting} delivery(ies) remain in the outbox", EXIT_TEMPFAIL)


@cli.command("sync")
@pass_app
def sync(app: App) -> None:
    """Read take-overs, time worked and closings back from the external helpdesk (run it
    from cron after flush). Exit 0 when every ticket was read, 75 when the helpdesk failed."""
    from bridge.adapters.helpdesks import HelpdeskError
    from bridge.services.helpdesk_sync import sync as read_back

    if not app.config.helpdesk.external:
        click.echo("helpdesk: embedded (no external helpdesk to read back)")
        return
    with app.outcomes():
        try:
            done = read_back(app.uow(), app.config, app.now)
        except HelpdeskError as error:
            raise Failure(f"helpdesk: {error}", EXIT_TEMPFAIL) from None
    for ticket_id, action in done.imported:
        minutes = f" {action.minutes} min" if action.minutes else ""
        click.echo(f"ticket {ticket_id}: {action.kind}{minutes} by {printable(action.by)}")
    for ticket_id, said in done.acknowledged:
        if said is not None:
            click.echo(f"ticket {ticket_id}: {said}")
    for ticket_id, _, why in done.noted:
        click.echo(f"ticket {ticket_id}: {printable(why)}", err=True)
    for ticket_id, action, _ in done.held:
        click.echo(f"ticket {ticket_id}: {action.kind} held until approved (R11)", err=True)
    for ticket_id, why in done.failed:
        click.echo(f"ticket {ticket_id}: not read: {why}", err=True)
    click.echo(
        f"{len(done.imported)} imported, {len(done.noted)} noted only, "
        f"{len(done.held)} held for approval, {len(done.failed)} ticket(s) not read"
    )
    if done.failed:
        raise Failure(f"{len(done.failed)} ticket(s) not read from the helpdesk", EXIT_TEMPFAIL)
