"""Benchmark: statements and invoices as ``vigie`` prints them from its embedded store.

``bench_billing.py`` times the pure billing core alone; this one times the real path a
person sending the bills takes: the SQLite store, the ``vigie`` command and its documents.

In a temporary folder it writes a ``vigie.yaml`` (the example's levels and rates, 100
customers holding 500 servers at levels A/B/C with various contract dates, approval
thresholds, flat fees, contract-wide refunds and multi-server discounts), then fills the
store through the project's own API, the calls the ``vigie`` commands make: Icinga problems
through ``record_event``, customers' requests through ``open_ticket``, take-overs (some by
acknowledgement, some late enough to breach), about 50,000 work entries (inside and outside
business hours, update work, out-of-contract hosts, approvals past the R11 threshold) and
closings. Each call is one transaction, as the store makes it; the filling time is printed
but is not part of the budget.

It then runs the installed ``vigie`` (next to this Python) as a subprocess:
``statement --all --month 2026-06`` as JSON and CSV, ``invoice --all --quarter 2026-Q2``
as JSON, and ``statement --all`` for each month of 2026. Every output is parsed and checked
(each document's total = subtotal + VAT, subtotal = the sum of its lines, the work and
express lines are exactly the tickets filled in, JSON and CSV agree). Budget (issue 5): one
``statement --all`` for a month and one ``invoice --all`` for a quarter under 2 s each
(median wall time); exit 1 if over, 2 if an output is wrong.

    .venv/bin/python bench/bench_statements.py [--runs 3] [--profile]

``--profile`` also runs the June statement under cProfile and prints where its time goes.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from measure import peak_rss_kib, rss_method

from bridge.config.load import load_config
from bridge.config.model import Config, ConfigError
from bridge.domain.billing import cents
from bridge.domain.notification import parse_event
from bridge.domain.tickets import Category, Kind, Ticket
from bridge.entrypoints.documents import CSV_FIELDS
from bridge.services import tickets as ticket_services
from bridge.services.errors import Rejected
from bridge.services.notifications import record_notification
from bridge.store.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(Path(sys.executable).with_name("vigie"))
BUDGET_SECONDS = 2.0
COMMAND_TIMEOUT = 120  # seconds: a stuck `vigie` must not hold the benchmark forever
YEAR = 2026
CUSTOMERS = 100
# Servers per customer, cycled: 50 per 10 customers, 500 in all.
SERVER_COUNTS = (5, 3, 7, 5, 4, 6, 5, 2, 8, 5)
WORK_ENTRIES = 50_000
WALK_IN = "walkin"  # a customer Icinga names (host.vars.customer) that has no contract
SERVICES = (None, "disk", "http", "smtp", "load", "backup")  # None: a host problem
STAFF = ("alice", "bob", "carol", "dave")


class CheckFailed(Exception):
    """An output of ``vigie`` is not what the store holds; the message says what."""


# -- the provider ---------------------------------------------------------------------------


def customer_id(number: int) -> str:
    """The id of customer ``number`` in vigie.yaml."""
    return f"c{number:03d}"


def contracts(rng: random.Random) -> dict[str, dict[str, Any]]:
    """The ``customers`` section: 100 customers, 500 servers, varied contract terms."""
    customers: dict[str, dict[str, Any]] = {}
    for c in range(CUSTOMERS):
        servers: dict[str, dict[str, Any]] = {}
        for s in range(SERVER_COUNTS[c % len(SERVER_COUNTS)]):
            entry: dict[str, Any] = {"level": "ABC"[(c + s) % 3]}
            roll = rng.random()
            if roll < 0.15:
                # Joins during the year: its earlier tickets are out of contract (R9).
                entry["since"] = date(YEAR, rng.randint(2, 11), rng.choice((1, 15)))
            else:
                entry["since"] = date(YEAR - 1, rng.randint(1, 12), 1)
            if 0.15 <= roll < 0.23:
                entry["until"] = date(YEAR, rng.randint(3, 11), rng.choice((15, 28)))
            servers[f"srv{c:03d}-{s}"] = entry
        data: dict[str, Any] = {
            "name": f"Customer {c:03d} SA",
            "account_manager": STAFF[c % len(STAFF)],
            "refund_scope": "contract" if c % 7 == 0 else "server",
            "multi_server_discount": "0.10" if c % 2 == 0 else "0",
            "flat_fee": "600.00" if c in (10, 60) else None,
            "servers": servers,
        }
        if c % 3 == 0:
            data["approval_threshold"] = (4, 6, 8, 12)[c // 3 % 4]
        if c % 5 == 0:
            data["alerts"] = {"email": [f"ops@{customer_id(c)}.example"]}
        customers[customer_id(c)] = data
    return customers


def write_config(folder: Path, rng: random.Random) -> Path:
    """vigie.yaml: the example's levels and rates, our customers, a store in ``folder``."""
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["customers"] = contracts(rng)
    data["store"] = {"path": str(folder / "vigie.db")}
    data.pop("icinga", None)
    path = folder / "vigie.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


