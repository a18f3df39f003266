"""Benchmark: a year of statements and invoices for 500 servers (about 50,000 work entries).

Builds a deterministic provider (100 customers of 5 servers, some with a 4th-server
discount, a flat fee or a contract-wide refund scope; a year of tickets inside and outside
business hours, breaches, express requests, update work, out-of-contract hosts), then times
the pure billing core: every customer's 12 monthly statements and 4 quarterly invoices, and
separately their rendering as JSON, CSV and tables. Budget: under 2 s in total; exit 1 if
over. Run with ``.venv/bin/python bench/bench_billing.py``.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bridge.domain.billing import BillableTicket, Document, WorkCategory, WorkEntry
from bridge.domain.contract import DEFAULT_RATES, Customer, Level, ResponseRule, Server
from bridge.domain.fees import quarterly_invoice
from bridge.domain.statement import monthly_statement
from bridge.entrypoints.documents import document_csv, document_dict, document_table

BUDGET_SECONDS = 2.0
YEAR = 2026
CUSTOMERS = 100
SERVERS_PER_CUSTOMER = 5
WORK_ENTRIES = 50_000
TZ = ZoneInfo("Europe/Brussels")

LEVELS: Mapping[str, Level] = {
    name: Level(name, Decimal(fee), free, (ResponseRule("always", timedelta(hours=4)),))
    for name, fee, free in (("A", "70", 1), ("B", "140", 2), ("C", "210", 3))
}
RATES = DEFAULT_RATES


@dataclass(frozen=True)
class Workload:
    """The provider's year: its customers and every ticket with its work."""

    customers: tuple[Customer, ...]
    tickets: dict[str, list[BillableTicket]]
    work_entries: int


def build_workload(seed: int = 2026) -> Workload:
    """A deterministic year of tickets for 100 customers of 5 servers."""
    rng = random.Random(seed)
    customers = []
    for c in range(CUSTOMERS):
        servers = {}
        for s in range(SERVERS_PER_CUSTOMER):
            name = f"srv{c:03d}-{s}"
            since = date(YEAR - 1, 1, 1) if s < 3 else date(YEAR, rng.randint(1, 12), 1)
            until = date(YEAR, rng.randint(6, 12), 28) if s == 4 and c % 3 == 0 else None
            servers[name] = Server(name, "ABC"[(c + s) % 3], since, until)
        customers.append(
            Customer(
                id=f"cust{c:03d}",
                name=f"Customer {c:03d}",
                servers=servers,
                approval_threshold=8,
                refund_scope="contract" if c % 7 == 0 else "server",
                multi_server_discount=Decimal("0.10") if c % 2 == 0 else Decimal("0"),
                flat_fee=Decimal("650.00") if c % 10 == 0 else None,
            )
        )
    tickets: dict[str, list[BillableTicket]] = defaultdict(list)
    year_start = datetime(YEAR, 1, 1, tzinfo=TZ)
    year_minutes = 365 * 24 * 60
    categories: tuple[WorkCategory, ...] = ("incident", "request", "update")
    entries = 0
    ticket_id = 0
    while entries < WORK_ENTRIES:
        ticket_id += 1
        who = customers[rng.randrange(CUSTOMERS)]
        local_at = year_start + timedelta(minutes=rng.randrange(year_minutes))
        reference_at = local_at.astimezone(UTC)
        # R1 for the bench only: Monday to Friday 09:00-17:00 local, no holidays.
        inside = local_at.weekday() < 5 and 9 <= local_at.hour < 17
        roll = rng.random()
        server: str | None
        if roll < 0.05:
            server, level = f"unknown{rng.randrange(50)}", None  # out of contract (R9)
        elif roll < 0.10:
            server, level = None, "B"  # a request that names no server
        else:
            server = rng.choice(list(who.servers))
            level = who.servers[server].level
        count = rng.randint(1, 4)
        work = tuple(
            WorkEntry(
                reference_at + timedelta(minutes=30 * i),
                rng.randint(1, 90),
                "alice",
                categories[rng.randrange(3)],
            )
            for i in range(count)
        )
        entries += count
        tickets[who.id].append(
            BillableTicket(
                id=ticket_id,
                customer=who.id,
                server=server,
                kind="request" if server is None else "incident",
                subject=f"ticket {ticket_id}",
                reference_at=reference_at,
                business_hours=inside,
                level=level,
                express=rng.random() < 0.02,
                breached=rng.random() < 0.03,
                work=work,
            )
        )
    return Workload(tuple(customers), dict(tickets), entries)


def run_billing(workload: Workload) -> list[Document]:
    """Every customer's 12 statements and 4 invoices of the year."""
    documents = []
    for customer in workload.customers:
        year_tickets = workload.tickets.get(customer.id, [])
        for month in range(1, 13):
            documents.append(
                monthly_statement(
                    customer, customer.id, YEAR, month, year_tickets, LEVELS, RATES, tz=TZ
                )
            )
        for quarter in range(1, 5):
            documents.append(quarterly_invoice(customer, YEAR, quarter, LEVELS, RATES))
    return documents


def render(documents: list[Document]) -> int:
    """Every document as JSON, CSV and a table; returns the characters produced."""
    size = 0
    for document in documents:
        size += len(json.dumps(document_dict(document)))
        size += len(document_csv(document))
        size += len(document_table(document, TZ))
    return size


def main() -> int:
    """Build the workload, time billing and rendering, compare with the budget."""
    workload = build_workload()
    tickets = sum(len(ts) for ts in workload.tickets.values())
    servers = sum(len(c.servers) for c in workload.customers)

    wall, cpu = time.perf_counter(), time.process_time()
    documents = run_billing(workload)
    billing_wall = time.perf_counter() - wall
    billing_cpu = time.process_time() - cpu

    wall = time.perf_counter()
    characters = render(documents)
    render_wall = time.perf_counter() - wall

    lines = sum(len(d.lines) for d in documents)
    total = sum((d.total for d in documents), Decimal(0))
    total_wall = billing_wall + render_wall
    print(
        f"billing: {servers} servers, {len(workload.customers)} customers, {tickets} tickets, "
        f"{workload.work_entries} work entries, {len(documents)} documents, {lines} lines, "
        f"grand total {total}"
    )
    print(f"billing: statements and invoices {billing_wall:.3f} s wall ({billing_cpu:.3f} s CPU)")
    print(f"billing: rendering JSON, CSV and tables {render_wall:.3f} s ({characters} chars)")
    verdict = "within" if total_wall < BUDGET_SECONDS else "OVER"
    print(f"billing: total {total_wall:.3f} s, {verdict} the {BUDGET_SECONDS:.0f} s budget")
    return 0 if total_wall < BUDGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
