"""Month pages: the SLA report of a month and each customer's statement and quarterly
invoice, as tables with CSV and JSON downloads (the same services and renderings as
``vigie sla``, ``vigie statement`` and ``vigie invoice``).

Staff see every customer; a customer account only its own statement and invoice, and the
SLA rows of its own customer.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from bridge.domain.accounts import visible_customer
from bridge.domain.billing import BillingError, Document, parse_month, parse_quarter
from bridge.entrypoints.documents import document_csv, document_dict, sla_dicts
from bridge.entrypoints.web import auth, portal
from bridge.entrypoints.web.pages import render
from bridge.services import billing
from bridge.services.errors import Rejected

FORMATS = ("html", "json", "csv")
DOCUMENT_FORMATS = (*FORMATS, "ubl", "pdf")


def _download(
    data: object,
    rows: Sequence[dict[str, object]] | None,
    csv_text: str | None,
    name: str,
    fmt: str,
) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{name}.{fmt}"'}
    if fmt == "json":
        return JSONResponse(data, headers=headers)
    if csv_text is None:
        out = io.StringIO()
        writer = csv.DictWriter(
            out, fieldnames=list(rows[0]) if rows else [], lineterminator="\r\n"
        )
        writer.writeheader()
        writer.writerows(rows or [])
        csv_text = out.getvalue()
    return Response(csv_text, media_type="text/csv; charset=utf-8", headers=headers)


def _format(request: Request, allowed: Sequence[str] = FORMATS) -> str | None:
    fmt = request.query_params.get("format", "html")
    return fmt if fmt in allowed else None


async def sla_page(request: Request) -> Response:
    """GET /months/YYYY-MM: the month's SLA report, and links to its documents."""
    session = await auth.session_of(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    fmt, month = _format(request), request.path_params["month"]
    try:
        year, number = parse_month(month)
    except BillingError as error:
        return PlainTextResponse(f"month: {error}", 400)
    if fmt is None:
        return PlainTextResponse(f"format: one of {', '.join(FORMATS)}", 400)
    config = auth.config_of(request)
    rows = await run_in_threadpool(
        billing.sla_month, auth.reading(request), config, year, number, auth.now()
    )
    _, own = visible_customer(session.user, None)
    shown = [row for row in rows if own is None or row.customer == own]
    data = sla_dicts(shown)
    if fmt != "html":
        return _download(data, data, None, f"sla-{month}", fmt)
    customers = [own] if own is not None else sorted(config.customers)
    quarter = f"{year}-Q{(number - 1) // 3 + 1}"
    return render(
        "month.html",
        user=session.user,
        csrf=session.csrf,
        month=month,
        rows=data,
        customers=customers,
        quarter=quarter,
    )


async def document_page(request: Request) -> Response:
    """GET /statements/C/YYYY-MM and /invoices/C/YYYY-Qn: one document, or its download."""
    session = await auth.session_of(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    fmt = _format(request, DOCUMENT_FORMATS)
    if fmt is None:
        return PlainTextResponse(f"format: one of {', '.join(DOCUMENT_FORMATS)}", 400)
    customer, period = request.path_params["customer"], request.path_params["period"]
    allowed, _ = visible_customer(session.user, customer)
    config = auth.config_of(request)
    if not allowed or customer not in config.customers:
        return PlainTextResponse(f"no customer {customer}", 404)
    statement = request.url.path.startswith("/statements/")
    if fmt in ("ubl", "pdf"):
        return await _einvoice(request, customer, period, statement, fmt)
    try:
        if statement:
            year, number = parse_month(period)
            documents: list[Document] = await run_in_threadpool(
                billing.statements,
                auth.reading(request),
                config,
                customer,
                False,
                year,
                number,
                auth.now(),
            )
        else:
            year, number = parse_quarter(period)
            documents = await run_in_threadpool(
                billing.invoices, config, customer, False, year, number
            )
    except BillingError as error:
        return PlainTextResponse(f"period: {error}", 400)
    except Rejected as error:
        return PlainTextResponse(str(error), 400)
    document = documents[0]
    name = f"{'statement' if statement else 'invoice'}-{customer}-{period}"
    if fmt != "html":
        data = document_dict(document, config.timezone)
        return _download(data, None, document_csv(document, tz=config.timezone), name, fmt)
    from bridge.entrypoints.web.money import einvoice_formats

    formats = ["csv", "json", *einvoice_formats(request, customer)]
    doc = document_dict(document, config.timezone)
    if session.user.role == "customer":
        return portal.page(
            request,
            "document.html",
            session.user,
            session.csrf,
            name=name,
            doc=doc,
            formats=formats,
        )
    return render(
        "document.html", user=session.user, csrf=session.csrf, name=name, doc=doc, formats=formats
    )


async def _einvoice(
    request: Request, customer: str, period: str, statement: bool, fmt: str
) -> Response:
    """A statement or invoice as its e-invoice draft (UBL or PDF), as ``vigie statement
    --format ubl|pdf`` makes it; 404 when the billing side cannot make one here."""
    from bridge.entrypoints.web.money import einvoice_formats

    if fmt not in einvoice_formats(request, customer):
        return PlainTextResponse(f"no {fmt} document for {customer}", 404)
    from bridge.services import einvoicing

    source = "statement" if statement else "invoice"
    try:
        year, number = parse_month(period) if statement else parse_quarter(period)
    except BillingError as error:
        return PlainTextResponse(f"period: {error}", 400)
    config = auth.config_of(request)
    try:
        found = await run_in_threadpool(
            einvoicing.drafts,
            auth.reading(request),
            config,
            customer,
            False,
            einvoicing.Period(source, year, number),
            auth.now(),
        )
    except Rejected as error:
        return PlainTextResponse(str(error), 400)
    if not found or found[0].einvoice is None:
        return PlainTextResponse(f"no {fmt} document for {customer} {period}", 404)
    name = f"{source}-{customer}-{period}-draft"
    if fmt == "ubl":
        return Response(
            found[0].ubl,
            media_type="application/xml",
            headers={"Content-Disposition": f'attachment; filename="{name}.xml"'},
        )
    from bridge.adapters.pdf import render_pdf

    content = await run_in_threadpool(render_pdf, found[0].einvoice)
    return Response(
        content,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'},
    )