# -- the year of tickets --------------------------------------------------------------------


@dataclass(frozen=True)
class PlannedTicket:
    """One ticket of the year as it will be put into the store, before it has an id."""

    kind: Kind
    customer: str
    host: str | None
    service: str | None
    reference_at: datetime
    work: tuple[tuple[int, Category], ...]
    express: bool = False
    breach: bool = False
    by_acknowledgement: bool = False
    stays_open: bool = False


def reference_time(rng: random.Random, config: Config) -> datetime:
    """A moment of 2026 in UTC; about half of them are snapped into business hours."""
    tz = config.timezone
    day = date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))
    minute = rng.randrange(24 * 60)
    if day.weekday() < 5 and rng.random() < 0.5:
        minute = rng.randrange(9 * 60, 17 * 60)
    local = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
    return local.astimezone(UTC)


def plan_year(rng: random.Random, config: Config) -> list[PlannedTicket]:
    """About 50,000 work entries' worth of incidents and requests, oldest first."""
    customers = sorted(config.customers.values(), key=lambda c: c.id)
    plans: list[PlannedTicket] = []
    entries = 0
    while entries < WORK_ENTRIES:
        customer = rng.choice(customers)
        hosts = sorted(customer.servers)
        kind: Kind = "incident" if rng.random() < 0.6 else "request"
        count = min(rng.randint(1, 6), WORK_ENTRIES - entries)
        work = tuple(
            (rng.randint(3, 90), "update" if rng.random() < 0.15 else kind) for _ in range(count)
        )
        entries += count
        at = reference_time(rng, config)
        breach = rng.random() < 0.03
        if kind == "incident":
            roll = rng.random()
            who, host = customer.id, rng.choice(hosts)
            if roll < 0.04:
                host = f"legacy-{customer.id}-{rng.randrange(3)}"  # no contract names it (R9)
            elif roll < 0.05:
                who, host = WALK_IN, f"walkin-{rng.randrange(5)}"
            plans.append(
                PlannedTicket(
                    kind="incident",
                    customer=who,
                    host=host,
                    service=rng.choice(SERVICES),
                    reference_at=at,
                    work=work,
                    breach=breach,
                    by_acknowledgement=rng.random() < 0.3,
                )
            )
        else:
            plans.append(
                PlannedTicket(
                    kind="request",
                    customer=customer.id,
                    host=rng.choice(hosts) if rng.random() < 0.7 else None,
                    service=None,
                    reference_at=at,
                    work=work,
                    express=rng.random() < 0.04,
                    breach=breach,
                    stays_open=rng.random() < 0.02,
                )
            )
    plans.sort(key=lambda p: p.reference_at)
    return plans


# -- filling the store ----------------------------------------------------------------------


@dataclass
class MonthFacts:
    """What a month's statements must show, as recorded while filling."""

    work_tickets: set[int] = field(default_factory=set)
    express_tickets: set[int] = field(default_factory=set)
    billable_minutes: int = 0
    customers: set[str] = field(default_factory=set)
    late_takeovers: int = 0


@dataclass
class FillReport:
    """What filling the store did."""

    tickets: int = 0
    work_entries: int = 0
    approvals: int = 0
    refusals: int = 0
    breaches: int = 0
    out_of_contract: int = 0
    not_opened: int = 0
    transactions: int = 0
    months: dict[int, MonthFacts] = field(default_factory=lambda: defaultdict(MonthFacts))


