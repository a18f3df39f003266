"""E-invoices on the command line: ``--format ubl|pdf`` of ``vigie statement`` and ``vigie
invoice`` (drafts), ``vigie issue statement|invoice`` (numbered, validated, stored) and
``vigie issued NUMBER`` (an issued document again, byte for byte).

lxml, saxonche and fpdf2 (the ``einvoice`` extra) are imported only here, when a command
needs them; without them the command says how to install them.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from bridge.domain.billing import BillingError, parse_month, parse_quarter
from bridge.entrypoints.cli_app import App, bad_input, cli, pass_app
from bridge.services import einvoicing
from bridge.services.einvoicing import Output, Period

EXTRA = "pip install 'vigie[einvoice]'"
OUTPUT = click.option(
    "--output",
    type=click.Path(dir_okay=True, path_type=Path),
    help="Write here: a file for one document, a folder for --all (required for pdf).",
)


def _need_extra() -> None:
    try:
        import fpdf  # noqa: F401
        import lxml  # noqa: F401
        import saxonche  # noqa: F401
    except ImportError as error:
        bad_input(f"e-invoices need the einvoice extra ({error.name} is missing): {EXTRA}")


def period_of(source: str, text: str) -> Period:
    """``--month`` or ``--quarter`` as a Period, or a one-line error."""
    option = "--month" if source == "statement" else "--quarter"
    try:
        year, number = parse_month(text) if source == "statement" else parse_quarter(text)
    except BillingError as error:
        bad_input(f"{option}: {error}")
    return Period(source, year, number)


def _emit(outputs: Sequence[tuple[str, bytes]], output: Path | None, every: bool, ext: str) -> None:
    """Write documents: one to stdout or a file; several (``--all``) into a folder."""
    if not outputs:
        click.echo("vigie: nothing to write (no customer with billing: and lines)", err=True)
        return
    if every or len(outputs) > 1:
        if output is None:
            bad_input(f"--output: give a folder for several documents ({len(outputs)})")
        output.mkdir(parents=True, exist_ok=True)
        for name, data in outputs:
            (output / f"{name}.{ext}").write_bytes(data)
        click.echo(f"wrote {len(outputs)} document(s) to {output}", err=True)
        return
    name, data = outputs[0]
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        output.write_bytes(data)


def _document_period(source: str, text: str, fmt: str, output: Path | None) -> Period:
    """The period an e-invoice command names, once its extra and its output are checked."""
    _need_extra()
    if fmt == "pdf" and output is None:
        bad_input("--output: required with --format pdf")
    return period_of(source, text)


def print_drafts(
    app: App,
    source: str,
    customer: str | None,
    every: bool,
    text: str,
    fmt: str,
    output: Path | None,
) -> None:
    """``vigie statement|invoice --format ubl|pdf``: the documents as drafts."""
    period = _document_period(source, text, fmt, output)
    with app.outcomes():
        found = einvoicing.drafts(
            app.uow(write=False), app.config, customer, every, period, app.now
        )
    from bridge.adapters.pdf import render_pdf

    docs = [
        (
            f"{d.einvoice.customer}-{period.label}-draft",
            render_pdf(d.einvoice) if fmt == "pdf" else d.ubl,
        )
        for d in found
        if d.einvoice is not None
    ]
    _emit(docs, output, every, fmt if fmt == "pdf" else "xml")


@cli.group()
def issue() -> None:
    """Number, validate and store e-invoices (Peppol BIS Billing 3.0), then print them."""


def _issue(
    app: App,
    source: str,
    customer: str | None,
    every: bool,
    text: str,
    fmt: str,
    output: Path | None,
) -> None:
    period = _document_period(source, text, fmt, output)
    with app.outcomes():
        outputs = einvoicing.issue(app.uow(), app.config, customer, every, period, app.now)
    for item in outputs:
        state = "issued" if item.new else "already issued"
        click.echo(f"{state} {item.number}", err=True)
    _emit(_rendered(outputs, fmt), output, every, "pdf" if fmt == "pdf" else "xml")


def _rendered(outputs: Sequence[Output], fmt: str) -> list[tuple[str, bytes]]:
    if fmt != "pdf":
        return [(item.number, item.ubl) for item in outputs]
    from bridge.adapters.pdf import render_pdf

    missing = [item.number for item in outputs if item.einvoice is None]
    if missing:
        bad_input(f"no PDF of {', '.join(missing)}: its parties changed in vigie.yaml since")
    return [(item.number, render_pdf(item.einvoice)) for item in outputs if item.einvoice]


ISSUE_FORMAT = click.option(
    "--format",
    "fmt",
    type=click.Choice(["ubl", "pdf"]),
    default="ubl",
    show_default=True,
    help="The UBL document (for the Peppol access point), or its PDF for people.",
)


@issue.command("statement")
@click.option("--customer", help="The customer's id.")
@click.option("--all", "every", is_flag=True, help="Every customer with billing:.")
@click.option("--month", required=True, help="YYYY-MM")
@ISSUE_FORMAT
@OUTPUT
@pass_app
def issue_statement(
    app: App, customer: str | None, every: bool, month: str, fmt: str, output: Path | None
) -> None:
    """Issue the monthly statement (R13): an invoice, or a credit note when refunds win."""
    _issue(app, "statement", customer, every, month, fmt, output)


@issue.command("invoice")
@click.option("--customer", help="The customer's id.")
@click.option("--all", "every", is_flag=True, help="Every customer with billing:.")
@click.option("--quarter", required=True, help="YYYY-Qn")
@ISSUE_FORMAT
@OUTPUT
@pass_app
def issue_invoice(
    app: App, customer: str | None, every: bool, quarter: str, fmt: str, output: Path | None
) -> None:
    """Issue the quarterly advance invoice of the contract fees (R12)."""
    _issue(app, "invoice", customer, every, quarter, fmt, output)


@cli.command()
@click.argument("number")
@OUTPUT
@pass_app
def issued(app: App, number: str, output: Path | None) -> None:
    """An issued document's UBL, byte for byte as it was issued."""
    with app.outcomes():
        found = einvoicing.reissued(app.uow(write=False), number)
    _emit([(found.number, found.ubl)], output, False, "xml")
