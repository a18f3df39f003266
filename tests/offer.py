"""The offer's levels and rates (contract-rules.md, "Levels" and R7 to R13): the one place the
tests take them from, as ``vigie.yaml`` data and as the domain's values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

from bridge.domain.contract import Level, Rates, ResponseRule

LEVELS_DATA: Mapping[str, Any] = {
    "A": {"fee": 70, "free_quarters": 1, "response": [{"when": "always", "within": "24h"}]},
    "B": {
        "fee": 140,
        "free_quarters": 2,
        "response": [
            {"when": "business_hours", "within": "4h"},
            {"when": "outside", "within": "12h"},
        ],
    },
    "C": {"fee": 210, "free_quarters": 3, "response": [{"when": "always", "within": "4h"}]},
}
RATES_DATA: Mapping[str, Any] = {
    "business_hours": "20.00",
    "outside": "35.00",
    "outside_minimum_quarters": 2,
    "out_of_contract_minimum_quarters": 4,
    "contract_discount": "0.25",
    "express_fee": "75.00",
    "vat": "0.21",
}
BUSINESS_HOURS_DATA: Mapping[str, Any] = {
    "days": ["mon", "tue", "wed", "thu", "fri"],
    "start": "09:00",
    "end": "17:00",
}

LEVELS: Mapping[str, Level] = {
    "A": Level("A", Decimal("70"), 1, (ResponseRule("always", timedelta(hours=24)),)),
    "B": Level(
        "B",
        Decimal("140"),
        2,
        (
            ResponseRule("business_hours", timedelta(hours=4)),
            ResponseRule("outside", timedelta(hours=12)),
        ),
    ),
    "C": Level("C", Decimal("210"), 3, (ResponseRule("always", timedelta(hours=4)),)),
}
RATES = Rates(
    business_hours=Decimal("20.00"),
    outside=Decimal("35.00"),
    outside_minimum_quarters=2,
    out_of_contract_minimum_quarters=4,
    contract_discount=Decimal("0.25"),
    express_fee=Decimal("75.00"),
    vat=Decimal("0.21"),
)
