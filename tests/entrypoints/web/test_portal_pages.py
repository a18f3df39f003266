"""The customer portal without a browser: asking for help (R10's express fee shown before it
is chosen, the take-over deadline at once, attachments kept with a size limit, CSRF),
approvals (R11) asked by staff and answered by the customer, the money page's downloads,
and every page in French, Dutch and English with no message id left untranslated."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import pytest
import requests
import yaml
from markupsafe import escape

from bridge.config.load import load_config
from bridge.config.model import ConfigError
from bridge.domain.portal import MAX_ATTACHMENT_BYTES
from bridge.entrypoints.web import i18n
from bridge.services import accounts
from bridge.store.unit_of_work import UnitOfWork
from tests.entrypoints.web.harness import (
    PASSWORD,
    Site,
    notify,
    now,
    page_csrf,
    serve,
    ticket_of,
)
from tests.vigie_command import VIGIE, clean_env, write_config


def vigie(site: Site, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``vigie`` command on the site's store."""
    return subprocess.run(
        [VIGIE, "--config", str(site.config_file), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(XDG_CACHE_HOME=str(site.config_file.parent / "cache")),
    )


def ask(
    browser: requests.Session,
    site: Site,
    files: list[tuple[str, bytes]] | None = None,
    **fields: str,
) -> requests.Response:
    """POST the ask-for-help form with the page's CSRF token."""
    csrf = page_csrf(browser.get(site.url + "/help", timeout=10).text)
    return browser.post(
        site.url + "/help",
        data={"csrf": csrf, **fields},
        files=[("attachments", (name, content, "text/plain")) for name, content in files or []],
        allow_redirects=False,
        timeout=30,
    )


def rows(site: Site, table: str) -> int:
    with closing(sqlite3.connect(site.config.store_path)) as db:
        count: int = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return count


def test_r10_the_help_form_shows_the_express_fee_and_best_effort_before_it_is_chosen(
    site: Site,
) -> None:
    browser = site.login("acme-user")
    form = browser.get(site.url + "/help", timeout=10).text
    terms = form[form.index('id="express-terms"') : form.index('name="express"')]
    assert "75.00 EUR" in terms and "best effort" in terms and "refunds nothing" in terms
    assert '<option value="web01">' in form and '<option value="shop01">' not in form
    assert "None in particular" in form


def test_r2_a_request_with_express_and_a_file_shows_its_take_over_deadline_at_once(
    site: Site,
) -> None:
    browser = site.login("acme-user")
    answer = ask(
        browser,
        site,
        [("error.log", b"<script>alert(1)</script>")],
        server="web01",
        subject="Renew the TLS certificate",
        description="It expires on Friday",
        express="1",
    )
    assert answer.status_code == 303, answer.text
    page = browser.get(site.url + answer.headers["location"], timeout=10).text
    ticket_id = int(answer.headers["location"].split("/")[2].split("?")[0])
    opened = page[page.index('id="opened"') :]
    assert re.search(r"We take it over by \d{4}-\d\d-\d\d", opened)
    found = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("alice"), timeout=10
    ).json()
    assert found["kind"] == "request" and found["express"] is True
    assert found["customer"] == "acme" and found["server"] == "web01"
    assert found["deadline_at"] is not None
    assert [h["type"] for h in found["history"]] == ["opened", "comment"]
    assert found["history"][1]["comment"] == "It expires on Friday"
    assert found["attachments"][0]["name"] == "error.log"
    # The same ticket the command shows: `vigie open`'s service opened it.
    shown = vigie(site, "show", str(ticket_id))
    assert shown.returncode == 0 and "Renew the TLS certificate" in shown.stdout
    # A file is offered as a download, never rendered as a page of the portal.
    raw = browser.get(
        site.url + f"/tickets/{ticket_id}/attachments/{found['attachments'][0]['id']}",
        timeout=10,
    )
    assert raw.headers["content-type"].startswith("text/plain")
    assert raw.headers["content-disposition"].startswith("attachment")


