"""Issued e-invoices in the store: the gapless number sequence of each year and the
documents as they left, bytes and all. Append-only: an issued document is never changed
(SQLite triggers refuse it); corrections are new documents that refer to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bridge.domain.billing import Document, Line
from bridge.store.repository import Database


@dataclass(frozen=True)
class Issued:
    """One issued document: its number, what it says (``content``), the full document it
    brought the customer's account to (``basis``) and its UBL bytes."""

    number: str
    type: str
    source: str
    customer: str
    period: str
    corrects: str | None
    issued_at: datetime
    content: Document
    basis: Document
    ubl: bytes


class IssuedDocuments:
    """The SQL of issued documents; runs inside the caller's unit of work."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def next_number(self, year: int) -> tuple[int, str]:
        """The next (sequence, number) of ``year``, like ``(7, "2026-000007")``."""
        row = self._db.execute(
            "SELECT COALESCE(MAX(sequence), 0) + 1 FROM issued_documents WHERE year = ?",
            (year,),
        ).fetchone()
        sequence = int(row[0])
        return sequence, f"{year:04d}-{sequence:06d}"

    def add(self, year: int, sequence: int, issued: Issued) -> None:
        """Record an issued document under its number (the trigger keeps numbers gapless)."""
        self._db.execute(
            "INSERT INTO issued_documents (year, sequence, number, type, source, customer, "
            "period, corrects, issued_at, content, basis, ubl) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                year,
                sequence,
                issued.number,
                issued.type,
                issued.source,
                issued.customer,
                issued.period,
                issued.corrects,
                issued.issued_at.isoformat(),
                _dump(issued.content),
                _dump(issued.basis),
                issued.ubl,
            ),
        )

    def of(self, customer: str, source: str, period: str) -> list[Issued]:
        """The documents issued for one customer's statement or invoice, oldest first."""
        rows = self._db.execute(
            "SELECT * FROM issued_documents WHERE customer = ? AND source = ? AND period = ? "
            "ORDER BY year, sequence",
            (customer, source, period),
        ).fetchall()
        return [_issued(row) for row in rows]

    def by_number(self, number: str) -> Issued | None:
        """One issued document, or None."""
        row = self._db.execute(
            "SELECT * FROM issued_documents WHERE number = ?", (number,)
        ).fetchone()
        return None if row is None else _issued(row)

    def numbers(self, year: int) -> list[str]:
        """Every number issued in ``year``, in order."""
        rows = self._db.execute(
            "SELECT number FROM issued_documents WHERE year = ? ORDER BY sequence", (year,)
        )
        return [str(row[0]) for row in rows]


def _issued(row: Any) -> Issued:
    return Issued(
        number=row["number"],
        type=row["type"],
        source=row["source"],
        customer=row["customer"],
        period=row["period"],
        corrects=row["corrects"],
        issued_at=datetime.fromisoformat(row["issued_at"]),
        content=_load(row["content"]),
        basis=_load(row["basis"]),
        ubl=bytes(row["ubl"]),
    )


_DECIMALS = ("rate", "amount")


def _dump(document: Document) -> str:
    lines = [
        {
            "kind": line.kind,
            "ticket": line.ticket,
            "server": line.server,
            "description": line.description,
            "reference_at": None if line.reference_at is None else line.reference_at.isoformat(),
            "business_hours": line.business_hours,
            "minutes": line.minutes,
            "quarters": line.quarters,
            "free_quarters": line.free_quarters,
            "rate": str(line.rate),
            "amount": str(line.amount),
        }
        for line in document.lines
    ]
    return json.dumps(
        {
            "customer": document.customer,
            "customer_name": document.customer_name,
            "period": document.period,
            "kind": document.kind,
            "vat_rate": str(document.vat_rate),
            "subtotal": str(document.subtotal),
            "vat": str(document.vat),
            "total": str(document.total),
            "lines": lines,
        },
        sort_keys=True,
    )


def _load(text: str) -> Document:
    data = json.loads(text)
    lines = []
    for item in data["lines"]:
        at = item["reference_at"]
        values = {**item, "reference_at": None if at is None else datetime.fromisoformat(at)}
        for name in _DECIMALS:
            values[name] = Decimal(item[name])
        lines.append(Line(**values))
    return Document(
        customer=data["customer"],
        period=data["period"],
        kind=data["kind"],
        lines=tuple(lines),
        subtotal=Decimal(data["subtotal"]),
        vat=Decimal(data["vat"]),
        total=Decimal(data["total"]),
        vat_rate=Decimal(data["vat_rate"]),
        customer_name=data["customer_name"],
    )
