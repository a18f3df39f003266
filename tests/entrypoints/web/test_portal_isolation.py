"""Customer isolation in the portal, without a browser: a customer account reading,
approving, declining or commenting on another customer's ticket, through the pages and the
JSON API, gets 404 each time (as for a ticket that does not exist), and nothing is
written. The same for the other customer's files, statements and invoices."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from decimal import Decimal

import pytest
import requests

from bridge.domain.portal import NewAttachment
from bridge.services import accounts
from bridge.services import tickets as services
from tests.entrypoints.web.harness import PASSWORD, Site, make_store, now, page_csrf, serve

TABLES = (
    "tickets",
    "events",
    "work",
    "approvals",
    "outbox",
    "attachments",
    "approval_requests",
    "approval_decisions",
)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The app with a second customer's account (bakery) beside acme's."""
    config_file, config, tokens = make_store(tmp_path_factory.mktemp("isolation"))
    site = Site("", config, config_file, tokens)
    accounts.add_user(site.uow(), config, "bakery-user", "customer", "bakery", PASSWORD, now())
    tokens["bakery-user"] = accounts.add_token(site.uow(), "bakery-user", now())
    with serve(config) as url:
        site.url = url
        yield site


def bakery_ticket(site: Site) -> int:
    """A request of bakery's with a file and an approval request waiting for an answer."""
    ticket = services.open_request(
        site.uow(),
        site.config,
        "bakery",
        "shop01",
        "Till printer jammed",
        now(),
        False,
        "bakery-user",
        now(),
        "It prints nothing since this morning",
        [NewAttachment("receipt.txt", "text/plain", b"secret till log")],
    )
    with site.uow() as uow:
        uow.portal.add_request(
            ticket.id, 120, 8, Decimal("20.00"), Decimal("160.00"), "alice", now()
        )
        uow.commit()
    return ticket.id


def counts(site: Site) -> dict[str, int]:
    """How many rows each table of tickets holds: what "nothing written" compares."""
    with closing(sqlite3.connect(site.config.store_path)) as db:
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def test_r15_a_customer_gets_404_for_every_way_into_another_customers_ticket(
    site: Site,
) -> None:
    theirs = bakery_ticket(site)
    missing = theirs + 10_000
    before = counts(site)
    browser = site.login("acme-user")
    csrf = page_csrf(browser.get(site.url + "/", timeout=10).text)
    headers = site.bearer("acme-user")
    for ticket_id in (theirs, missing):
        assert browser.get(site.url + f"/tickets/{ticket_id}", timeout=10).status_code == 404
        assert (
            browser.get(site.url + f"/tickets/{ticket_id}/attachments/1", timeout=10).status_code
            == 404
        )
        for action, data in (
            ("comment", {"text": "hello"}),
            ("approve", {}),
            ("decline", {}),
            ("take", {}),
        ):
            page = browser.post(
                site.url + f"/tickets/{ticket_id}/{action}",
                data={"csrf": csrf, **data},
                allow_redirects=False,
                timeout=10,
            )
            assert page.status_code == 404, (action, page.text)
            api = requests.post(
                site.url + f"/api/tickets/{ticket_id}/{action}",
                json=data,
                headers=headers,
                timeout=10,
            )
            assert api.status_code == 404, (action, api.text)
        read = requests.get(site.url + f"/api/tickets/{ticket_id}", headers=headers, timeout=10)
        assert read.status_code == 404
    assert counts(site) == before
    listed = requests.get(site.url + "/api/tickets", headers=headers, timeout=10).json()
    assert theirs not in [t["id"] for t in listed]
    home = browser.get(site.url + "/", timeout=10).text
    assert "Till printer jammed" not in home


def test_a_customer_gets_404_for_another_customers_statements_and_invoices(site: Site) -> None:
    browser = site.login("acme-user")
    for path in ("/statements/bakery/2026-11", "/invoices/bakery/2026-Q4"):
        for fmt in ("html", "csv", "json", "pdf", "ubl"):
            answer = browser.get(site.url + f"{path}?format={fmt}", timeout=10)
            assert answer.status_code == 404, (path, fmt)


def test_the_owner_sees_its_ticket_its_file_and_the_request_waiting(site: Site) -> None:
    """The same ticket, for bakery's own account: everything the others were refused."""
    ticket_id = bakery_ticket(site)
    browser = site.login("bakery-user")
    page = browser.get(site.url + f"/tickets/{ticket_id}", timeout=10)
    assert page.status_code == 200
    assert "Till printer jammed" in page.text and "It prints nothing" in page.text
    assert "160.00" in page.text and 'id="approve"' in page.text
    found = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("bakery-user"), timeout=10
    ).json()
    attachment = found["attachments"][0]
    assert attachment["name"] == "receipt.txt"
    assert found["approval_requests"][0]["amount"] == "160.00"
    download = browser.get(
        site.url + f"/tickets/{ticket_id}/attachments/{attachment['id']}", timeout=10
    )
    assert download.content == b"secret till log"
    assert download.headers["content-disposition"] == 'attachment; filename="receipt.txt"'
