"""Documents as people read them: a statement or invoice as a table, JSON or CSV.

Domain model: a ``billing.Document`` is already priced and totalled; this module only says it.
The table is for the person who sends the bills (aligned columns, one row per line, totals at
the bottom); JSON is for programs (amounts as decimal strings such as ``"35.00"``, times in
ISO 8601 with their UTC offset); CSV is for the accountant (a header row, one row per line,
then the subtotal, VAT and total rows; every row names its customer and period, so the
documents of ``--all`` can share one file).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import UTC, timedelta, tzinfo
from decimal import Decimal

from bridge.domain.billing import Document, Line
from bridge.domain.sla_report import SlaRow
from bridge.domain.times import to_display

LINE_FIELDS = (
    "kind",
    "ticket",
    "server",
    "description",
    "reference_at",
    "business_hours",
    "minutes",
    "quarters",
    "free_quarters",
    "rate",
    "amount",
)
CSV_FIELDS = ("customer", "period", "document", *LINE_FIELDS)


def money(amount: Decimal) -> str:
    """A Decimal amount as a string with two decimals, ``"35.00"``."""
    return format(amount.quantize(Decimal("0.01")), "f")


def _percent(fraction: Decimal) -> str:
    return format((fraction * 100).normalize(), "f")


# ---------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------


def line_dict(line: Line, tz: tzinfo = UTC) -> dict[str, object]:
    """One line as a JSON-ready dict with the contract's field names."""
    return {
        "kind": line.kind,
        "ticket": line.ticket,
        "server": line.server,
        "description": line.description,
        "reference_at": to_display(line.reference_at, tz),
        "business_hours": line.business_hours,
        "minutes": line.minutes,
        "quarters": line.quarters,
        "free_quarters": line.free_quarters,
        "rate": money(line.rate),
        "amount": money(line.amount),
    }


def document_dict(document: Document, tz: tzinfo = UTC) -> dict[str, object]:
    """A document as a JSON-ready dict: totals at the top level, then its lines."""
    return {
        "customer": document.customer,
        "customer_name": document.customer_name,
        "period": document.period,
        "kind": document.kind,
        "vat_rate": format(document.vat_rate, "f"),
        "subtotal": money(document.subtotal),
        "vat": money(document.vat),
        "total": money(document.total),
        "lines": [line_dict(line, tz) for line in document.lines],
    }


# ---------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------


