"""Contract fees (R12) and the SLA refunds they pay back (R5): per server, per month.

Pure, as ``billing``: fees follow each customer's contract order; a 4th server and more get
the negotiated discount (R12); a flat fee is shared pro rata of the level fees it replaces.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_DOWN, Decimal

from bridge.domain.billing import (
    DISCOUNT_FROM_INDEX,
    ZERO,
    BillingError,
    Breach,
    Document,
    Line,
    cents,
    check_month,
    make_document,
    month_period,
    quarter_months,
)
from bridge.domain.contract import Customer, Level, Rates, Server

# ---------------------------------------------------------------------------------------
# Contract fees (R12)
# ---------------------------------------------------------------------------------------


def under_contract_in_month(server: Server, year: int, month: int) -> bool:
    """R12: whole months, from the server's start month to its end month."""
    check_month(year, month)
    return server.covers(date(year, month, 1))


def contract_order(customer: Customer, year: int, month: int) -> tuple[Server, ...]:
    """The servers under contract in a month, by start date then name (R12)."""
    covered = (s for s in customer.servers.values() if under_contract_in_month(s, year, month))
    return tuple(sorted(covered, key=lambda s: (s.since, s.name)))


def level_named(levels: Mapping[str, Level], name: str, where: str) -> Level:
    level = levels.get(name)
    if level is None:
        known = ", ".join(sorted(levels)) or "none"
        raise BillingError(f"{where}: unknown level {name!r} (known: {known})")
    return level


def _apportion(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split ``total`` pro rata of ``weights`` in cents that add up to ``total`` exactly.

    Largest-remainder method: every share is rounded down to the cent, then the cents left
    go to the largest remainders, the first in order on a tie.
    """
    total_cents = int(cents(total) * 100)
    weight_sum = sum(weights, Decimal(0))
    if weight_sum <= 0:
        weights = [Decimal(1)] * len(weights)
        weight_sum = Decimal(len(weights))
    raw = [total_cents * w / weight_sum for w in weights]
    floors = [int(r.to_integral_value(rounding=ROUND_DOWN)) for r in raw]
    left = total_cents - sum(floors)
    by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - floors[i]), i))
    for i in by_remainder[:left]:
        floors[i] += 1
    return [Decimal(c) / 100 for c in floors]


@dataclass(frozen=True)
class ServerFee:
    """What one server costs in one month (R12): its level fee and what is charged."""

    server: Server
    list_fee: Decimal
    fee: Decimal
    discounted: bool


def monthly_fees(
    customer: Customer, year: int, month: int, levels: Mapping[str, Level]
) -> tuple[ServerFee, ...]:
    """Each server's fee for a month, in contract order (R12).

    From the 4th server on, ``multi_server_discount`` applies; under a flat fee each
    server's fee is its share of the flat fee, pro rata of the level fees (see the module's
    readings), so the fees of a month always add up to what the month is invoiced.
    """
    check_month(year, month)
    servers = contract_order(customer, year, month)
    list_fees = [
        level_named(levels, s.level, f"customers.{customer.id}.servers.{s.name}.level").fee
        for s in servers
    ]
    if customer.flat_fee is not None:
        shares = _apportion(customer.flat_fee, list_fees)
        return tuple(
            ServerFee(server=s, list_fee=cents(f), fee=share, discounted=False)
            for s, f, share in zip(servers, list_fees, shares, strict=True)
        )
    kept = Decimal(1) - customer.multi_server_discount
    fees = []
    for index, (server, list_fee) in enumerate(zip(servers, list_fees, strict=True)):
        discounted = index >= DISCOUNT_FROM_INDEX and customer.multi_server_discount != 0
        fee = cents(list_fee * kept) if discounted else cents(list_fee)
        fees.append(ServerFee(server, cents(list_fee), fee, discounted))
    return tuple(fees)


def monthly_fee(
    customer: Customer, server: str, year: int, month: int, levels: Mapping[str, Level]
) -> Decimal:
    """One server's fee for a month (R12), 0.00 when it is not under contract that month."""
    for entry in monthly_fees(customer, year, month, levels):
        if entry.server.name == server:
            return entry.fee
    return ZERO


