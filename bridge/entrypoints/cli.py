"""The ``vigie`` command: its entry point, and ``check-config``.

Every command parses its options, calls one service and prints; the commands live in
``cli_tickets`` (tickets, staff and cron) and ``cli_billing`` (deadlines and money), on the
group and helpers of ``cli_app``. No traceback ever reaches the user.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from bridge.config.load import config_path, load_config
from bridge.config.model import ConfigError
from bridge.entrypoints import (
    cli_accounts,
    cli_billing,
    cli_einvoice,
    cli_helpdesk,
    cli_paging,
    cli_tickets,
)
from bridge.entrypoints import notify as intake
from bridge.entrypoints.cli_app import App, Failure, cli, pass_app
from bridge.entrypoints.notify_call import EXIT_BAD_INPUT, EXIT_INTERNAL
from bridge.entrypoints.notify_client import DEFAULT_SOCKET, SOCKET_VARIABLE
from bridge.store.errors import StoreError

# imported for the commands they add to ``cli``
COMMANDS = (cli_tickets, cli_billing, cli_einvoice, cli_accounts, cli_paging, cli_helpdesk)


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


@cli.command()
@pass_app
def doctor(app: App) -> None:
    """Try, as this user, what the configuration points at: the store, the spool, the
    cache, Icinga's API, the SMTP relay. Exit 0 when all work, else 2 saying what to fix."""
    from bridge.services.doctor import diagnose

    findings = diagnose(app.config, config_path(app.config_option))
    for finding in findings:
        click.echo(f"{'OK  ' if finding.ok else 'FIX '} {finding.what:<7} {finding.detail}")
    failing = [finding.what for finding in findings if not finding.ok]
    if failing:
        raise Failure(f"to fix: {', '.join(failing)}", EXIT_BAD_INPUT)


@cli.command("migrate")
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="postgresql://user@host:port/database of a new, empty database (no password here).",
)
@click.option(
    "--password-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file holding the database password (else PGPASSFILE or ~/.pgpass).",
)
@pass_app
def migrate(app: App, url: str, password_file: Path | None) -> None:
    """Copy the SQLite store into an empty PostgreSQL one (for an Icinga HA pair), checking
    the counts, the minutes of work and the invoice totals before saying it is done."""
    from bridge.services.store_copy import migrate_to

    try:
        click.echo(migrate_to(app.config, url, password_file))
    except ConfigError as error:
        raise Failure(str(error), EXIT_BAD_INPUT) from None


@cli.command("notify-server")
@click.option(
    "--socket",
    "socket_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_SOCKET,
    show_default=True,
    help=f"Where to listen; vigie notify asks there, or at ${SOCKET_VARIABLE}.",
)
@pass_app
def notify_server(app: App, socket_path: Path) -> None:
    """Keep the notify path loaded and record the notifications vigie notify hands over
    (run it as Icinga's user, beside Icinga). Stops on SIGTERM or SIGINT."""
    from bridge.entrypoints.notify_server import ServerError, log_to_stderr, serve

    path = config_path(app.config_option)
    load_config(path)  # refuse to start on a broken configuration: check-config says why
    try:
        serve(socket_path, path.absolute(), log_to_stderr)
    except ServerError as error:
        raise Failure(str(error), EXIT_BAD_INPUT) from None


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
