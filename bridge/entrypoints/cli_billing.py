"""The ``vigie`` commands on deadlines and money: deadline, statement, invoice, sla. Each
parses, calls one service, prints (tables, JSON, CSV for the accountant)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from bridge.domain.billing import BillingError, Document, parse_month, parse_quarter
from bridge.entrypoints.cli_app import FORMAT, App, bad_input, cli, echo_json, pass_app
from bridge.services import billing as services

DOCUMENT_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv", "ubl", "pdf"]),
    default="table",
    show_default=True,
    help="A readable table, JSON, CSV for the accountant, or a draft e-invoice (UBL, PDF).",
)
OUTPUT = click.option(
    "--output",
    type=click.Path(path_type=Path),
    help="ubl, pdf: write here (a file; a folder with --all) instead of standard output.",
)


@cli.command()
@click.option("--level", required=True, help="The service level (A, B, C...).")
@click.option("--at", required=True, help="The reference time (R2); without offset, local time.")
@FORMAT
@pass_app
def deadline(app: App, level: str, at: str, fmt: str) -> None:
    """The take-over deadline of a reference time at a level (R3)."""
    with app.outcomes():
        services.known_level(app.config, level)
        due = services.deadline(app.config, level, app.time("--at", at, future=True))
    data = {
        "level": level,
        "reference_at": app.show_time(due.reference_at),
        "business_hours": due.business_hours,
        "deadline_at": app.show_time(due.deadline_at),
        "within_seconds": int((due.deadline_at - due.reference_at).total_seconds()),
    }
    if fmt == "json":
        echo_json(data)
    else:
        inside = "inside" if data["business_hours"] else "outside"
        click.echo(
            f"level {level}, reference {data['reference_at']} ({inside} business hours): "
            f"take over by {data['deadline_at']}"
        )


def _month(text: str) -> tuple[int, int]:
    """``--month YYYY-MM`` as (year, month), or a one-line error."""
    try:
        return parse_month(text)
    except BillingError as error:
        bad_input(f"--month: {error}")


def _print_documents(app: App, documents: Sequence[Document], fmt: str, every: bool) -> None:
    from bridge.entrypoints.documents import document_csv, document_dict, document_table

    tz = app.config.timezone
    if fmt == "json":
        dicts = [document_dict(d, tz) for d in documents]
        echo_json(dicts if every else dicts[0])
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
@OUTPUT
@pass_app
def statement(
    app: App, customer: str | None, every: bool, month: str, fmt: str, output: Path | None
) -> None:
    """The monthly statement: work, express fees, SLA refunds, VAT (R13)."""
    if fmt in ("ubl", "pdf"):
        from bridge.entrypoints.cli_einvoice import print_drafts

        print_drafts(app, "statement", customer, every, month, fmt, output)
        return
    year, number = _month(month)
    with app.outcomes():
        documents = services.statements(
            app.uow(write=False), app.config, customer, every, year, number, app.now
        )
    _print_documents(app, documents, fmt, every)


@cli.command()
@click.option("--customer", help="The customer's id.")
@click.option("--all", "every", is_flag=True, help="Every customer's invoice.")
@click.option("--quarter", required=True, help="YYYY-Qn")
@DOCUMENT_FORMAT
@OUTPUT
@pass_app
def invoice(
    app: App, customer: str | None, every: bool, quarter: str, fmt: str, output: Path | None
) -> None:
    """The quarterly advance invoice of the contract fees (R12)."""
    if fmt in ("ubl", "pdf"):
        from bridge.entrypoints.cli_einvoice import print_drafts

        print_drafts(app, "invoice", customer, every, quarter, fmt, output)
        return
    try:
        year, number = parse_quarter(quarter)
    except BillingError as error:
        bad_input(f"--quarter: {error}")
    with app.outcomes():
        documents = services.invoices(app.config, customer, every, year, number)
    _print_documents(app, documents, fmt, every)


@cli.command("sla")
@click.option("--month", required=True, help="YYYY-MM")
@FORMAT
@pass_app
def sla_month(app: App, month: str, fmt: str) -> None:
    """Per customer and level: tickets, met, breached, take-over times, refunds due."""
    from bridge.entrypoints.documents import sla_dicts, sla_table

    year, number = _month(month)
    with app.outcomes():
        rows = services.sla_month(app.uow(write=False), app.config, year, number, app.now)
    if fmt == "json":
        echo_json(sla_dicts(rows))
    else:
        click.echo(sla_table(rows, month))
