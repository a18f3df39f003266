"""A storm of 200 notifications while the helpdesk goes down in the middle of it, then
comes back, then ``vigie flush``: every incident exists exactly once in the helpdesk, none
lost, none doubled (R15: the store keeps them all meanwhile). Real Request Tracker 5 and
Redmine 5 from Debian's packages."""

from __future__ import annotations

import collections
import json
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

import pytest

from tests.entrypoints.test_helpdesk_outbox import configure, vigie
from tests.servers.helpdesks import Desk
from tests.vigie_command import notify_args

pytestmark = [pytest.mark.helpdesk, pytest.mark.slow]
STORM = 200
OUTAGE_AT = 100  # the helpdesk is stopped once this many notifications are recorded
EXIT_TEMPFAIL = 75


@pytest.mark.parametrize("kind", ["rt", "redmine"])
def test_a_storm_with_an_outage_ends_with_every_incident_exactly_once_in_the_helpdesk(
    tmp_path: Path, private_desk: Callable[[str], Desk], kind: str
) -> None:
    desk = private_desk(kind)
    config = configure(tmp_path, desk)
    since = str(int(time.time()) - 300)

    def notify(number: int) -> int:
        args = notify_args(
            type="PROBLEM", host="web01", service=f"svc{number:03d}", state="CRITICAL",
            since=since, output=f"storm {number}",
        )  # fmt: skip
        return vigie(config, *args).returncode

    codes: list[int] = []
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = [pool.submit(notify, number) for number in range(STORM)]
        for done, future in enumerate(as_completed(futures), start=1):
            codes.append(future.result())
            if done == OUTAGE_AT:
                desk.server.stop()  # the rest of the storm runs into the outage
    assert codes == [0] * STORM  # every notification recorded, whatever the helpdesk did
    waiting = json.loads(vigie(config, "outbox", "--format", "json").stdout)
    # Those after the outage wait (a few more may have gone while the server was stopping).
    assert len(waiting) >= (STORM - OUTAGE_AT) // 2
    assert vigie(config, "flush", "--now").returncode == EXIT_TEMPFAIL  # still down
    desk.server.start()
    flushed = vigie(config, "flush", "--now")
    assert flushed.returncode == 0, flushed.stdout + flushed.stderr[-2000:]

    markers = collections.Counter(
        match.group(0)
        for ticket in desk.tickets()
        if (match := re.match(r"\[vigie#\d+\]", ticket["subject"]))
    )
    assert markers == {f"[vigie#{number}]": 1 for number in range(1, STORM + 1)}
    tickets = json.loads(vigie(config, "tickets", "--format", "json").stdout)
    assert len(tickets) == STORM
    by_marker = {
        re.match(r"\[vigie#\d+\]", t["subject"]).group(0): t["id"]  # type: ignore[union-attr]
        for t in desk.tickets()
    }
    assert all(t["external_ref"] == by_marker[f"[vigie#{t['id']}]"] for t in tickets)
