"""The staff queue in a real browser: Debian's chromium driven by Playwright.

Playwright never downloads a browser here: it launches /usr/bin/chromium, and the browser
resolves no name but loopback. One browser serves the whole module. ``make test`` installs
the chromium package (tools/install-deps); without it these tests fail rather than skip.
Screenshots of the queue and of a ticket page are kept in ``test-artifacts/`` (or
``$VIGIE_TEST_ARTIFACTS``).
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.entrypoints.web.harness import PASSWORD, Site, notify, ticket_of
from tests.vigie_command import ROOT, VIGIE, clean_env

ARTIFACTS = Path(os.environ.get("VIGIE_TEST_ARTIFACTS", ROOT / "test-artifacts"))


def log_in(page: Page, site: Site, name: str = "alice") -> None:
    page.goto(site.url + "/")
    expect(page.locator("h1")).to_have_text("Log in")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Open tickets")
    # Wait for the event stream to be open, or a change made now could come before it.
    expect(page.locator("body")).to_have_attribute("data-sse", "open", timeout=5000)


def test_a_notified_ticket_appears_and_is_worked_from_the_page(page: Page, site: Site) -> None:
    log_in(page, site)
    notify(site, "web01", "browser", "HTTP CRITICAL - Connection refused\nlong text | time=0s")
    committed = time.monotonic()
    ticket_id = ticket_of(site, "web01!browser")["id"]
    row = page.locator(f'#queue-rows tr[data-id="{ticket_id}"]')
    expect(row).to_be_visible(timeout=2000)  # no reload: the event stream brought it
    appeared = time.monotonic() - committed
    assert appeared < 2, appeared
    expect(row).to_contain_text("web01!browser")
    expect(row).to_contain_text("HTTP CRITICAL - Connection refused")
    expect(row.locator("td.left")).to_have_text(re.compile(r"^\d+h \d\dm \d\ds$"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)

    row.locator("a").click()
    expect(page.locator("h1#ticket")).to_contain_text(f"Ticket {ticket_id}")
    page.click("#take button")
    expect(page.locator("table.history")).to_contain_text("taken")
    expect(page.locator("table.fields")).to_contain_text("alice")

    # acme asks for approval past 6 quarters (R11): 100 minutes is refused, then approved.
    page.fill("#log input[name=minutes]", "100")
    page.fill("#log input[name=note]", "restarted the web server")
    page.click("#log button")
    expect(page.locator("#message")).to_contain_text("R11:")
    expect(page.locator("#log input[name=note]")).to_have_value("restarted the web server")
    expect(page.locator("#approve")).to_be_visible()
    page.fill("#approve input[name=by]", "ops@acme.example")
    page.click("#approve button")
    expect(page.locator("table.history")).to_contain_text("approved")
    page.fill("#log input[name=minutes]", "100")
    page.fill("#log input[name=note]", "restarted the web server")
    page.click("#log button")
    expect(page.locator("table.work")).to_contain_text("restarted the web server")
    expect(page.locator("table.work")).to_contain_text("100")

    page.fill("#close textarea[name=debrief]", "Apache had hung; restarted, watched 10 min")
    page.screenshot(path=str(ARTIFACTS / "ticket.png"), full_page=True)
    page.click("#close button")
    expect(page.locator("table.fields")).to_contain_text("closed")
    expect(page.locator("table.history")).to_contain_text("Apache had hung")
    assert ticket_of_any(site, ticket_id)["status"] == "closed"


def ticket_of_any(site: Site, ticket_id: int) -> dict[str, object]:
    import requests

    answer = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("alice"), timeout=10
    )
    data: dict[str, object] = answer.json()
    return data


def test_a_take_over_by_the_command_shows_in_the_open_queue(page: Page, site: Site) -> None:
    notify(site, "web01", "elsewhere", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!elsewhere")["id"]
    log_in(page, site)
    row = page.locator(f'#queue-rows tr[data-id="{ticket_id}"]')
    expect(row).to_contain_text("new")
    subprocess.run(
        [VIGIE, "--config", str(site.config_file), "take", str(ticket_id), "--by", "bob"],
        check=True,
        capture_output=True,
        timeout=60,
        env=clean_env(XDG_CACHE_HOME=str(site.config_file.parent / "cache")),
    )
    expect(row).to_contain_text("taken", timeout=2000)
    expect(row).to_contain_text("bob")
    expect(row.locator("td.left")).to_have_text("-")


def test_the_browser_is_debians_chromium(browser: Browser) -> None:
    """A Chromium update that Playwright cannot drive shows here first."""
    major = int(browser.version.split(".")[0])
    assert major >= 100, browser.version
