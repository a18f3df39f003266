"""The shipped ``examples/vigie.yaml``, loaded by the real loader, prices as the offer says."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from bridge.config.load import load_config
from bridge.domain.billing import quarter_rate
from bridge.domain.fees import quarterly_invoice
from bridge.domain.statement import monthly_statement
from tests.domain.builders import local, ticket

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "vigie.yaml"


def test_example_rates_levels_and_contracts() -> None:
    config = load_config(EXAMPLE)
    rates, levels = config.rates, config.levels
    # R9: 20 / 0.75 and 35 / 0.75, rounded to the cent.
    assert quarter_rate(True, False, rates) == Decimal("26.67")
    assert quarter_rate(False, False, rates) == Decimal("46.67")
    # R8's worked example with the configured level A.
    sunday = ticket(
        1, local(2026, 11, 29, 11), server="mail01", level="A", business_hours=False, minutes=(10,)
    )
    acme = config.customers["acme"]
    statement = monthly_statement(
        acme, "acme", 2026, 11, [sunday], levels, rates, tz=config.timezone
    )
    assert [(ln.quarters, ln.free_quarters, ln.amount) for ln in statement.lines] == [
        (2, 1, Decimal("35.00"))
    ]
    # R12: the bakery's flat fee of 250 replaces its server fees, every month.
    bakery = config.customers["bakery"]
    invoice = quarterly_invoice(bakery, 2026, 4, levels, rates)
    assert [ln.amount for ln in invoice.lines] == [Decimal("250.00")] * 3
    assert invoice.total == Decimal("907.50")  # 750.00 + 21% VAT 157.50
