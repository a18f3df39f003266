"""bridge.adapters.icinga_api against a real Icinga 2 REST API (TLS, basic auth, 127.0.0.1).

One daemon for the module: every test acts on its own objects, so they do not interfere.
The API user is vigie's own, with only the permissions icinga-config/README.md lists.
"""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import pytest

from bridge.adapters.icinga_api import (
    IcingaApiError,
    IcingaObjectMissing,
    acknowledge_problem,
    application_status,
)
from bridge.config.load import load_config
from bridge.config.model import Config, IcingaApi
from bridge.domain.notification import Event
from bridge.services.icinga import ACKNOWLEDGED, MISSING_TRIES, sync_icinga, take_over
from bridge.services.notifications import record_notification
from bridge.store.unit_of_work import UnitOfWork
from tests.servers.icinga import IcingaSandbox
from tests.servers.icinga_pki import NODE_NAME, Certificates, make_certificates
from tests.servers.polling import free_port, wait_for
from tests.vigie_command import write_config

pytestmark = pytest.mark.icinga

OBJECTS = """
object Host "web01" {
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
  check_interval = 1s
}
object Host "down01" {
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 2
  check_interval = 1s
  max_check_attempts = 1
}
template Service "checked-often" {
  host_name = "web01"
  check_command = "dummy"
  check_interval = 1s
  max_check_attempts = 1
}
object Service "broken" { import "checked-often"; vars.dummy_state = 2 }
object Service "broken-too" { import "checked-often"; vars.dummy_state = 2 }
object Service "fine" { import "checked-often"; vars.dummy_state = 0 }
object Service "again" { import "checked-often"; vars.dummy_state = 2 }
"""


@pytest.fixture(scope="module")
def sandbox(
    tmp_path_factory: pytest.TempPathFactory, icinga_certificates: Certificates
) -> Iterator[IcingaSandbox]:
    root = tmp_path_factory.mktemp("icinga-api")
    instance = IcingaSandbox(
        root=root / "icinga",
        vigie_config=root / "vigie.yaml",
        objects=OBJECTS,
        certificates=icinga_certificates,
    )
    instance.build()
    try:
        instance.start()
        for service in ("broken", "broken-too", "fine", "again"):

            def checked(name: str = service) -> bool | None:
                return instance.service("web01", name)["last_check"] > 0 or None

            wait_for(f"web01!{service} to be checked", checked)
        wait_for(
            "down01 to be DOWN",
            lambda: (
                instance.api("GET", "/v1/objects/hosts/down01")["results"][0]["attrs"]["state"] == 1
                or None
            ),
        )
        yield instance
    finally:
        instance.stop()


@pytest.fixture
def api(sandbox: IcingaSandbox) -> IcingaApi:
    return IcingaApi(
        url=sandbox.url,
        user=sandbox.vigie_user,
        password_file=sandbox.vigie_password_file,
        ca_file=sandbox.ca_file,
        verify=True,
        timeout=5.0,
    )


def one_line_error(call: object) -> str:
    assert isinstance(call, pytest.ExceptionInfo)
    message = str(call.value)
    assert message and "\n" not in message
    return message


def test_status_answers_with_the_node_name(api: IcingaApi) -> None:
    status = application_status(api)
    assert status["node_name"] == NODE_NAME
    assert status["version"].startswith("r2.")


def test_acknowledges_a_service_problem_with_author_and_comment(
    api: IcingaApi, sandbox: IcingaSandbox
) -> None:
    acknowledge_problem(api, "web01", "broken", "alice", "Vigie ticket #7 taken over by alice")
    assert sandbox.service("web01", "broken")["acknowledgement"] == 2  # sticky
    assert sandbox.service("web01", "broken-too")["acknowledgement"] == 0
    (comment,) = sandbox.comments("web01", "broken")
    assert comment["author"] == "alice"
    assert comment["text"] == "Vigie ticket #7 taken over by alice"
    # Again: already acknowledged is not a failure, and adds nothing.
    acknowledge_problem(api, "web01", "broken", "bob", "Vigie ticket #7 taken over by bob")
    assert [c["author"] for c in sandbox.comments("web01", "broken")] == ["alice"]


def test_acknowledges_a_host_problem(api: IcingaApi, sandbox: IcingaSandbox) -> None:
    acknowledge_problem(api, "down01", None, "carol", "Vigie ticket #8")
    host = sandbox.api("GET", "/v1/objects/hosts/down01")["results"][0]["attrs"]
    assert host["acknowledgement"] == 2


def test_nothing_to_acknowledge_on_an_ok_service_is_not_an_error(
    api: IcingaApi, sandbox: IcingaSandbox
) -> None:
    acknowledge_problem(api, "web01", "fine", "alice", "Vigie ticket #9")
    assert sandbox.service("web01", "fine")["acknowledgement"] == 0


def test_an_unknown_service_is_an_error_naming_it(api: IcingaApi) -> None:
    with pytest.raises(IcingaApiError) as error:
        acknowledge_problem(api, "web01", "nope", "alice", "Vigie ticket #10")
    assert "web01!nope" in one_line_error(error)


def test_names_cannot_widen_the_filter(api: IcingaApi, sandbox: IcingaSandbox) -> None:
    # A host name is data, never filter syntax: this must match no host at all.
    with pytest.raises(IcingaApiError):
        acknowledge_problem(api, 'x" || host.name != "', "broken-too", "mallory", "all of them")
    assert sandbox.service("web01", "broken-too")["acknowledgement"] == 0


def test_a_wrong_password_says_so(api: IcingaApi, tmp_path: Path) -> None:
    wrong = tmp_path / "password"
    wrong.write_text("not-the-password\n")
    with pytest.raises(IcingaApiError) as error:
        application_status(dataclasses.replace(api, password_file=wrong))
    message = one_line_error(error)
    assert "401" in message and "password_file" in message