def quarterly_invoice(
    customer: Customer, year: int, quarter: int, levels: Mapping[str, Level], rates: Rates
) -> Document:
    """R12: the contract fees of a calendar quarter, invoiced in advance.

    One ``fee`` line per server per month under contract (rate = level fee, amount = after
    the 4th-server discount), or one line per month for a flat fee when at least one server
    is under contract that month.
    """
    lines: list[Line] = []
    for y, m in quarter_months(year, quarter):
        period = month_period(y, m)
        fees = monthly_fees(customer, y, m, levels)
        if not fees:
            continue
        if customer.flat_fee is not None:
            names = ", ".join(f.server.name for f in fees)
            flat = cents(customer.flat_fee)
            lines.append(_fee_line(None, f"{period} flat fee ({names})", rate=flat, amount=flat))
            continue
        for position, entry in enumerate(fees, start=1):
            description = f"{period} {entry.server.name} level {entry.server.level}"
            if entry.discounted:
                pct = _percent(customer.multi_server_discount)
                description += f", server {position}: -{pct}%"
            lines.append(
                _fee_line(entry.server.name, description, rate=entry.list_fee, amount=entry.fee)
            )
    return make_document(
        customer.id, customer.name, f"{year}-Q{quarter}", "invoice", lines, rates.vat
    )


def _fee_line(server: str | None, description: str, rate: Decimal, amount: Decimal) -> Line:
    return Line(
        kind="fee",
        ticket=None,
        server=server,
        description=description,
        reference_at=None,
        business_hours=None,
        minutes=0,
        quarters=0,
        free_quarters=0,
        rate=rate,
        amount=amount,
    )


def _percent(fraction: Decimal) -> str:
    """0.10 as ``10``, 0.125 as ``12.5``."""
    return format((fraction * 100).normalize(), "f")


# ---------------------------------------------------------------------------------------
# SLA refunds (R5)
# ---------------------------------------------------------------------------------------


def sla_refunds(
    customer: Customer | None,
    year: int,
    month: int,
    breaches: Iterable[Breach],
    levels: Mapping[str, Level],
) -> tuple[Line, ...]:
    """R5: one negative line per refunded server for the month, whatever the breach count.

    ``refund_scope: server`` refunds the breached ticket's server; ``contract`` every server
    under contract that month; a request with no server refunds the highest server fee.
    No contract (``customer`` None), no refund (R9). Each line names the first breached
    ticket (by reference time) that caused it.
    """
    ordered = sorted(breaches, key=lambda b: (b.reference_at, b.ticket))
    if customer is None or not ordered:
        return ()
    fees = {entry.server.name: entry for entry in monthly_fees(customer, year, month, levels)}
    if not fees:
        return ()
    highest = max(fees.values(), key=lambda entry: entry.fee).server.name
    caused_by: dict[str, Breach] = {}
    for breach in ordered:
        if customer.refund_scope == "contract":
            targets: Iterable[str] = fees
        elif breach.server is None:
            targets = (highest,)
        elif breach.server in fees:
            targets = (breach.server,)
        else:
            targets = ()  # not under contract this month: no fee, nothing to refund
        for name in targets:
            caused_by.setdefault(name, breach)
    period = month_period(year, month)
    lines = []
    for name, breach in caused_by.items():
        fee = fees[name].fee
        if fee == 0:
            continue
        lines.append(
            Line(
                kind="refund",
                ticket=breach.ticket,
                server=name,
                description=f"SLA refund: {name} fee for {period} (ticket #{breach.ticket} "
                "breached)",
                reference_at=breach.reference_at,
                business_hours=None,
                minutes=0,
                quarters=0,
                free_quarters=0,
                rate=fee,
                amount=-fee,
            )
        )
    return tuple(lines)