def open_planned(uow: UnitOfWork, config: Config, plan: PlannedTicket) -> Ticket | None:
    """Open the planned ticket as ``vigie notify`` or ``vigie open`` would; None if it did not."""
    if plan.kind == "request":
        subject = f"request about {plan.host or 'the contract'}"
        return ticket_services.open_request(
            uow,
            config,
            plan.customer,
            plan.host,
            subject,
            plan.reference_at,
            plan.express,
            "helpdesk",
            plan.reference_at,
        )
    assert plan.host is not None
    event = parse_event(
        type="PROBLEM",
        host=plan.host,
        service=plan.service,
        state="CRITICAL" if plan.service else "DOWN",
        output=f"{plan.service or 'PING'} CRITICAL - benchmark",
        since=str(plan.reference_at.timestamp()),
        author=None,
        comment=None,
        customer=plan.customer,
        received_at=plan.reference_at + timedelta(seconds=20),
    )
    outcome = record_notification(uow, config, event, event.received_at)
    # A problem on a key whose last ticket closed after it started is only noted (a replay).
    return outcome.opened


def take_over(
    uow: UnitOfWork, config: Config, ticket: Ticket, plan: PlannedTicket, at: datetime
) -> None:
    """Take the ticket over: by ``vigie take``, or by an acknowledgement in Icinga."""
    if plan.by_acknowledgement and ticket.key is not None:
        host, _, service = ticket.key.partition("!")
        event = parse_event(
            type="ACKNOWLEDGEMENT",
            host=host,
            service=service or None,
            state=None,
            output="",
            since=None,
            author=STAFF[ticket.id % len(STAFF)],
            comment="looking into it",
            received_at=at,
        )
        record_notification(uow, config, event, at)
    else:
        ticket_services.take(uow, ticket.id, STAFF[ticket.id % len(STAFF)], at, at)


def fill(config: Config, plans: Sequence[PlannedTicket], rng: random.Random) -> FillReport:
    """Put the year into the store, one API call (one transaction) at a time."""
    report = FillReport()
    tz = config.timezone
    uow = UnitOfWork(config.store_path)  # one transaction per call, as each command makes
    for plan in plans:
        ticket = open_planned(uow, config, plan)
        report.transactions += 1
        if ticket is None:
            report.not_opened += 1
            continue
        report.tickets += 1
        report.out_of_contract += ticket.level is None
        taken_at = plan.reference_at + timedelta(minutes=rng.randint(2, 90))
        if plan.breach and ticket.deadline_at is not None:
            taken_at = ticket.deadline_at + timedelta(minutes=rng.randint(1, 180))
            report.breaches += 1
        take_over(uow, config, ticket, plan, taken_at)
        report.transactions += 1
        at = taken_at
        month = report.months[ticket.reference_at.astimezone(tz).month]
        month.late_takeovers += taken_at > (ticket.deadline_at or taken_at)
        month.customers.add(plan.customer)
        for minutes, category in plan.work:
            at += timedelta(minutes=rng.randint(5, 120))
            by = STAFF[rng.randrange(len(STAFF))]
            try:
                ticket_services.log_work(
                    uow, config, ticket.id, minutes, by, at, category, None, at
                )
            except Rejected:
                # The customer is asked, approves, and the work is logged again (R11).
                ticket_services.approve(uow, ticket.id, "customer contact", at, at)
                ticket_services.log_work(
                    uow, config, ticket.id, minutes, by, at, category, None, at
                )
                report.refusals += 1
                report.approvals += 1
                report.transactions += 2
            report.transactions += 1
            report.work_entries += 1
            month.work_tickets.add(ticket.id)
            month.billable_minutes += 0 if category == "update" else minutes
        if plan.express:
            month.express_tickets.add(ticket.id)
        if not plan.stays_open:
            debrief = (
                "restarted the service, watched it recover" if plan.kind == "incident" else None
            )
            ticket_services.close(uow, ticket.id, debrief, at + timedelta(minutes=10), at)
            report.transactions += 1
    return report


# -- running vigie --------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One run of ``vigie``: wall and CPU seconds, and what it printed."""

    wall: float
    cpu: float
    output: str


def vigie_env() -> dict[str, str]:
    """This environment without VIGIE_* variables, so only --config chooses the file."""
    return {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}


