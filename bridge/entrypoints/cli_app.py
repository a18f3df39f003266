"""What every ``vigie`` command shares: the click group, the configuration, the clock, the
exit codes of a service's failures, and printing helpers.

Exit codes: 0 done, 1 refused by a contract rule (the message names it), 2 bad input or
configuration (the message says what and where), 3 an internal error (a bug: report it).
"""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import click

from bridge.config.model import Config
from bridge.domain.tickets import Ticket
from bridge.domain.times import TimeFormatError, parse_time, to_display
from bridge.entrypoints import notify as intake
from bridge.entrypoints.notify_call import EXIT_BAD_INPUT, EXIT_REFUSED
from bridge.entrypoints.render import ticket_json
from bridge.services.billing import breached
from bridge.services.errors import Rejected
from bridge.store.errors import NotFound, StoreUnavailable
from bridge.store.unit_of_work import UnitOfWork, open_store

CLOCK_SKEW = timedelta(minutes=5)  # how far in the future a staff-given time may be


class Failure(click.ClickException):
    """One line on stderr and a chosen exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]

    def show(self, file: Any = None) -> None:
        click.echo(f"vigie: {self.format_message()}", err=True)


def bad_input(message: str) -> NoReturn:
    """Stop with exit 2 and this one line."""
    raise Failure(message, EXIT_BAD_INPUT)


@dataclass
class App:
    """What every command needs: the configuration (loaded once, on first use) and now."""

    config_option: str | None
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    _config: Config | None = None

    @property
    def config(self) -> Config:
        """``vigie.yaml``, validated; a problem stops the command with exit 2."""
        if self._config is None:
            try:
                self._config = intake.load(self.config_option)
            except intake.IntakeFailure as failure:
                raise Failure(str(failure), failure.exit_code) from None
        return self._config

    def uow(self, write: bool = True, replay_first: bool = True) -> UnitOfWork:
        """A unit of work on the store; a reading one never creates it (and says when
        notifications wait in the spool, which only a writing command records)."""
        if write:
            return self.store(replay_first)
        from bridge.services.store_access import spool_waiting

        if spool_waiting(self.config):
            click.echo(
                f"vigie: notifications wait in the spool of {self.config.store_path}, not shown "
                "here: any command that writes the store, run as its owner, records them",
                err=True,
            )
        return open_store(self.config, write=False)

    def store(self, replay_first: bool = True) -> UnitOfWork:
        """The store for a command that writes it: refused, naming the user to run as,
        when this user must not write it; what waits in the spool recorded first."""
        from bridge.services.store_access import StoreNotWritable, open_for_writing

        try:
            opened = open_for_writing(self.config, self.now, replay_first)
        except StoreNotWritable as error:
            again = shlex.join(sys.argv)
            raise Failure(
                f"{error}: run it as {error.refusal.owner}: "
                f"runuser -u {error.refusal.owner} -- {again}",
                EXIT_BAD_INPUT,
            ) from None
        except StoreUnavailable as error:
            bad_input(str(error))
        if opened.replayed:
            click.echo(f"vigie: recorded {opened.replayed} spooled notification(s) first", err=True)
        return opened.uow

    @contextmanager
    def outcomes(self) -> Iterator[None]:
        """A service's failures as exit codes: refused by a contract rule 1, else 2."""
        try:
            yield
        except (StoreUnavailable, NotFound) as error:
            bad_input(str(error))
        except Rejected as error:
            raise Failure(str(error), EXIT_REFUSED if error.refused else EXIT_BAD_INPUT) from None

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
        """A time in the provider's zone, or "-"."""
        return to_display(moment, self.config.timezone) or "-"

    def breached(self, ticket: Ticket) -> bool:
        """R4 as of now."""
        return breached(ticket, self.now)


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


def echo_json(data: Any) -> None:
    """Print JSON as the commands do: indented, UTF-8 kept."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def print_ticket(app: App, ticket: Ticket, fmt: str, verb: str) -> None:
    """The one line (or JSON) a command that changed a ticket prints."""
    if fmt == "json":
        echo_json(ticket_json(ticket, app.breached(ticket), app.config.timezone))
        return
    contract = (
        f"level {ticket.level}, deadline {app.show_time(ticket.deadline_at)}"
        if ticket.level
        else "out of contract (R9)"
    )
    click.echo(f"{verb} ticket {ticket.id} ({ticket.customer or 'unknown customer'}, {contract})")


def name(option: str, value: str) -> str:
    """A person's name given in an option, or exit 2."""
    text = value.strip()
    if not text or any(ord(c) < 32 for c in text):
        bad_input(f"{option}: give a name")
    return text
