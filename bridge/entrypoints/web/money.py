"""The customer's money page: its monthly statements (R13) and quarterly invoices (R12),
each viewable and downloadable as CSV and JSON, and as the e-invoice formats the billing
side offers (Peppol UBL and PDF, with the ``einvoice`` extra and the customer's
``billing:``)."""

from __future__ import annotations

from datetime import date

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bridge.entrypoints.web import auth, portal

MONTHS_SHOWN = 12
QUARTERS_SHOWN = 5


def einvoice_formats(request: Request, customer: str) -> tuple[str, ...]:
    """The document formats beside CSV and JSON: ubl and pdf when they can be made."""
    config = auth.config_of(request)
    found = config.customers.get(customer)
    if found is None or found.billing is None or config.provider is None:
        return ()
    try:
        import fpdf  # noqa: F401
        import lxml  # noqa: F401
    except ImportError:
        return ()
    return ("ubl", "pdf")


def recent_months(today: date, count: int = MONTHS_SHOWN) -> list[str]:
    """``YYYY-MM`` of this month and the ones before it, newest first."""
    year, month = today.year, today.month
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return found


def recent_quarters(today: date, count: int = QUARTERS_SHOWN) -> list[str]:
    """``YYYY-Qn`` of the next quarter (invoiced in advance, R12), this one and earlier."""
    year, quarter = today.year, (today.month - 1) // 3 + 1
    year, quarter = (year + 1, 1) if quarter == 4 else (year, quarter + 1)
    found = []
    for _ in range(count):
        found.append(f"{year:04d}-Q{quarter}")
        year, quarter = (year - 1, 4) if quarter == 1 else (year, quarter - 1)
    return found


async def money_page(request: Request) -> Response:
    """GET /money: a customer's statements and invoices (staff: the month page)."""
    session = await auth.session_of(request)
    if session is None:
        return RedirectResponse("/login", status_code=303)
    user = session.user
    if user.role != "customer" or user.customer is None:
        today = auth.now().astimezone(auth.config_of(request).timezone).date()
        return RedirectResponse(f"/months/{today:%Y-%m}", status_code=303)
    today = auth.now().astimezone(auth.config_of(request).timezone).date()
    return portal.page(
        request,
        "portal_money.html",
        user,
        session.csrf,
        customer=user.customer,
        months=recent_months(today),
        quarters=recent_quarters(today),
        formats=("csv", "json", *einvoice_formats(request, user.customer)),
    )
