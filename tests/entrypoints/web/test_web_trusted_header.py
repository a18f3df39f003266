"""The account named by a reverse proxy's header: off by default, honoured only from
loopback when ``web.trusted_header`` is set, and its forms still need their CSRF token."""

from __future__ import annotations

from dataclasses import replace

import requests

from tests.entrypoints.web.harness import Site, notify, page_csrf, serve, ticket_of


def test_the_header_is_ignored_unless_configured(site: Site) -> None:
    answer = requests.get(
        site.url + "/", headers={"X-Remote-User": "alice"}, allow_redirects=False, timeout=10
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/login"


def test_a_trusted_header_names_the_account(site: Site) -> None:
    config = replace(site.config, web=replace(site.config.web, trusted_header="x-remote-user"))
    notify(site, "web01", "proxied", "HTTP CRITICAL - down")
    ticket_id = ticket_of(site, "web01!proxied")["id"]
    with serve(config) as url:
        as_alice = {"X-Remote-User": "alice"}
        queue = requests.get(url + "/", headers=as_alice, timeout=10)
        assert queue.status_code == 200 and "alice (staff)" in queue.text
        for name in ("nobody", ""):
            refused = requests.get(
                url + "/", headers={"X-Remote-User": name}, allow_redirects=False, timeout=10
            )
            assert refused.status_code == 303
        page = requests.get(url + f"/tickets/{ticket_id}", headers=as_alice, timeout=10).text
        forged = requests.post(
            url + f"/tickets/{ticket_id}/take", data={"csrf": "x"}, headers=as_alice, timeout=10
        )
        assert forged.status_code == 403
        taken = requests.post(
            url + f"/tickets/{ticket_id}/take",
            data={"csrf": page_csrf(page)},
            headers=as_alice,
            timeout=10,
        )
        assert taken.status_code == 200
    assert ticket_of(site, "web01!proxied")["taken_by"] == "alice"
