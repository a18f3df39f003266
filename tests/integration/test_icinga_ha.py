"""Two real Icinga 2 daemons as an HA zone on loopback (two endpoints, one zone "master",
both with the notification feature and the shipped hook), both calling ``vigie notify``
against one PostgreSQL store: every incident is one ticket; with one master stopped, the
other carries on and nothing is lost or doubled (R2, R15).

Icinga gives no authority to either endpoint of a zone for its first 30 seconds (its cold
start grace), so this test takes about a minute; every wait is bounded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.health_target import HealthTarget
from tests.servers.icinga import IcingaSandbox
from tests.servers.icinga_pki import make_certificates
from tests.servers.polling import free_port, wait_for
from tests.servers.postgres import Cluster
from tests.servers.vigie_config import vigie_json, write_vigie_config

pytestmark = [pytest.mark.icinga, pytest.mark.postgres, pytest.mark.slow]

HOSTS = ("web01", "web02", "web03", "web04")
WAIT = 90.0  # the 30 s grace, a failover (up to 10 s) and two check attempts, with room


def objects(ports: dict[str, int]) -> str:
    """One host per target, level B, each with its HTTP check (HARD on the second failure)."""
    return "".join(
        f"""
object Host "{host}" {{
  import "vigie-level-b"
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
  vars.customer = "acme"
  check_interval = 1s
}}
object Service "http" {{
  host_name = "{host}"
  check_command = "vigie-http"
  vars.vigie_http_port = {port}
  vars.vigie_http_uri = "/health"
  vars.vigie_http_string = "shop is open"
  vars.vigie_http_timeout = 5
  check_interval = 1s
  retry_interval = 1s
  max_check_attempts = 2
}}
"""
        for host, port in ports.items()
    )


@contextlib.contextmanager
def targets() -> Iterator[dict[str, HealthTarget]]:
    started = {host: HealthTarget().start() for host in HOSTS}
    try:
        yield started
    finally:
        for target in started.values():
            target.stop()


def connected(master: IcingaSandbox) -> bool | None:
    status = master.api("GET", "/v1/status/ApiListener")["results"][0]["status"]["api"]
    return True if status["num_conn_endpoints"] >= 1 else None


def tickets(config: Path) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = vigie_json(config, "tickets")
    return found


def wait_for_tickets(config: Path, masters: list[IcingaSandbox], what: str, check: Any) -> None:
    def probe() -> bool | None:
        listed = tickets(config)
        keys = [t["key"] for t in listed]
        assert len(keys) == len(set(keys)), f"two tickets for one incident: {listed}"
        return True if check(listed) else None

    try:
        wait_for(what, probe, timeout=WAIT, interval=0.5)
    except Exception as error:
        logs = "\n".join(m.problems() for m in masters)
        raise AssertionError(f"{error}\nIcinga's logs say:\n{logs}") from None


def sent_problems(master: IcingaSandbox) -> set[str]:
    """The hosts this master sent a Problem notification for (its log says so)."""
    return {
        host
        for host in HOSTS
        if f"Sending 'Problem' notification '{host}!http!vigie-ticket'" in master.log()
    }


def test_an_ha_pair_makes_one_ticket_per_incident_and_survives_a_stopped_master(
    tmp_path: Path, pg_cluster: Cluster
) -> None:
    config = tmp_path / "vigie.yaml"
    ca = make_certificates(tmp_path / "pki-master1", "master1")
    second = make_certificates(
        tmp_path / "pki-master2", "master2", ca_from=tmp_path / "pki-master1"
    )
    ports = {"master1": free_port(), "master2": free_port()}
    with targets() as sites:
        masters = [
            IcingaSandbox(
                root=tmp_path / name,
                vigie_config=config,
                objects=objects({host: sites[host].port for host in HOSTS}),
                certificates=certificates,
                node_name=name,
                api_port=ports[name],
                peers={peer: port for peer, port in ports.items() if peer != name},
            )
            for name, certificates in (("master1", ca), ("master2", second))
        ]
        customers = {
            "acme": {
                "name": "ACME SA",
                "account_manager": "alice",
                "servers": {host: {"level": "B", "since": "2020-01-01"} for host in HOSTS},
            }
        }
        store = {"url": pg_cluster.fresh_database(), "spool": str(tmp_path / "vigie.spool")}
        write_vigie_config(config, store, customers)
        try:
            for master in masters:
                master.build()
            for master in masters:
                master.start()
            for master in masters:
                wait_for("the two masters to connect", lambda m=master: connected(m), timeout=30)

            # Both masters up: two sites fail, each is one ticket whoever sends it.
            for host in ("web01", "web02"):
                sites[host].healthy = False
            wait_for_tickets(config, masters, "a ticket for web01 and web02", lambda t: len(t) == 2)

            # One master goes away: the other takes every object over and carries on.
            masters[1].stop()
            for host in ("web03", "web04"):
                sites[host].healthy = False
            wait_for_tickets(config, masters, "tickets for all four", lambda t: len(t) == 4)

            for site in sites.values():
                site.healthy = True
            wait_for_tickets(
                config,
                masters,
                "every ticket recovered",
                lambda t: all(ticket["recovered_at"] for ticket in t),
            )
        finally:
            for master in masters:
                master.stop()

    # Each master sent the notifications of the objects it had authority for (Icinga's hash
    # of the host name gives web01 and web03 to master1, web02 and web04 to master2), and
    # master1 took web04 over once master2 was gone.
    sent = [sent_problems(master) for master in masters]
    assert "web02" in sent[1] and "web01" not in sent[1]
    assert {"web01", "web03", "web04"} <= sent[0] and "web02" not in sent[0]
    listed = tickets(config)
    assert sorted(t["key"] for t in listed) == [f"{host}!http" for host in HOSTS]
    for ticket in listed:
        kinds = [
            entry["type"] for entry in vigie_json(config, "show", str(ticket["id"]))["history"]
        ]
        assert kinds.count("opened") == 1, kinds
        assert kinds.count("recovery") == 1, kinds