def test_a_missing_or_empty_password_file_says_which(api: IcingaApi, tmp_path: Path) -> None:
    missing = tmp_path / "absent"
    with pytest.raises(IcingaApiError) as error:
        application_status(dataclasses.replace(api, password_file=missing))
    assert str(missing) in one_line_error(error)
    empty = tmp_path / "empty"
    empty.write_text("\n")
    with pytest.raises(IcingaApiError) as error:
        application_status(dataclasses.replace(api, password_file=empty))
    assert "empty" in one_line_error(error)


def test_a_certificate_from_another_ca_is_refused(api: IcingaApi, tmp_path: Path) -> None:
    other = make_certificates(tmp_path / "other-pki")
    with pytest.raises(IcingaApiError) as error:
        application_status(dataclasses.replace(api, ca_file=other.ca_file))
    message = one_line_error(error)
    assert "TLS" in message and "ca_file" in message
    # verify: false is the admin's explicit choice, and then it connects.
    status = application_status(dataclasses.replace(api, ca_file=other.ca_file, verify=False))
    assert status["node_name"] == NODE_NAME


def test_nothing_listening_is_an_error_naming_the_url(api: IcingaApi) -> None:
    url = f"https://127.0.0.1:{free_port()}"
    with pytest.raises(IcingaApiError) as error:
        acknowledge_problem(dataclasses.replace(api, url=url), "web01", "broken", "a", "b")
    message = one_line_error(error)
    assert url in message and "cannot connect" in message


def test_a_server_that_never_answers_times_out(api: IcingaApi) -> None:
    # A listening socket nobody serves: TCP connects, TLS never starts.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        url = f"https://127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(IcingaApiError) as error:
            application_status(dataclasses.replace(api, url=url, timeout=0.5))
    assert "no answer within 0.5 s" in one_line_error(error)


# -- the bridge's services on this API: re-acknowledging, giving up ----------------------


def vigie_config(tmp_path: Path, api: IcingaApi) -> Config:
    return dataclasses.replace(load_config(write_config(tmp_path), cache=False), icinga=api)


def event(kind: str, service: str, since: datetime, state: str = "CRITICAL") -> Event:
    return Event(
        type=kind,
        host="web01",
        service=service,
        state=state,
        output="",
        since=since,
        received_at=since + timedelta(seconds=2),
    )


def history(uow: UnitOfWork, ticket_id: int) -> list[str]:
    with uow:
        return [entry.type for entry in uow.tickets.history(ticket_id)]


def test_an_unknown_service_is_an_object_icinga_does_not_have(api: IcingaApi) -> None:
    with pytest.raises(IcingaObjectMissing):
        acknowledge_problem(api, "web01", "nope", "alice", "Vigie ticket #10")


def test_a_problem_back_on_a_taken_ticket_is_acknowledged_again(
    api: IcingaApi, sandbox: IcingaSandbox, tmp_path: Path
) -> None:
    config = vigie_config(tmp_path, api)
    uow = UnitOfWork(config.store_path)
    start = datetime.now(UTC) - timedelta(minutes=30)
    opened = record_notification(uow, config, event("PROBLEM", "again", start), start)
    assert opened.ticket_id is not None
    _, said = take_over(uow, api, opened.ticket_id, "alice", start, start)
    assert said == ACKNOWLEDGED
    # The recovery: Icinga drops the acknowledgement (here by hand, the state staying hard).
    sandbox.api(
        "POST",
        "/v1/actions/remove-acknowledgement?service=" + quote("web01!again", safe=""),
        {},
    )
    assert sandbox.service("web01", "again")["acknowledgement"] == 0
    recovered = start + timedelta(minutes=5)
    record_notification(uow, config, event("RECOVERY", "again", recovered, "OK"), recovered)
    back = start + timedelta(minutes=10)
    outcome = record_notification(uow, config, event("PROBLEM", "again", back), back)

    assert outcome.reacknowledge and outcome.ticket_id == opened.ticket_id
    types = history(uow, opened.ticket_id)
    assert types.count("taken") == 1
    assert types[-3:] == ["problem_again", "icinga_ack_due", "icinga_acknowledged"]
    assert sandbox.service("web01", "again")["acknowledgement"] != 0
    with uow:
        ticket = uow.tickets.get(opened.ticket_id)
    assert ticket.taken_by == "alice" and ticket.taken_at == start
    comments = [c["text"] for c in sandbox.comments("web01", "again")]
    assert any("taken over by alice (the problem came back)" in text for text in comments)


def test_sync_icinga_gives_up_on_an_object_icinga_does_not_have(
    api: IcingaApi, tmp_path: Path
) -> None:
    config = vigie_config(tmp_path, api)
    uow = UnitOfWork(config.store_path)
    start = datetime.now(UTC) - timedelta(minutes=30)
    opened = record_notification(uow, config, event("PROBLEM", "renamed", start), start)
    assert opened.ticket_id is not None
    _, said = take_over(uow, api, opened.ticket_id, "alice", start, start)
    assert said is not None and "no service web01!renamed" in said

    runs = []  # the take-over was the first try; each cron run is one more
    for _ in range(MISSING_TRIES):
        retried = sync_icinga(uow, api, start)
        if not retried:
            break
        runs.append(retried[0])
    assert len(runs) == MISSING_TRIES - 1
    assert all(run.failed for run in runs[:-1])
    last = runs[-1]
    assert last.given_up and not last.failed
    assert f"given up after {MISSING_TRIES} tries" in (last.said or "")
    assert sync_icinga(uow, api, start) == []  # no longer retried
    assert history(uow, opened.ticket_id)[-1] == "icinga_ack_given_up"
