"""The web queue without a browser: who may see and do what, CSRF, logins, escaping, bad
input, and the JSON API's answers (401 without a token, 404 for a ticket not visible)."""

from __future__ import annotations

import json
import subprocess
import time

import requests

from bridge.services import accounts
from bridge.services import tickets as services
from tests.entrypoints.web.harness import (
    PASSWORD,
    Site,
    login_csrf,
    notify,
    now,
    page_csrf,
    ticket_of,
)
from tests.vigie_command import VIGIE, clean_env


def test_anonymous_gets_the_login_page_or_401(site: Site) -> None:
    notify(site, "web01", "anon", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!anon")["id"]
    for path in ("/", f"/tickets/{ticket_id}"):
        answer = requests.get(site.url + path, allow_redirects=False, timeout=10)
        assert answer.status_code == 303 and answer.headers["location"] == "/login"
    for path in ("/queue/rows", "/events"):
        assert requests.get(site.url + path, timeout=10).status_code == 401
    for path in ("/api/tickets", f"/api/tickets/{ticket_id}", "/api/events"):
        answer = requests.get(site.url + path, timeout=10)
        assert answer.status_code == 401 and "token" in answer.json()["error"]
        wrong = requests.get(site.url + path, headers={"Authorization": "Bearer nope"}, timeout=10)
        assert wrong.status_code == 401
    taken = requests.post(site.url + f"/tickets/{ticket_id}/take", data={"csrf": "x"}, timeout=10)
    assert taken.status_code == 401
    assert ticket_of(site, "web01!anon")["status"] == "new"


def test_the_session_cookie_is_httponly_and_samesite(site: Site) -> None:
    session = requests.Session()
    answer = session.post(
        site.url + "/login",
        data={"name": "alice", "password": PASSWORD, "csrf": login_csrf(session, site.url)},
        allow_redirects=False,
        timeout=10,
    )
    cookie = answer.headers["set-cookie"]
    assert "vigie_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    csp = answer.headers["content-security-policy"]
    assert "script-src 'self'" in csp


def test_the_session_cookie_is_secure_behind_a_tls_proxy(site: Site) -> None:
    """A proxy on 127.0.0.1 that terminates TLS says so; the cookie then needs TLS."""
    session = requests.Session()
    csrf = login_csrf(session, site.url)
    answer = session.post(
        site.url + "/login",
        data={"name": "alice", "password": PASSWORD, "csrf": csrf},
        headers={"X-Forwarded-Proto": "https"},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 303
    assert "Secure" in answer.headers["set-cookie"]


def test_login_without_its_csrf_token_is_refused(site: Site) -> None:
    answer = requests.post(
        site.url + "/login",
        data={"name": "alice", "password": PASSWORD},
        allow_redirects=False,
        timeout=10,
    )
    assert answer.status_code == 403 and "vigie_session" not in answer.headers.get("set-cookie", "")


def _try_login(site: Site, name: str, password: str) -> requests.Response:
    session = requests.Session()
    return session.post(
        site.url + "/login",
        data={"name": name, "password": password, "csrf": login_csrf(session, site.url)},
        allow_redirects=False,
        timeout=10,
    )


def test_failed_logins_are_bounded_per_account(site: Site) -> None:
    accounts.add_user(site.uow(), site.config, "target", "staff", None, PASSWORD, now())
    for _ in range(site.config.web.max_failed_logins):
        assert _try_login(site, "target", "a guess").status_code == 401
    # Even the right password no longer gets in while the window lasts.
    refused = _try_login(site, "target", PASSWORD)
    assert refused.status_code == 401 and "too many attempts" in refused.text
    assert "vigie_session" not in refused.headers.get("set-cookie", "")
    assert _try_login(site, "alice", PASSWORD).status_code == 303  # others are not locked


def test_a_disabled_account_gets_nothing(site: Site) -> None:
    accounts.add_user(site.uow(), site.config, "leaver", "staff", None, PASSWORD, now())
    token = accounts.add_token(site.uow(), "leaver", now())
    browser = site.login("leaver")
    assert browser.get(site.url + "/", timeout=10).status_code == 200
    accounts.disable_user(site.uow(), "leaver")
    answer = browser.get(site.url + "/", allow_redirects=False, timeout=10)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    api = requests.get(
        site.url + "/api/tickets", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert api.status_code == 401
    assert _try_login(site, "leaver", PASSWORD).status_code == 401


def test_a_form_without_the_csrf_token_changes_nothing(site: Site) -> None:
    notify(site, "web01", "csrf", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!csrf")["id"]
    browser = site.login("alice")
    for csrf in (None, "forged"):
        data = {} if csrf is None else {"csrf": csrf}
        answer = browser.post(site.url + f"/tickets/{ticket_id}/take", data=data, timeout=10)
        assert answer.status_code == 403 and "CSRF" in answer.text
    assert ticket_of(site, "web01!csrf")["status"] == "new"
    page = browser.get(site.url + f"/tickets/{ticket_id}", timeout=10).text
    taken = browser.post(
        site.url + f"/tickets/{ticket_id}/take", data={"csrf": page_csrf(page)}, timeout=10
    )
    assert taken.status_code == 200
    assert ticket_of(site, "web01!csrf")["taken_by"] == "alice"


def test_plugin_output_holding_a_script_is_shown_as_text(site: Site) -> None:
    evil = "<script>document.title='owned'</script> CRITICAL"
    notify(site, "web01", "xss", evil)
    ticket_id = ticket_of(site, "web01!xss")["id"]
    browser = site.login("alice")
    for path in ("/", f"/tickets/{ticket_id}", "/queue/rows"):
        html = browser.get(site.url + path, timeout=10).text
        assert "<script>document.title" not in html
        assert "&lt;script&gt;document.title=&#39;owned&#39;&lt;/script&gt;" in html


def test_bad_form_input_names_the_field_and_writes_nothing(site: Site) -> None:
    notify(site, "web01", "badform", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!badform")["id"]
    browser = site.login("alice")
    csrf = page_csrf(browser.get(site.url + f"/tickets/{ticket_id}", timeout=10).text)
    for data, field in (
        ({"minutes": "abc"}, "minutes"),
        ({"minutes": "0"}, "minutes"),
        ({"minutes": "30", "category": "holiday"}, "category"),
    ):
        answer = browser.post(
            site.url + f"/tickets/{ticket_id}/log", data={"csrf": csrf, **data}, timeout=10
        )
        assert answer.status_code == 400
        assert f"{field}:" in answer.text
    answer = browser.post(
        site.url + f"/tickets/{ticket_id}/approve", data={"csrf": csrf, "by": " "}, timeout=10
    )
    assert answer.status_code == 400 and "by: required" in answer.text
    shown = services.show(site.uow(write=False), ticket_id)
    assert shown.work == [] and shown.approvals == []
    assert [e.type for e in shown.history] == ["opened"]


def test_an_incident_is_not_closed_without_its_debrief(site: Site) -> None:
    notify(site, "web01", "debrief", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!debrief")["id"]
    browser = site.login("alice")
    csrf = page_csrf(browser.get(site.url + f"/tickets/{ticket_id}", timeout=10).text)
    answer = browser.post(
        site.url + f"/tickets/{ticket_id}/close", data={"csrf": csrf, "debrief": ""}, timeout=10
    )
    assert answer.status_code == 409 and "R15:" in answer.text
    assert ticket_of(site, "web01!debrief")["status"] == "new"


def test_the_api_lists_tickets_as_the_command_prints_them(site: Site) -> None:
    notify(site, "web01", "api", "HTTP CRITICAL - down")
    listed = requests.get(site.url + "/api/tickets", headers=site.bearer("alice"), timeout=10)
    command = subprocess.run(
        [VIGIE, "--config", str(site.config_file), "tickets", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        env=clean_env(XDG_CACHE_HOME=str(site.config_file.parent / "cache")),
    )
    assert listed.json() == json.loads(command.stdout)
    ticket_id = ticket_of(site, "web01!api")["id"]
    one = requests.get(
        site.url + f"/api/tickets/{ticket_id}", headers=site.bearer("alice"), timeout=10
    ).json()
    assert one["id"] == ticket_id and one["history"][0]["type"] == "opened"
    assert one["history"][0]["output"] == "HTTP CRITICAL - down"
    missing = requests.get(
        site.url + "/api/tickets/999999", headers=site.bearer("alice"), timeout=10
    )
    assert missing.status_code == 404


def test_a_customer_account_sees_only_its_customers_tickets(site: Site) -> None:
    notify(site, "web01", "mine", "HTTP CRITICAL - down")  # acme's server
    notify(site, "shop01", "theirs", "HTTP CRITICAL - down")  # another customer's
    mine, theirs = ticket_of(site, "web01!mine"), ticket_of(site, "shop01!theirs")
    assert mine["customer"] == "acme" and theirs["customer"] != "acme"
    headers = site.bearer("acme-user")
    listed = requests.get(site.url + "/api/tickets", headers=headers, timeout=10).json()
    assert mine["id"] in [t["id"] for t in listed]
    assert {t["customer"] for t in listed} == {"acme"}
    other = requests.get(
        site.url + f"/api/tickets?customer={theirs['customer']}", headers=headers, timeout=10
    )
    assert other.json() == []
    hidden = requests.get(site.url + f"/api/tickets/{theirs['id']}", headers=headers, timeout=10)
    assert hidden.status_code == 404
    browser = site.login("acme-user")
    assert browser.get(site.url + f"/tickets/{theirs['id']}", timeout=10).status_code == 404
    page = browser.get(site.url + f"/tickets/{mine['id']}", timeout=10).text
    # A customer sees its ticket with its own forms (comment), never staff's.
    for staff_action in ("take", "log", "close"):
        assert f'action="/tickets/{mine["id"]}/{staff_action}"' not in page
    answer = browser.post(
        site.url + f"/tickets/{mine['id']}/take", data={"csrf": page_csrf(page)}, timeout=10
    )
    assert answer.status_code == 403


def test_the_event_stream_carries_a_ticket_that_notify_committed(site: Site) -> None:
    with requests.get(
        site.url + "/api/events", headers=site.bearer("alice"), stream=True, timeout=10
    ) as stream:
        assert stream.status_code == 200
        assert stream.headers["content-type"].startswith("text/event-stream")
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == ": connected"
        notify(site, "web01", "sse", "HTTP CRITICAL - down")
        committed = time.monotonic()  # notify exits 0 only once its commit is durable
        while True:
            line = next(lines)
            if line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
                if data["key"] == "web01!sse":
                    break
        assert data["status"] == "new" and isinstance(data["id"], int)
        assert time.monotonic() - committed < 2