def test_bad_requests_name_their_field_and_write_nothing(site: Site) -> None:
    browser = site.login("acme-user")
    before = rows(site, "tickets"), rows(site, "attachments")
    too_big = ask(browser, site, [("big.bin", b"x" * (MAX_ATTACHMENT_BYTES + 1))], subject="Big")
    assert too_big.status_code == 400 and "at most" in too_big.text
    assert "Big" in too_big.text  # what was typed is kept
    not_theirs = ask(browser, site, server="shop01", subject="Not mine")
    assert not_theirs.status_code == 400 and "not a server of acme" in not_theirs.text
    empty = ask(browser, site, subject=" ")
    assert empty.status_code == 400 and "subject" in empty.text
    no_csrf = browser.post(site.url + "/help", data={"subject": "x"}, timeout=10)
    assert no_csrf.status_code == 403
    staff = site.login("alice")
    assert staff.get(site.url + "/help", timeout=10).status_code == 403
    assert (rows(site, "tickets"), rows(site, "attachments")) == before


def test_r11_staff_refused_ask_the_customer_who_approves_and_staff_log_passes(
    site: Site,
) -> None:
    notify(site, "web01", "approval", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!approval")["id"]
    outbox = rows(site, "outbox")
    refused = vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice")
    assert refused.returncode == 1 and "R11" in refused.stderr
    assert "the customer was asked (approval request" in refused.stderr
    # The contacts of acme's alerts: one email, one SMS, each with the ticket's link.
    with closing(sqlite3.connect(site.config.store_path)) as db:
        sent = db.execute(
            "SELECT channel, recipient, body FROM outbox WHERE id > ? AND subject LIKE "
            "'%approval%' ORDER BY id",
            (outbox,),
        ).fetchall()
    assert [(c, r) for c, r, _ in sent] == [("email", "ops@acme.example"), ("sms", "+32470000000")]
    # No web.public_url here: no link line (the browser test follows the link).
    assert "7 quarters" in sent[0][2] and "http" not in sent[0][2]
    assert len(sent[1][2]) <= 160 and "7 quarters" in sent[1][2]
    # Asked again before an answer: no second request, no second alert.
    again = vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice")
    assert again.returncode == 1 and "asked already" in again.stderr
    assert rows(site, "approval_requests") == 1 + rows_before_of(site, ticket_id)

    browser = site.login("acme-user")
    page = browser.get(site.url + f"/tickets/{ticket_id}", timeout=10).text
    approval = page[page.index('id="approval"') : page.index("</section>")]
    # 100 minutes outside or inside business hours: 7 quarters at the ticket's rate.
    found = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("acme-user"), timeout=10
    ).json()
    request = found["approval_requests"][0]
    assert request["quarters"] == 7 and request["decision"] is None
    assert f"{request['amount']} EUR" in approval and "7 quarters" in approval
    assert request["amount"] == f"{7 * float(request['rate']):.2f}"
    answer = browser.post(
        site.url + f"/tickets/{ticket_id}/approve",
        data={"csrf": page_csrf(page)},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    found = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("alice"), timeout=10
    ).json()
    assert found["approval_requests"][0]["decision"] == "approved"
    assert found["approval_requests"][0]["decided_by"] == "acme-user"
    assert found["approvals"][0]["by"] == "acme-user"
    assert found["history"][-1]["type"] == "approved"
    logged = vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice")
    assert logged.returncode == 0, logged.stderr
    twice = browser.post(
        site.url + f"/tickets/{ticket_id}/approve", data={"csrf": page_csrf(page)}, timeout=10
    )
    assert twice.status_code == 400 and "no approval is waiting" in twice.text


def rows_before_of(site: Site, ticket_id: int) -> int:
    """Approval requests of other tickets (the module's tests share one store)."""
    with closing(sqlite3.connect(site.config.store_path)) as db:
        count: int = db.execute(
            "SELECT count(*) FROM approval_requests WHERE ticket_id != ?", (ticket_id,)
        ).fetchone()[0]
    return count


