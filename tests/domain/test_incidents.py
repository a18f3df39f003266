"""The pure decision of what a notification does to the tickets, as a table.

Each row: an event, the tickets already there, and the decision expected (R4: a deadline
never moves, so re-notifications and state changes only go to the history).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bridge.domain.incidents import Decision, TicketState, decide
from bridge.domain.notification import Event

T0 = datetime(2026, 11, 20, 15, 30, tzinfo=UTC)
HOUR = timedelta(hours=1)


def event(
    kind: str = "PROBLEM",
    service: str | None = "http",
    state: str | None = "CRITICAL",
    since: datetime = T0,
) -> Event:
    return Event(
        type=kind,
        host="web01",
        service=service,
        state=state,
        output="",
        since=since,
        received_at=since + timedelta(seconds=5),
    )


def ticket(
    id: int = 1,
    key: str = "web01!http",
    status: str = "new",
    taken: bool = False,
    recovered: datetime | None = None,
    closed: datetime | None = None,
) -> TicketState:
    return TicketState(id, key, status, T0 if taken else None, recovered, closed)


ROWS = [
    # (why, event, open, host, last, last_state, expected)
    ("first problem opens", event(), None, None, None, None, Decision("open", None, "opened")),
    (
        "R4 same state again is a re-notification",
        event(),
        ticket(),
        None,
        ticket(),
        "CRITICAL",
        Decision("append", 1, "renotification"),
    ),
    (
        "R4 WARNING to CRITICAL is a state change",
        event(),
        ticket(),
        None,
        ticket(),
        "WARNING",
        Decision("append", 1, "state_change"),
    ),
    (
        "relapse within reopen_within",
        event(since=T0 + HOUR),
        ticket(recovered=T0 + HOUR / 2),
        None,
        None,
        "OK",
        Decision("append", 1, "problem_again", clear_recovery=True),
    ),
    (
        "relapse within reopen_within on a taken ticket: acknowledged again, not taken again",
        event(since=T0 + HOUR),
        ticket(status="taken", taken=True, recovered=T0 + HOUR / 2),
        None,
        None,
        "OK",
        Decision("append", 1, "problem_again", clear_recovery=True, reacknowledge=True),
    ),
    (
        "relapse long after the recovery: a new incident",
        event(since=T0 + 3 * HOUR),
        ticket(recovered=T0 + HOUR / 2),
        None,
        None,
        "OK",
        Decision("open", None, "opened"),
    ),
    (
        "replay of a problem before the closing",
        event(since=T0),
        None,
        None,
        ticket(status="closed", closed=T0 + HOUR),
        "OK",
        Decision("append", 1, "replay"),
    ),
    (
        "replay exactly at the closing",
        event(since=T0 + HOUR),
        None,
        None,
        ticket(status="closed", closed=T0 + HOUR),
        "OK",
        Decision("append", 1, "replay"),
    ),
    (
        "closed after a recovery, back soon: reopened",
        event(since=T0 + 2 * HOUR),
        None,
        None,
        ticket(status="closed", recovered=T0 + HOUR, closed=T0 + HOUR + HOUR / 4),
        "OK",
        Decision("reopen", 1, "reopened", clear_recovery=True),
    ),
    (
        "taken, closed on recovery, back soon: reopened and acknowledged again",
        event(since=T0 + 2 * HOUR),
        None,
        None,
        ticket(status="closed", taken=True, recovered=T0 + HOUR, closed=T0 + HOUR),
        "OK",
        Decision("reopen", 1, "reopened", clear_recovery=True, reacknowledge=True),
    ),
    (
        "closed after a recovery, back much later: new",
        event(since=T0 + 5 * HOUR),
        None,
        None,
        ticket(status="closed", recovered=T0 + HOUR, closed=T0 + HOUR + HOUR / 4),
        "OK",
        Decision("open", None, "opened"),
    ),
    (
        "service failing on a down host joins its ticket",
        event(),
        None,
        ticket(7, key="web01"),
        None,
        None,
        Decision("append", 7, "joined_host_ticket"),
    ),
    (
        "R4 acknowledgement takes over",
        event("ACKNOWLEDGEMENT"),
        ticket(),
        None,
        ticket(),
        "CRITICAL",
        Decision("append", 1, "acknowledgement", take=True),
    ),
    (
        "a second acknowledgement only notes",
        event("ACKNOWLEDGEMENT"),
        ticket(taken=True),
        None,
        ticket(taken=True),
        "CRITICAL",
        Decision("append", 1, "acknowledgement"),
    ),
    (
        "recovery recovers its own ticket",
        event("RECOVERY", state="OK"),
        ticket(),
        None,
        ticket(),
        "CRITICAL",
        Decision("append", 1, "recovery", recover=True),
    ),
    (
        "a joined service's recovery does not recover the host",
        event("RECOVERY", state="OK"),
        ticket(7, key="web01"),
        None,
        ticket(7, key="web01"),
        "CRITICAL",
        Decision("append", 7, "recovery"),
    ),
    (
        "recovery with no ticket is kept apart",
        event("RECOVERY", state="OK"),
        None,
        None,
        None,
        None,
        Decision("detached", None, "recovery"),
    ),
    (
        "downtime before any problem is kept apart",
        event("DOWNTIMESTART", state=None),
        None,
        None,
        None,
        None,
        Decision("detached", None, "downtime_start"),
    ),
    (
        "flapping goes to the open ticket",
        event("FLAPPINGSTART"),
        ticket(),
        None,
        ticket(),
        "CRITICAL",
        Decision("append", 1, "flapping_start"),
    ),
]


@pytest.mark.parametrize(
    ("why", "new", "open_ticket", "host_ticket", "last_ticket", "last_state", "expected"),
    ROWS,
    ids=[row[0] for row in ROWS],
)
def test_decide(
    why: str,
    new: Event,
    open_ticket: TicketState | None,
    host_ticket: TicketState | None,
    last_ticket: TicketState | None,
    last_state: str | None,
    expected: Decision,
) -> None:
    got = decide(
        new,
        open_ticket=open_ticket,
        host_ticket=host_ticket,
        last_ticket=last_ticket or open_ticket,
        last_state=last_state,
        reopen_within=HOUR,
    )
    assert got == expected, why
