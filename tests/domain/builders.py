"""Builders for the billing tests; the offer's levels and rates come from ``tests.offer``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from bridge.domain.billing import BillableTicket, TicketKind, WorkCategory, WorkEntry
from bridge.domain.contract import Customer, RefundScope, Server

TZ = ZoneInfo("Europe/Brussels")


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall-clock time in the provider's zone, as the aware UTC datetime the store keeps."""
    return datetime(year, month, day, hour, minute, tzinfo=TZ).astimezone(UTC)


def customer(
    servers: Mapping[str, tuple[str, date, date | None]],
    *,
    id: str = "acme",
    refund_scope: RefundScope = "server",
    discount: str = "0",
    flat_fee: str | None = None,
    threshold: int | None = None,
) -> Customer:
    """A customer whose servers are given as name -> (level, since, until)."""
    return Customer(
        id=id,
        name=id.upper() + " SA",
        servers={
            name: Server(name, level, since, until)
            for name, (level, since, until) in servers.items()
        },
        approval_threshold=threshold,
        refund_scope=refund_scope,
        multi_server_discount=Decimal(discount),
        flat_fee=None if flat_fee is None else Decimal(flat_fee),
    )


def ticket(
    id: int,
    at: datetime,
    *,
    server: str | None = "web01",
    level: str | None = "B",
    business_hours: bool = True,
    minutes: tuple[int, ...] = (),
    category: WorkCategory = "incident",
    updates: tuple[int, ...] = (),
    express: bool = False,
    breached: bool = False,
    kind: TicketKind = "incident",
    customer_id: str = "acme",
) -> BillableTicket:
    """A ticket with work entries of ``minutes`` (in ``category``) and of ``updates``."""
    work = tuple(WorkEntry(at + timedelta(hours=1), m, "alice", category) for m in minutes)
    work += tuple(WorkEntry(at + timedelta(hours=2), m, "bob", "update") for m in updates)
    return BillableTicket(
        id=id,
        customer=customer_id,
        server=server,
        kind=kind,
        subject=f"ticket {id}",
        reference_at=at,
        business_hours=business_hours,
        level=level,
        express=express,
        breached=breached,
        work=work,
    )
