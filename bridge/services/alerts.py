"""Sending the customers' alerts (R14) waiting in the outbox, one run at a time."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bridge.adapters.mail import deliver, exclusive
from bridge.config.model import Config
from bridge.domain.alerts import Message
from bridge.store.unit_of_work import UnitOfWork


@dataclass
class Sending:
    """What a run of ``send_alerts`` did; ``ran`` is False when another run held the outbox."""

    ran: bool = True
    sent: int = 0
    failed: list[tuple[Message, str]] = field(default_factory=list)


def send_alerts(
    uow: UnitOfWork, config: Config, clock: Callable[[], datetime] = lambda: datetime.now(UTC)
) -> Sending:
    """Hand every undelivered alert to the relay, recording each attempt as it is made."""
    lock = config.store_path.with_name(config.store_path.name + ".send-alerts.lock")
    done = Sending()
    with exclusive(lock) as mine:
        if not mine:
            return Sending(ran=False)
        with uow:
            waiting = uow.tickets.undelivered()

        def delivered(message: Message, error: str | None) -> None:
            now = clock()
            with uow:
                uow.tickets.add_delivery(message, error, now)
                entry = "alert_sent" if error is None else "alert_failed"
                comment = f"{message.channel} to {message.recipient}" + (
                    f": {error}" if error else ""
                )
                uow.tickets.add_entry(message.ticket_id, None, now, now, entry, comment=comment)
                uow.commit()
            if error is None:
                done.sent += 1
            else:
                done.failed.append((message, error))

        if waiting:
            deliver(waiting, config.alerts, delivered)
    return done
