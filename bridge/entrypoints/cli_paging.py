"""The ``vigie`` commands of paging: ``page`` (cron, every minute) and ``oncall``."""

from __future__ import annotations

import click

from bridge.entrypoints.cli_app import FORMAT, App, Failure, cli, echo_json, pass_app
from bridge.entrypoints.notify_call import EXIT_TEMPFAIL


@cli.command()
@click.option("--dry-run", is_flag=True, help="Say what would be sent; record and send nothing.")
@click.option("--at", help="The time to decide for [default: now]; any time with --dry-run.")
@FORMAT
@pass_app
def page(app: App, dry_run: bool, at: str | None, fmt: str) -> None:
    """Page staff for open tickets nobody has taken over, by the level's paging policy
    (R3, R5, R16); each page is recorded in the ticket's history (run it from cron)."""
    from bridge.services.paging import page as run_paging
    from bridge.services.paging import paging_of

    with app.outcomes():
        paging_of(app.config)
        now = app.time("--at", at, future=dry_run)
        uow = app.uow(write=not dry_run)
        done = run_paging(uow, app.config, now, dry_run=dry_run)
    verb = "would page" if dry_run else "paged"
    if fmt == "json":
        echo_json(
            [
                {
                    "ticket": planned.ticket.id,
                    "step": planned.page.step,
                    "due_at": app.show_time(planned.page.due_at),
                    "deadline_at": app.show_time(planned.ticket.deadline_at),
                    "minutes_left": int(planned.page.left.total_seconds() // 60),
                    "people": list(planned.page.people),
                    "messages": [
                        {"channel": channel, "recipient": recipient}
                        for channel, recipient, _, _ in planned.messages
                    ],
                    "recorded": not dry_run,
                }
                for planned in done.planned
            ]
        )
    else:
        for planned in done.planned:
            click.echo(f"ticket {planned.ticket.id}: {verb} {planned.summary}")
        if not done.planned:
            click.echo(f"nobody to page at {app.show_time(now)}")
    sending = done.sending
    if sending is None:
        return
    for message, error in sending.failed:
        click.echo(
            f"ticket {message.ticket_id}: {message.channel} to {message.recipient} "
            f"not sent: {error}",
            err=True,
        )
    if not sending.ran:
        click.echo("another vigie send-alerts is running: it sends the pages", err=True)
    elif sending.failed:
        raise Failure(f"{len(sending.failed)} message(s) not sent, kept for later", EXIT_TEMPFAIL)


@cli.command()
@click.option("--at", help="When [default: now]; any time, past or future.")
@FORMAT
@pass_app
def oncall(app: App, at: str | None, fmt: str) -> None:
    """Who is on call (the paging rota), and how they are paged."""
    from bridge.services.paging import oncall as who

    with app.outcomes():
        when = app.time("--at", at, future=True)
        found, person = who(app.config, when)
    contacts = {
        "email": None if person is None else person.email,
        "sms": None if person is None else person.sms,
    }
    if fmt == "json":
        echo_json(
            {"at": app.show_time(when), "person": found.person, "because": found.because} | contacts
        )
        return
    reach = ", ".join(f"{k} {v}" for k, v in contacts.items() if v) or "no contact"
    who_text = found.person or "nobody"
    click.echo(f"{app.show_time(when)}: {who_text} ({found.because}; {reach})")
