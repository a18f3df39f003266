"""Month pages (SLA report, statements, invoices with CSV and JSON) and the API's actions,
each the same service as the ``vigie`` command, with the same answers."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime

import requests

from tests.entrypoints.web.harness import Site, notify, ticket_of
from tests.vigie_command import VIGIE, clean_env


def command(site: Site, *args: str) -> str:
    return subprocess.run(
        [VIGIE, "--config", str(site.config_file), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=clean_env(XDG_CACHE_HOME=str(site.config_file.parent / "cache")),
    ).stdout


def post(
    site: Site, ticket_id: int, action: str, body: object, who: str = "alice"
) -> requests.Response:
    return requests.post(
        site.url + f"/api/tickets/{ticket_id}/{action}",
        json=body,
        headers=site.bearer(who),
        timeout=10,
    )


def test_the_api_acts_as_the_pages_do(site: Site) -> None:
    notify(site, "web01", "apiact", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!apiact")["id"]
    taken = post(site, ticket_id, "take", {})
    assert taken.status_code == 200 and taken.json()["taken_by"] == "alice"
    again = post(site, ticket_id, "take", {})
    assert again.status_code == 409 and again.json()["rule"] == "R4"
    refused = post(site, ticket_id, "log", {"minutes": 100})
    assert refused.status_code == 409 and refused.json()["rule"] == "R11"
    bad = post(site, ticket_id, "log", {"minutes": "many"})
    assert bad.status_code == 400 and bad.json()["error"].startswith("minutes:")
    assert post(site, ticket_id, "approve", {"by": "ops@acme.example"}).status_code == 200
    logged = post(site, ticket_id, "log", {"minutes": 100, "note": "by script"})
    assert logged.status_code == 200 and logged.json()["work"][0]["note"] == "by script"
    assert post(site, ticket_id, "close", {"debrief": ""}).json()["rule"] == "R15"
    closed = post(site, ticket_id, "close", {"debrief": "fixed by script"})
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    assert post(site, ticket_id, "explode", {}).status_code == 400
    assert post(site, ticket_id, "take", {}, who="acme-user").status_code == 403
    anonymous = requests.post(site.url + f"/api/tickets/{ticket_id}/take", timeout=10)
    assert anonymous.status_code == 401


def test_month_pages_match_the_commands(site: Site) -> None:
    notify(site, "web01", "month", "HTTP CRITICAL - down")
    month = datetime.now(UTC).astimezone(site.config.timezone).strftime("%Y-%m")
    browser = site.login("alice")
    page = browser.get(site.url + f"/months/{month}", timeout=10)
    assert page.status_code == 200 and f"SLA {month}" in page.text
    sla = browser.get(site.url + f"/months/{month}?format=json", timeout=10).json()
    assert sla == json.loads(command(site, "sla", "--month", month, "--format", "json"))
    sla_csv = browser.get(site.url + f"/months/{month}?format=csv", timeout=10)
    rows = list(csv.DictReader(io.StringIO(sla_csv.text)))
    assert [r["customer"] for r in rows] == [r["customer"] for r in sla]
    statement = browser.get(site.url + f"/statements/acme/{month}?format=json", timeout=10)
    assert statement.json() == json.loads(
        command(site, "statement", "--customer", "acme", "--month", month, "--format", "json")
    )
    as_csv = browser.get(site.url + f"/statements/acme/{month}?format=csv", timeout=10).text
    # The CSV's lines end in CRLF; the command's output was read as text (LF).
    assert as_csv.replace("\r\n", "\n") == command(
        site, "statement", "--customer", "acme", "--month", month, "--format", "csv"
    )
    assert "Total" in browser.get(site.url + f"/statements/acme/{month}", timeout=10).text
    invoice = browser.get(site.url + "/invoices/acme/2026-Q4?format=json", timeout=10).json()
    assert invoice == json.loads(
        command(site, "invoice", "--customer", "acme", "--quarter", "2026-Q4", "--format", "json")
    )
    assert browser.get(site.url + "/months/2026-13", timeout=10).status_code == 400
    assert browser.get(site.url + "/invoices/acme/2026-Q9", timeout=10).status_code == 400
    assert browser.get(site.url + f"/months/{month}?format=xml", timeout=10).status_code == 400


def test_a_customer_account_gets_only_its_own_documents(site: Site) -> None:
    month = datetime.now(UTC).astimezone(site.config.timezone).strftime("%Y-%m")
    browser = site.login("acme-user")
    assert browser.get(site.url + f"/statements/acme/{month}", timeout=10).status_code == 200
    other = browser.get(site.url + f"/statements/bakery/{month}", timeout=10)
    assert other.status_code == 404
    sla = browser.get(site.url + f"/months/{month}?format=json", timeout=10).json()
    assert {row["customer"] for row in sla} <= {"acme"}
    anonymous = requests.get(site.url + f"/months/{month}", allow_redirects=False, timeout=10)
    assert anonymous.status_code == 303
