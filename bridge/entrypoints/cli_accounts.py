"""The ``vigie`` commands of the web queue: ``user`` (add, list, disable, passwd), ``token
add`` and ``web``. A password is never an argument: a prompt, standard input or a file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from bridge.config.web import listen_address, parse_listen
from bridge.domain.accounts import ROLES
from bridge.entrypoints.cli_app import FORMAT, App, bad_input, cli, echo_json, pass_app
from bridge.entrypoints.render import table
from bridge.services import accounts


def _password(password_file: str | None) -> str:
    """The password from the file, else a prompt on a terminal, else standard input."""
    if password_file is not None:
        try:
            text = Path(password_file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            bad_input(f"--password-file: cannot read {password_file}: {error}")
        return text.rstrip("\r\n")
    if sys.stdin.isatty():
        return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))
    return sys.stdin.readline().rstrip("\r\n")


def _hashing() -> None:
    """Stop before asking for a password that could not be hashed."""
    try:
        import argon2  # noqa: F401
    except ImportError:
        bad_input("accounts need the web extra: pip install 'vigie[web]'")


@cli.group()
def user() -> None:
    """Accounts of the web queue and its API."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the account may do.")
@click.option("--customer", help="The customer a customer account belongs to.")
@click.option("--password-file", metavar="FILE", help="Read the password from this file.")
@pass_app
def user_add(
    app: App, name: str, role: str, customer: str | None, password_file: str | None
) -> None:
    """Add an account (password from --password-file, a prompt, or standard input)."""
    _hashing()
    password = _password(password_file)
    with app.outcomes():
        added = accounts.add_user(app.uow(), app.config, name, role, customer, password, app.now)
    click.echo(f"added user {added.name} ({added.role})")


@user.command("list")
@FORMAT
@pass_app
def user_list(app: App, fmt: str) -> None:
    """List the accounts."""
    with app.outcomes():
        found = accounts.list_users(app.uow(write=False))
    if fmt == "json":
        echo_json(
            [
                {"name": u.name, "role": u.role, "customer": u.customer, "disabled": u.disabled}
                for u in found
            ]
        )
        return
    rows = [(u.name, u.role, u.customer or "-", "disabled" if u.disabled else "") for u in found]
    click.echo(table(rows, ("NAME", "ROLE", "CUSTOMER", "")) if rows else "no users")


@user.command("disable")
@click.argument("name")
@pass_app
def user_disable(app: App, name: str) -> None:
    """Disable an account: its sessions and tokens stop at once."""
    with app.outcomes():
        accounts.disable_user(app.uow(), name)
    click.echo(f"disabled user {name}")


@user.command("passwd")
@click.argument("name")
@click.option("--password-file", metavar="FILE", help="Read the password from this file.")
@pass_app
def user_passwd(app: App, name: str, password_file: str | None) -> None:
    """Set an account's password (from --password-file, a prompt, or standard input)."""
    _hashing()
    password = _password(password_file)
    with app.outcomes():
        accounts.set_password(app.uow(), name, password)
    click.echo(f"password of {name} changed")


@cli.group()
def token() -> None:
    """API tokens (``Authorization: Bearer TOKEN``)."""


@token.command("add")
@click.argument("name")
@pass_app
def token_add(app: App, name: str) -> None:
    """Print a new API token for the account, once (only its digest is kept)."""
    with app.outcomes():
        click.echo(accounts.add_token(app.uow(), name, app.now))


@cli.command()
@click.option(
    "--listen", metavar="HOST:PORT", help="Address to serve on [web.listen, 127.0.0.1:8080]."
)
@pass_app
def web(app: App, listen: str | None) -> None:
    """Serve the staff queue and the JSON API until stopped."""
    config = app.config
    try:
        host, port = listen_address(parse_listen(listen or config.web.listen))
    except ValueError as error:
        bad_input(f"--listen: {error}")
    try:
        from bridge.entrypoints.web.app import serve
    except ImportError as error:
        bad_input(f"vigie web needs the web extra ({error.name}): pip install 'vigie[web]'")
    serve(config, host, port)
