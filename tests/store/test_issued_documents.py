"""Issued e-invoices in the store: one gapless sequence per year, documents kept as they
left (append-only), and an invalid document refused before anything is stored."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.config.load import load_config
from bridge.domain.billing import make_document
from bridge.domain.einvoice import EInvoice
from bridge.services import einvoicing
from bridge.services.errors import Rejected
from bridge.store.issued import Issued
from bridge.store.unit_of_work import open_store
from tests.backends import Backend
from tests.vigie_command import write_config

NOW = datetime(2026, 12, 2, 9, tzinfo=UTC)


def issued(number: str, customer: str = "acme") -> Issued:
    document = make_document(customer, "", "2026-Q4", "invoice", [], Decimal("0.21"))
    return Issued(
        number,
        "invoice",
        "invoice",
        customer,
        "2026-Q4",
        None,
        NOW,
        document,
        document,
        b"<Invoice/>",
    )


def test_numbers_are_gapless_per_year_and_never_change(backend: Backend) -> None:
    uow = backend.uow()
    with uow:
        for year in (2026, 2026, 2027):
            sequence, number = uow.issued.next_number(year)
            uow.issued.add(year, sequence, issued(number))
        uow.commit()
    with uow:
        assert uow.issued.numbers(2026) == ["2026-000001", "2026-000002"]
        assert uow.issued.numbers(2027) == ["2027-000001"]
        found = uow.issued.by_number("2026-000002")
        assert found is not None and found.ubl == b"<Invoice/>"
        assert found.issued_at == NOW
    with backend.raw() as db:
        with pytest.raises(sqlite3.IntegrityError, match="gapless"):
            db.execute(
                "INSERT INTO issued_documents (year, sequence, number, type, source, customer, "
                "period, issued_at, content, basis, ubl) VALUES (2026, 4, '2026-000004', "
                "'invoice', 'invoice', 'acme', '2026-Q4', 'x', '{}', '{}', ?)",
                (b"\x00",),
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute(
                "UPDATE issued_documents SET ubl = ? WHERE number = '2026-000001'", (b"\x00",)
            )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            db.execute("DELETE FROM issued_documents WHERE number = '2026-000002'")


def test_an_invalid_document_is_refused_with_its_rules_and_nothing_is_issued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: Backend
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    config = load_config(write_config(tmp_path, store=backend.store))
    period = einvoicing.Period("invoice", 2026, 4)
    uow = open_store(config)

    def refuse(ubl: bytes) -> list[str]:
        return ["BR-CO-15 Invoice total amount with VAT (BT-112) = ..."]

    def write(invoice: EInvoice) -> bytes:
        return invoice.number.encode()

    with pytest.raises(Rejected, match=r"acme 2026-Q4: not issued, invalid e-invoice: BR-CO-15"):
        einvoicing.issue(uow, config, None, True, period, NOW, write, refuse)
    with pytest.raises(Rejected, match=r"acme 2026-Q4: draft, invalid e-invoice: BR-CO-15"):
        einvoicing.drafts(uow, config, "acme", False, period, NOW, write, refuse)
    with uow:
        assert uow.issued.numbers(2026) == []
    outputs = einvoicing.issue(uow, config, "acme", False, period, NOW, write, lambda _: [])
    assert [(o.number, o.ubl, o.new) for o in outputs] == [("2026-000001", b"2026-000001", True)]
