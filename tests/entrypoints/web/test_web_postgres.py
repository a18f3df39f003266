"""The web queue on the PostgreSQL store of an HA pair: the event stream (/api/events)
learns of a ticket another process committed through LISTEN/NOTIFY, not by polling."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.entrypoints.web import events
from tests.entrypoints.web.harness import Site, make_store, notify, serve
from tests.servers.postgres import Cluster

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_site(tmp_path: Path, pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    # No safety-net poll within the test: only a notification can wake the feed.
    monkeypatch.setattr(events, "LISTEN_POLL_SECONDS", 3600.0)
    store = {"url": pg_cluster.fresh_database(), "spool": str(tmp_path / "vigie.spool")}
    config_file, config, tokens = make_store(tmp_path, store)
    with serve(config) as url:
        yield Site(url, config, config_file, tokens)


def test_the_event_stream_hears_of_a_ticket_through_listen_notify(pg_site: Site) -> None:
    with requests.get(
        pg_site.url + "/api/events", headers=pg_site.bearer("alice"), stream=True, timeout=10
    ) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines(decode_unicode=True)
        assert next(lines) == ": connected"
        notify(pg_site, "web01", "sse", "HTTP CRITICAL - down")
        committed = time.monotonic()
        while True:
            line = next(lines)
            if line.startswith("data: "):
                data = json.loads(line[len("data: ") :])
                if data["key"] == "web01!sse":
                    break
        assert data["status"] == "new"
        assert time.monotonic() - committed < 2