def test_r11_the_customer_declines_through_the_api_and_staff_stay_refused(site: Site) -> None:
    notify(site, "web01", "declined", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!declined")["id"]
    assert vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice").returncode == 1
    headers = site.bearer("acme-user")
    declined = requests.post(
        site.url + f"/api/tickets/{ticket_id}/decline", json={}, headers=headers, timeout=10
    )
    assert declined.status_code == 200 and "declined" in declined.json()["done"]
    comment = requests.post(
        site.url + f"/api/tickets/{ticket_id}/comment",
        json={"text": "Not now, on Monday please"},
        headers=headers,
        timeout=10,
    )
    assert comment.status_code == 200
    found = requests.get(site.url + f"/api/tickets/{ticket_id}", headers=headers, timeout=10).json()
    assert found["approvals"] == [] and found["approval_requests"][0]["decision"] == "declined"
    assert [h["type"] for h in found["history"]][-2:] == ["declined", "comment"]
    still = vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice")
    assert still.returncode == 1 and "R11" in still.stderr
    staff_only = requests.post(
        site.url + f"/api/tickets/{ticket_id}/take", json={}, headers=headers, timeout=10
    )
    assert staff_only.status_code == 403


def test_r13_the_money_page_links_every_download_the_billing_side_offers(site: Site) -> None:
    browser = site.login("acme-user")
    page = browser.get(site.url + "/money", timeout=10).text
    month = re.search(r'/statements/acme/(\d{4}-\d\d)"', page)
    quarter = re.search(r'/invoices/acme/(\d{4}-Q\d)"', page)
    assert month and quarter
    for fmt in ("csv", "json", "pdf", "ubl"):
        assert f"/statements/acme/{month.group(1)}?format={fmt}" in page
    as_csv = browser.get(site.url + f"/statements/acme/{month.group(1)}?format=csv", timeout=10)
    assert as_csv.status_code == 200 and as_csv.text.startswith("customer,period,document,kind,")
    invoice = f"/invoices/acme/{quarter.group(1)}"
    pdf = browser.get(site.url + invoice + "?format=pdf", timeout=60)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    ubl = browser.get(site.url + invoice + "?format=ubl", timeout=60)
    assert ubl.status_code == 200 and b"<Invoice" in ubl.content[:2000]
    assert "Total" in browser.get(site.url + invoice, timeout=10).text


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_every_portal_page_renders_in_each_language_with_no_untranslated_id(
    site: Site, language: str
) -> None:
    notify(site, "web01", f"lang-{language}", "HTTP CRITICAL - <b>down</b>")
    ticket_id = ticket_of(site, f"web01!lang-{language}")["id"]
    assert vigie(site, "take", str(ticket_id), "--by", "alice").returncode == 0
    i18n.MISSING.clear()
    browser = site.login("acme-user")
    assert browser.get(site.url + f"/?lang={language}", timeout=10).status_code == 200
    assert browser.cookies.get(i18n.LANGUAGE_COOKIE) == language  # switched for what follows
    month = re.search(r"/statements/acme/([^\"?]+)", browser.get(site.url + "/money").text)
    assert month is not None
    pages = {
        "/": "My tickets",
        "/help": "Ask for help",
        f"/tickets/{ticket_id}": "Take-over deadline",
        f"/tickets/{ticket_id}?opened=1": "Your request is recorded.",
        "/money": "Monthly statements",
        f"/statements/acme/{month.group(1)}": "Subtotal",
        "/invoices/acme/2026-Q4": "Total",
    }
    gettext = i18n.gettext_of(language)
    for path, heading in pages.items():
        page = browser.get(site.url + path, timeout=30)
        assert page.status_code == 200, path
        assert str(escape(gettext(heading))) in page.text, (path, language)
        assert f'<html lang="{language}">' in page.text
    login = requests.get(site.url + f"/login?lang={language}", timeout=10).text
    assert str(escape(gettext("Password"))) in login
    # The plugin's output is text, never markup.
    assert (
        "HTTP CRITICAL - &lt;b&gt;down&lt;/b&gt;"
        in browser.get(site.url + f"/tickets/{ticket_id}").text
    )
    assert {m for lang, m in i18n.MISSING if lang == language} == set()
    if language != "en":
        assert gettext("My tickets") != "My tickets"


def test_the_customers_language_in_vigie_yaml_is_the_default(tmp_path: Path) -> None:
    """``customers.acme.language: nl``: acme's pages are in Dutch until it switches."""
    config_file = write_config(tmp_path)
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["customers"]["acme"]["language"] = "nl"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    config = load_config(config_file)
    store = config.store_path
    for name, role, customer in (("acme-nl", "customer", "acme"), ("alice", "staff", None)):
        accounts.add_user(UnitOfWork(store), config, name, role, customer, PASSWORD, now())
    with serve(config) as url:
        token = accounts.add_token(UnitOfWork(store), "alice", now())
        site = Site(url, config, config_file, {"alice": token})
        browser = site.login("acme-nl")
        assert "Mijn tickets" in browser.get(url + "/", timeout=10).text
        assert "My tickets" in browser.get(url + "/?lang=en", timeout=10).text
        assert "My tickets" in browser.get(url + "/", timeout=10).text  # the choice is kept
        # R14, R11: the alerts and the approval request go out in Dutch too.
        notify(site, "web01", "dutch", "HTTP CRITICAL - down")
        ticket_id = ticket_of(site, "web01!dutch")["id"]
        assert vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice").returncode
        with closing(sqlite3.connect(config.store_path)) as db:
            subjects = [row[0] for row in db.execute("SELECT subject FROM outbox ORDER BY id")]
        assert subjects[0].endswith("probleem met web01!dutch")
        assert subjects[-1].endswith("uw goedkeuring is nodig")


def test_a_language_vigie_yaml_does_not_offer_is_refused_naming_its_key(tmp_path: Path) -> None:
    config_file = write_config(tmp_path)
    data = yaml.safe_load(config_file.read_text(encoding="utf-8"))
    data["customers"]["acme"]["language"] = "de"
    config_file.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"customers\.acme\.language: must be one of fr, nl, en"):
        load_config(config_file)


