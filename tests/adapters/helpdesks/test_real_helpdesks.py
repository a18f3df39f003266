"""The adapters of Request Tracker 5 and Redmine 5 against the real servers from Debian's
packages: open for a marker, find it again, comment, take over, log time, close, and read
back what was done; each failure one HelpdeskError line."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bridge.adapters.helpdesks import Helpdesk, HelpdeskError
from bridge.adapters.helpdesks.redmine import Redmine
from bridge.adapters.helpdesks.rt import RequestTracker
from tests.servers.helpdesks import Desk
from tests.servers.redmine import RedmineServer
from tests.servers.request_tracker import RequestTrackerServer

pytestmark = pytest.mark.helpdesk


def adapter(desk: Desk, secret: str | None = None) -> Helpdesk:
    if desk.kind == "rt":
        return RequestTracker(desk.url, secret or desk.secret, desk.project, 10)
    return Redmine(desk.url, secret or desk.secret, desk.project, 10)


def test_the_whole_life_of_an_external_ticket(desk: Desk) -> None:
    helpdesk = adapter(desk)
    assert helpdesk.find("[vigie#12]") is None
    ref = helpdesk.open("[vigie#12]", "[vigie#12] web01!http: HTTP CRITICAL", "PROBLEM")
    assert helpdesk.find("[vigie#12]") == ref
    assert helpdesk.find("[vigie#1]") is None  # #1 is not a prefix match of #12
    helpdesk.comment(ref, "looking")
    helpdesk.set_status(ref, "taken")
    helpdesk.add_time(ref, 30, "alice", datetime.now(UTC), "restarted the pool")
    helpdesk.set_status(ref, "closed")
    [ticket] = desk.with_marker("[vigie#12]")
    assert "web01!http" in ticket["subject"]
    assert ticket["status"] == {"rt": "resolved", "redmine": "Closed"}[desk.kind]
    actions = helpdesk.activity(ref)
    kinds = [action.kind for action in actions]
    assert kinds.index("taken") < kinds.index("closed")
    assert [a.minutes for a in actions if a.kind == "work"] == [30]
    assert "looking" in [a.text for a in actions if a.kind == "comment"]
    assert all(a.at.tzinfo is not None for a in actions)
    assert len({a.source for a in actions}) == len(actions)  # each imported once


def test_a_ticket_of_another_queue_or_project_is_not_found(desk: Desk) -> None:
    other = Desk(desk.kind, desk.server, desk.project, desk.secret)
    adapter(other).open("[vigie#5]", "[vigie#5] db01", "x")
    from tests.servers.helpdesks import new_desk

    elsewhere = new_desk(desk.kind, desk.server)
    assert adapter(elsewhere).find("[vigie#5]") is None


def test_rt_takes_a_token_from_the_token_file(rt_server: RequestTrackerServer) -> None:
    from tests.servers.helpdesks import new_desk

    desk = new_desk("rt", rt_server)
    helpdesk = RequestTracker(desk.url, rt_server.make_token(), desk.project, 10)
    ref = helpdesk.open("[vigie#3]", "[vigie#3] mail01", "x")
    assert helpdesk.find("[vigie#3]") == ref


def test_rt_refusals_are_errors_even_when_it_answers_200(rt_server: RequestTrackerServer) -> None:
    from tests.servers.helpdesks import new_desk

    desk = new_desk("rt", rt_server)
    with pytest.raises(HelpdeskError, match="HTTP 401"):
        RequestTracker(desk.url, "root:wrong", desk.project, 10).find("[vigie#1]")
    with pytest.raises(HelpdeskError, match="No permission to create tickets in the queue"):
        RequestTracker(desk.url, desk.secret, "NoSuchQueue", 10).open("[vigie#1]", "s", "b")
    helpdesk = RequestTracker(desk.url, desk.secret, desk.project, 10)
    ref = helpdesk.open("[vigie#1]", "[vigie#1] x", "b")
    helpdesk.http.call("PUT", f"/ticket/{ref}", {"Status": "resolved"})
    with pytest.raises(HelpdeskError, match="RT refused"):
        RequestTracker._check(helpdesk.http.call("PUT", f"/ticket/{ref}", {"Status": "bogus"})[1])


def test_redmine_errors_name_what_failed(redmine_server: RedmineServer) -> None:
    from tests.servers.helpdesks import new_desk

    desk = new_desk("redmine", redmine_server)
    with pytest.raises(HelpdeskError, match="HTTP 401"):
        Redmine(desk.url, "wrong-key", desk.project, 10).open("[vigie#1]", "s", "b")
    with pytest.raises(HelpdeskError, match="HTTP 422"):
        Redmine(desk.url, desk.secret, "no-such-project", 10).open("[vigie#1]", "s", "b")
    with pytest.raises(HelpdeskError, match="no tracker named 'Nope'"):
        Redmine(desk.url, desk.secret, desk.project, 10, tracker="Nope").open("[vigie#1]", "s", "b")
    helpdesk = Redmine(desk.url, desk.secret, desk.project, 10, tracker="Support")
    ref = helpdesk.open("[vigie#1]", "[vigie#1] web01", "b")
    issue = desk.call("GET", f"/issues/{ref}.json")["issue"]
    assert issue["tracker"]["name"] == "Support"


def test_a_stopped_helpdesk_is_one_line_error() -> None:
    from tests.servers.polling import free_port

    helpdesk = RequestTracker(f"http://127.0.0.1:{free_port()}", "root:password", "General", 2)
    with pytest.raises(HelpdeskError, match="Connection refused") as caught:
        helpdesk.find("[vigie#1]")
    assert "\n" not in str(caught.value)