def run_vigie(config: Path, args: Sequence[str], folder: Path) -> Run:
    """Run ``vigie --config C ARGS`` once; its output goes through a file, not a pipe."""
    out_path, err_path = folder / "stdout", folder / "stderr"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with out_path.open("wb") as out, err_path.open("wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(
            [VIGIE, "--config", str(config), *args],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=vigie_env(),
        )
        try:
            code = process.wait(timeout=COMMAND_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=COMMAND_TIMEOUT)
            raise CheckFailed(
                f"vigie {' '.join(args)}: still running after {COMMAND_TIMEOUT} s"
            ) from None
        wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        first = err_path.read_text(encoding="utf-8", errors="replace").strip()[:300]
        raise CheckFailed(f"vigie {' '.join(args)}: exit {code}: {first}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu, out_path.read_text(encoding="utf-8"))


# -- checking what it printed ---------------------------------------------------------------


def _documents(text: str, what: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise CheckFailed(f"{what}: not JSON ({error})") from None
    return data if isinstance(data, list) else [data]


def check_json_documents(text: str, what: str) -> list[dict[str, Any]]:
    """Each document: subtotal = sum of its lines, VAT = subtotal x rate, total = both."""
    documents = _documents(text, what)
    for document in documents:
        name = f"{what} {document['customer']}"
        subtotal, vat, total = (Decimal(document[k]) for k in ("subtotal", "vat", "total"))
        lines = sum((Decimal(line["amount"]) for line in document["lines"]), Decimal("0"))
        if cents(lines) != subtotal:
            raise CheckFailed(f"{name}: subtotal {subtotal}, its lines add up to {lines}")
        if cents(subtotal * Decimal(document["vat_rate"])) != vat:
            raise CheckFailed(f"{name}: VAT {vat} is not {document['vat_rate']} of {subtotal}")
        if subtotal + vat != total:
            raise CheckFailed(f"{name}: total {total} != subtotal {subtotal} + VAT {vat}")
    return documents


def check_csv_documents(text: str, what: str) -> dict[str, Decimal]:
    """The CSV: our header, and per document lines = subtotal, subtotal + VAT = total."""
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or tuple(rows[0]) != CSV_FIELDS:
        raise CheckFailed(f"{what}: the header is {rows[:1]}, expected {list(CSV_FIELDS)}")
    kind, amount = CSV_FIELDS.index("kind"), CSV_FIELDS.index("amount")
    sums: dict[str, Decimal] = defaultdict(Decimal)
    totals: dict[str, dict[str, Decimal]] = defaultdict(dict)
    for row in rows[1:]:
        if len(row) != len(CSV_FIELDS):
            raise CheckFailed(f"{what}: a row of {len(row)} fields: {row[:4]}")
        who = row[0]
        if row[kind] in ("subtotal", "vat", "total"):
            totals[who][row[kind]] = Decimal(row[amount])
        else:
            sums[who] += Decimal(row[amount])
    for who, figures in totals.items():
        if set(figures) != {"subtotal", "vat", "total"}:
            raise CheckFailed(f"{what} {who}: totals rows {sorted(figures)}")
        if cents(sums[who]) != figures["subtotal"]:
            raise CheckFailed(f"{what} {who}: lines {sums[who]} != subtotal {figures['subtotal']}")
        if figures["subtotal"] + figures["vat"] != figures["total"]:
            raise CheckFailed(f"{what} {who}: subtotal + VAT != total {figures['total']}")
    return {who: figures["total"] for who, figures in totals.items()}


def check_statements(
    documents: Sequence[dict[str, Any]],
    facts: MonthFacts,
    config: Config,
    what: str,
    past: bool = False,
) -> None:
    """The statements show exactly the month's tickets with work, express fees and minutes;
    a ``past`` month (its late take-overs before now) with breaches shows refunds (R5)."""
    customers = {d["customer"] for d in documents}
    missing = (set(config.customers) | facts.customers) - customers
    if missing:
        raise CheckFailed(f"{what}: no statement for {', '.join(sorted(missing)[:5])}")
    lines = [line for d in documents for line in d["lines"]]
    work = {line["ticket"] for line in lines if line["kind"] == "work"}
    express = {line["ticket"] for line in lines if line["kind"] == "express"}
    minutes = sum(line["minutes"] for line in lines if line["kind"] == "work")
    if work != facts.work_tickets:
        raise CheckFailed(
            f"{what}: {len(work)} tickets with work lines, the store holds "
            f"{len(facts.work_tickets)} (e.g. {sorted(work ^ facts.work_tickets)[:5]})"
        )
    if express != facts.express_tickets:
        raise CheckFailed(
            f"{what}: {len(express)} express lines, {len(facts.express_tickets)} filed"
        )
    if minutes != facts.billable_minutes:
        raise CheckFailed(f"{what}: {minutes} billable minutes, {facts.billable_minutes} logged")
    refunds = [line for line in lines if line["kind"] == "refund"]
    if past and facts.late_takeovers and not refunds:
        raise CheckFailed(f"{what}: {facts.late_takeovers} late take-overs but no refund line")
    if any(Decimal(line["amount"]) >= 0 for line in refunds):
        raise CheckFailed(f"{what}: a refund line that is not a credit")


def check_invoices(documents: Sequence[dict[str, Any]], config: Config, what: str) -> None:
    """One invoice per contract, made of fee lines only."""
    customers = sorted(d["customer"] for d in documents)
    if customers != sorted(config.customers):
        raise CheckFailed(
            f"{what}: invoices for {len(customers)} customers, {len(config.customers)} expected"
        )
    kinds = {line["kind"] for d in documents for line in d["lines"]}
    if kinds != {"fee"}:
        raise CheckFailed(f"{what}: line kinds {sorted(kinds)}, expected only fee")


# -- measuring ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timed:
    """The runs of one command and the output they all printed."""

    label: str
    runs: tuple[Run, ...]

    @property
    def median_wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    @property
    def median_cpu(self) -> float:
        return statistics.median(r.cpu for r in self.runs)

    @property
    def output(self) -> str:
        return self.runs[0].output


def timed(label: str, config: Path, args: Sequence[str], folder: Path, runs: int) -> Timed:
    """Run a command ``runs`` times; every run must print the same document."""
    done = tuple(run_vigie(config, args, folder) for _ in range(runs))
    if any(r.output != done[0].output for r in done):
        raise CheckFailed(f"{label}: two runs printed different documents")
    return Timed(label, done)


def profile(config: Path, args: Sequence[str], folder: Path) -> str:
    """The top of a cProfile of one run, by cumulative time."""
    stats = folder / "profile.out"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(stats), VIGIE, "--config", str(config), *args],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        env=vigie_env(),
        check=True,
        timeout=COMMAND_TIMEOUT,
    )
    import pstats

    text = io.StringIO()
    pstats.Stats(str(stats), stream=text).sort_stats("cumulative").print_stats(30)
    return text.getvalue()