def test_r11_an_approval_recorded_by_staff_answers_the_portals_request(site: Site) -> None:
    """The customer said yes on the phone: ``vigie approve`` answers the waiting request."""
    notify(site, "web01", "phone", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!phone")["id"]
    assert vigie(site, "log", str(ticket_id), "--minutes", "100", "--by", "alice").returncode == 1
    assert vigie(site, "approve", str(ticket_id), "--by", "M. Martin").returncode == 0
    found = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("acme-user"), timeout=10
    ).json()
    assert found["approval_requests"][0]["decision"] == "approved"
    assert found["approval_requests"][0]["decided_by"] == "M. Martin"
    page = site.login("acme-user").get(site.url + f"/tickets/{ticket_id}", timeout=10).text
    assert 'id="approval"' not in page


def test_the_home_page_lists_its_own_servers_only(site: Site) -> None:
    page = site.login("acme-user").get(site.url + "/", timeout=10).text
    servers = page[page.index('id="servers"') :]
    assert "web01" in servers and "db01" in servers and "shop01" not in servers


def test_every_message_id_of_the_templates_is_translated_in_each_catalog() -> None:
    """The ids a page shows only in some states (an approval waiting, a closed ticket...)
    are checked here; the dynamic ones (``entry-...``, ``sla-...``) above, as rendered."""
    folder = Path(i18n.__file__).with_name("templates")
    literal = re.compile(r"""_\(\s*"([^"]+)"\s*\)""")
    ids = {m for path in folder.glob("*.html") for m in literal.findall(path.read_text())}
    assert len(ids) > 50
    for language in i18n.LANGUAGES:
        catalog = i18n.translations(language)._catalog  # type: ignore[attr-defined]
        assert sorted(ids - set(catalog)) == [], language
        assert all(catalog[i].count("%(") == i.count("%(") for i in ids), language
