"""The customer portal in a real browser (Debian's chromium, as the staff queue's tests):
a customer logs in and sees only its tickets, asks for help with the express option and
staff see the request appear live; an approval staff were refused for reaches the customer
through a real SMTP server on loopback, the customer approves, staff see it live, and
staff's next ``vigie log`` passes (R10, R11, R14, R15).

The customer's ticket page is kept as a screenshot in ``test-artifacts/`` (the README's
``docs/portal-ticket.png`` is a copy of it).
"""

from __future__ import annotations

import email
import re
import subprocess
import time
from collections.abc import Iterator
from email.message import Message

import pytest
from playwright.sync_api import Browser, Page, expect

from bridge.services import accounts
from bridge.store.unit_of_work import UnitOfWork
from tests.entrypoints.web.harness import (
    PASSWORD,
    Site,
    loopback_socket,
    make_store,
    notify,
    now,
    serve,
    ticket_of,
)
from tests.entrypoints.web.test_web_browser import ARTIFACTS, log_in
from tests.servers.smtp import SmtpServer
from tests.vigie_command import VIGIE, clean_env


@pytest.fixture(scope="module")
def relay() -> Iterator[SmtpServer]:
    """The SMTP relay the alerts go to: aiosmtpd on loopback, keeping every message."""
    server = SmtpServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, relay: SmtpServer) -> Iterator[Site]:
    """The app with its alerts going to ``relay`` and its public address in the links."""
    folder = tmp_path_factory.mktemp("portal")
    sock = loopback_socket()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    alerts = {
        "smtp_host": "127.0.0.1",
        "smtp_port": relay.port,
        "sender": "noc@provider.example",
        "sms_gateway": "{number}@sms.provider.example",
    }
    config_file, config, tokens = make_store(folder, alerts=alerts, web={"public_url": url})
    store = UnitOfWork(config.store_path)
    accounts.add_user(store, config, "acme-two", "customer", "acme", PASSWORD, now())
    with serve(config, sock) as served:
        assert served == url
        yield Site(url, config, config_file, tokens)


def vigie(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [VIGIE, "--config", str(site.config_file), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(XDG_CACHE_HOME=str(site.config_file.parent / "cache")),
    )


def customer_log_in(page: Page, site: Site, name: str = "acme-user") -> None:
    page.goto(site.url + "/login?lang=en")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("My tickets")


def staff_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    return context.new_page()


def mail_to(relay: SmtpServer, address: str, ticket_id: int) -> Message:
    """The approval request the relay received for ``address`` about the ticket (waits
    up to 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for _, recipients, content in relay.mailbox.messages:
            message = email.message_from_bytes(content)
            subject = str(message["Subject"])
            if address in recipients and f"#{ticket_id}" in subject and "approval" in subject:
                return message
        time.sleep(0.05)
    raise AssertionError(f"no mail to {address} about ticket {ticket_id}")


def test_a_customer_asks_for_express_help_and_staff_see_it_live(
    browser: Browser, page: Page, site: Site
) -> None:
    notify(site, "web01", "theirs-too", "HTTP CRITICAL - down")  # acme's
    notify(site, "shop01", "not-theirs", "HTTP CRITICAL - down")  # bakery's
    other = ticket_of(site, "shop01!not-theirs")["id"]
    staff = staff_page(browser)
    try:
        log_in(staff, site)  # staff's queue, its event stream open
        customer_log_in(page, site)
        open_rows = page.locator("#open-tickets tbody tr[data-id]")
        expect(open_rows.first).to_be_visible()
        assert page.locator(f'tr[data-id="{other}"]').count() == 0
        assert "shop01" not in page.locator("main").inner_text()

        page.click("#ask")
        expect(page.locator("#express-terms")).to_contain_text("75.00 EUR")
        expect(page.locator("#express-terms")).to_contain_text("best effort")
        page.select_option("select[name=server]", "web01")
        page.fill("input[name=subject]", "Please add a mailbox for our new colleague")
        page.fill("textarea[name=description]", "Name: Jeanne Dupont; alias jdupont")
        page.set_input_files(
            "input[name=attachments]",
            files=[{"name": "request.txt", "mimeType": "text/plain", "buffer": b"jdupont"}],
        )
        page.check("input[name=express]")
        page.click("#help button[type=submit]")
        expect(page.locator("#opened")).to_contain_text("We take it over by")
        ticket_id = int(page.locator("h1#ticket").get_attribute("data-id") or 0)
        expect(page.locator("table.fields")).to_contain_text("best effort")
        expect(page.locator("ul.attachments")).to_contain_text("request.txt")

        row = staff.locator(f'#queue-rows tr[data-id="{ticket_id}"]')
        expect(row).to_be_visible(timeout=2000)  # no reload: the event stream brought it
        expect(row).to_contain_text("acme")

        # The customer's list follows too: staff take it over, the status changes there.
        page.click("#nav-tickets")
        expect(page.locator("body")).to_have_attribute("data-sse", "open", timeout=5000)
        mine = page.locator(f'#open-tickets tr[data-id="{ticket_id}"]')
        expect(mine).to_contain_text("new")
        assert vigie(site, "take", str(ticket_id), "--by", "alice").returncode == 0
        expect(mine).to_contain_text("taken", timeout=2000)
        expect(mine.locator("td.sla")).to_have_text("met")
    finally:
        staff.context.close()


def test_an_approval_asked_by_staff_reaches_the_customer_who_approves(
    browser: Browser, page: Page, site: Site, relay: SmtpServer
) -> None:
    notify(site, "web01", "disk", "DISK CRITICAL - /var 99% <full>")
    ticket_id = ticket_of(site, "web01!disk")["id"]
    assert vigie(site, "take", str(ticket_id), "--by", "alice").returncode == 0
    refused = vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice")
    assert refused.returncode == 1 and "R11" in refused.stderr, refused.stderr
    sent = vigie(site, "send-alerts")
    assert sent.returncode == 0, sent.stderr
    mail = mail_to(relay, "ops@acme.example", ticket_id)
    body = mail.get_payload(decode=True)
    assert isinstance(body, bytes)
    link = re.search(r"http://127\.0\.0\.1:\d+/tickets/\d+", body.decode())
    assert link is not None and link.group(0) == f"{site.url}/tickets/{ticket_id}"
    sms = mail_to(relay, "32470000000@sms.provider.example", ticket_id)
    assert "approval" in str(sms.get_payload())

    staff = staff_page(browser)
    try:
        log_in(staff, site)
        staff.goto(f"{site.url}/tickets/{ticket_id}")
        expect(staff.locator("body")).to_have_attribute("data-sse", "open", timeout=5000)
        expect(staff.locator("#approvals-live")).to_contain_text("waiting")

        customer_log_in(page, site, "acme-two")  # any contact of acme may answer
        page.goto(link.group(0))
        approval = page.locator("#approval")
        expect(approval).to_contain_text("7 quarters")
        expect(approval).to_contain_text("EUR")
        expect(page.locator("table.history")).to_contain_text("DISK CRITICAL - /var 99% <full>")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "portal-ticket.png"), full_page=True)
        page.click("#approve button")
        expect(page.locator("table.requests")).to_contain_text("approved, acme-two")

        # Staff's page shows the answer without a reload.
        expect(staff.locator("#approvals-live")).to_contain_text(
            "approved by acme-two", timeout=2000
        )
        expect(staff.locator("#history-rows")).to_contain_text("approved")
    finally:
        staff.context.close()
    logged = vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice")
    assert logged.returncode == 0, logged.stderr