def document_csv(document: Document, header: bool = True, tz: tzinfo = UTC) -> str:
    """A document as CSV: header row (unless ``header`` is false), lines, then totals rows.

    The totals rows carry ``subtotal``, ``vat`` (with the VAT rate in ``rate``) and
    ``total`` in the ``kind`` column and the amount in ``amount``.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_FIELDS)
    head = [document.customer, document.period, document.kind]
    for line in document.lines:
        data = line_dict(line, tz)
        writer.writerow([*head, *(_csv_value(data[name]) for name in LINE_FIELDS)])
    blank = [""] * (len(LINE_FIELDS) - 3)
    writer.writerow([*head, "subtotal", *blank, "", money(document.subtotal)])
    writer.writerow([*head, "vat", *blank, format(document.vat_rate, "f"), money(document.vat)])
    writer.writerow([*head, "total", *blank, "", money(document.total)])
    return out.getvalue()


def _csv_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# ---------------------------------------------------------------------------------------
# Table
# ---------------------------------------------------------------------------------------

_TABLE_HEADER = ("kind", "ticket", "server", "reference", "hours", "min", "qtr", "free")
_RIGHT = {"ticket", "min", "qtr", "free", "rate", "amount"}


def document_table(document: Document, tz: tzinfo = UTC) -> str:
    """A document as an aligned text table, times shown in ``tz``, totals at the bottom."""
    title = "Statement" if document.kind == "statement" else "Invoice"
    who = document.customer
    if document.customer_name:
        who += f" ({document.customer_name})"
    columns: tuple[str, ...] = (*_TABLE_HEADER, "rate", "amount", "description")
    rows = [_table_row(line, tz) for line in document.lines]
    if document.kind == "invoice":
        # Fee lines have no ticket, time or quarters: keep kind, server and the money.
        keep = [columns.index(name) for name in ("kind", "server", "rate", "amount")]
        keep.append(len(columns) - 1)
        columns = tuple(columns[i] for i in keep)
        rows = [[row[i] for i in keep] for row in rows]
    widths = [max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(columns)]
    widths[-1] = 0  # the description is last and left ragged

    def fmt(cells: Sequence[str]) -> str:
        parts = []
        for name, cell, width in zip(columns, cells, widths, strict=True):
            parts.append(cell.rjust(width) if name in _RIGHT else cell.ljust(width))
        return "  ".join(parts).rstrip()

    out = [f"{title} {document.period} - {who}", ""]
    out.append(fmt(columns))
    out.extend(fmt(row) for row in rows)
    if not rows:
        out.append("(no lines)")
    # Totals right-aligned under the amount column.
    amount_end = sum(widths[:-1]) + 2 * (len(columns) - 2)
    totals = (
        ("subtotal", document.subtotal),
        (f"VAT {_percent(document.vat_rate)}%", document.vat),
        ("total", document.total),
    )
    out.append("")
    label_width = max(len(label) for label, _ in totals)
    amount_width = max(widths[-2], *(len(money(amount)) for _, amount in totals))
    for label, amount in totals:
        text = f"{label.rjust(label_width)}  {money(amount).rjust(amount_width)}"
        out.append(text.rjust(amount_end))
    return "\n".join(out) + "\n"


def _table_row(line: Line, tz: tzinfo) -> list[str]:
    is_work = line.kind == "work"
    hours = ""
    if line.business_hours is not None:
        hours = "inside" if line.business_hours else "outside"
    return [
        line.kind,
        "" if line.ticket is None else f"#{line.ticket}",
        line.server or "",
        to_display(line.reference_at, tz) or "",
        hours,
        str(line.minutes) if is_work else "",
        str(line.quarters) if is_work else "",
        str(line.free_quarters) if is_work else "",
        money(line.rate),
        money(line.amount),
        line.description,
    ]


# ---------------------------------------------------------------------------------------
# The SLA report
# ---------------------------------------------------------------------------------------


def duration(value: timedelta | None) -> str | None:
    """A take-over time as ``H:MM:SS`` (hours may exceed 24), None when there is none."""
    if value is None:
        return None
    seconds = int(value.total_seconds())
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


def sla_dicts(rows: Sequence[SlaRow]) -> list[dict[str, object]]:
    """The SLA report as JSON-ready dicts (take-over times in seconds and as H:MM:SS)."""
    return [
        {
            "customer": row.customer,
            "level": row.level,
            "tickets": row.tickets,
            "met": row.met,
            "breached": row.breached,
            "pending": row.pending,
            "median_take_over": duration(row.median_take_over),
            "median_take_over_seconds": _seconds(row.median_take_over),
            "worst_take_over": duration(row.worst_take_over),
            "worst_take_over_seconds": _seconds(row.worst_take_over),
            "refunds": row.refunds,
            "refund_amount": money(row.refund_amount),
        }
        for row in rows
    ]


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def sla_table(rows: Sequence[SlaRow], period: str) -> str:
    """The SLA report as an aligned text table."""
    columns: tuple[str, ...] = ("customer", "level", "tickets", "met", "breached", "pending")
    columns += ("median", "worst", "refunds", "refunded")
    body = [
        [
            row.customer,
            row.level,
            str(row.tickets),
            str(row.met),
            str(row.breached),
            str(row.pending),
            duration(row.median_take_over) or "-",
            duration(row.worst_take_over) or "-",
            str(row.refunds),
            money(row.refund_amount),
        ]
        for row in rows
    ]
    widths = [max([len(name), *(len(r[i]) for r in body)]) for i, name in enumerate(columns)]
    lines = [f"SLA {period}", ""]
    for cells in [list(columns), *body]:
        parts = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ]
        lines.append("  ".join(parts).rstrip())
    if not body:
        lines.append("(no tickets under contract)")
    return "\n".join(lines) + "\n"