def store_counts(path: Path) -> tuple[int, int, int, int]:
    """Tickets, work entries, history entries and approvals in the store (read-only)."""
    db = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)
    try:
        return tuple(  # type: ignore[return-value]
            int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
            for table in ("tickets", "work", "events", "approvals")
        )
    finally:
        db.close()


def months() -> Iterator[str]:
    """2026-01 to 2026-12."""
    return (f"{YEAR}-{m:02d}" for m in range(1, 13))


def main() -> int:
    """Fill a store with a year, time the documents from it, check them, judge the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per command")
    parser.add_argument("--profile", action="store_true", help="cProfile the June statement")
    options = parser.parse_args()
    if options.runs < 1:
        parser.error("--runs: give at least 1")
    rng = random.Random(YEAR)
    with tempfile.TemporaryDirectory(prefix="vigie-bench-") as name:
        folder = Path(name)
        config_path = write_config(folder, rng)
        try:
            config = load_config(config_path)
        except ConfigError as error:
            print(f"bench_statements: the generated vigie.yaml is wrong: {error}", file=sys.stderr)
            return 2
        servers = sum(len(c.servers) for c in config.customers.values())
        plans = plan_year(rng, config)
        started = time.perf_counter()
        report = fill(config, plans, rng)
        fill_seconds = time.perf_counter() - started
        tickets, work, events, approvals = store_counts(config.store_path)
        size = config.store_path.stat().st_size / 2**20
        print(
            f"statements: {len(config.customers)} customers, {servers} servers; store filled "
            f"through the API in {fill_seconds:.1f} s ({report.transactions} transactions, "
            f"{report.transactions / fill_seconds:.0f}/s; not part of the budget)"
        )
        print(
            f"statements: store {size:.1f} MiB: {tickets} tickets ({report.out_of_contract} "
            f"out of contract, {report.breaches} taken late), {work} work entries, {events} "
            f"history entries, {approvals} approvals ({report.refusals} work entries refused "
            f"first, R11); {report.not_opened} problems only noted as replays"
        )
        try:
            return measure(config_path, config, report, folder, options.runs, options.profile)
        except CheckFailed as error:
            print(f"bench_statements: check failed: {error}", file=sys.stderr)
            return 2


def measure(
    config_path: Path, config: Config, report: FillReport, folder: Path, runs: int, profiled: bool
) -> int:
    """Time and check the documents; print the figures; 0 within budget, 1 over."""
    june = ["statement", "--all", "--month", f"{YEAR}-06"]
    quarter = ["invoice", "--all", "--quarter", f"{YEAR}-Q2"]
    commands = {
        "statement --all --month 2026-06 --format json": [*june, "--format", "json"],
        "statement --all --month 2026-06 --format csv": [*june, "--format", "csv"],
        "invoice --all --quarter 2026-Q2 --format json": [*quarter, "--format", "json"],
    }
    results = {
        label: timed(label, config_path, args, folder, runs) for label, args in commands.items()
    }
    json_june = results["statement --all --month 2026-06 --format json"]
    documents = check_json_documents(json_june.output, "June statements (JSON)")
    check_statements(documents, report.months[6], config, "June statements (JSON)", past=True)
    csv_totals = check_csv_documents(
        results["statement --all --month 2026-06 --format csv"].output, "June statements (CSV)"
    )
    json_totals = {d["customer"]: Decimal(d["total"]) for d in documents}
    if csv_totals != json_totals:
        raise CheckFailed("June statements: the CSV totals differ from the JSON totals")
    invoices = check_json_documents(
        results["invoice --all --quarter 2026-Q2 --format json"].output, "Q2 invoices"
    )
    check_invoices(invoices, config, "Q2 invoices")

    year_wall = year_cpu = 0.0
    slowest = ("", 0.0)
    year_total = Decimal("0")
    year_lines = 0
    for number, month in enumerate(months(), start=1):
        run = run_vigie(
            config_path, ["statement", "--all", "--month", month, "--format", "json"], folder
        )
        monthly = check_json_documents(run.output, f"{month} statements")
        check_statements(monthly, report.months[number], config, f"{month} statements")
        year_wall += run.wall
        year_cpu += run.cpu
        year_total += sum((Decimal(d["total"]) for d in monthly), Decimal("0"))
        year_lines += sum(len(d["lines"]) for d in monthly)
        slowest = max(slowest, (month, run.wall), key=lambda item: item[1])

    print(f"statements: `vigie` from the store, median of {runs} run(s) each:")
    for label, result in results.items():
        rss = peak_rss_kib([VIGIE, "--config", str(config_path), *commands[label]])
        memory = f", peak RSS {rss / 1024:.0f} MiB" if rss is not None else ""
        print(
            f"  {label:<46} {result.median_wall:6.3f} s wall, {result.median_cpu:6.3f} s CPU"
            f"{memory}, {len(result.output) / 1024:.0f} KiB out"
        )
    kinds = Counter(line["kind"] for d in documents for line in d["lines"])
    print(
        f"  June: {len(documents)} statements, {sum(kinds.values())} lines ("
        + ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
        + f"); Q2: {len(invoices)} invoices, {sum(len(d['lines']) for d in invoices)} fee lines"
    )
    print(
        f"  statement --all for each month of {YEAR}: {year_wall:.3f} s wall in all "
        f"({year_cpu:.3f} s CPU), slowest {slowest[0]} {slowest[1]:.3f} s; {year_lines} lines, "
        f"{year_total} EUR incl. VAT"
    )
    print(f"  ({rss_method()}; every output parsed and its totals checked)")
    if profiled:
        print(profile(config_path, [*june, "--format", "json"], folder))
    budgeted = [results[label] for label in commands if not label.endswith("csv")]
    over = [r.label for r in budgeted if r.median_wall >= BUDGET_SECONDS]
    over += [f"statement --all --month {slowest[0]}"] if slowest[1] >= BUDGET_SECONDS else []
    verdict = f"OVER: {'; '.join(over)}" if over else "met"
    print(
        f"budget: one statement --all and one invoice --all under {BUDGET_SECONDS:.0f} s "
        f"each: {verdict}"
    )
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
