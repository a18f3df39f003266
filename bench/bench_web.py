"""Benchmark: ``vigie web`` on a big store, and its event stream fanned out to many clients.

In a temporary folder: the example's ``vigie.yaml``, a store holding 100,000 closed tickets
(written in bulk through the repository, each with its history entry) and 2,000 open ones
(each a real notification through ``record_notification``, plugin output included), and a
staff account. Then the installed ``vigie web`` runs as its own process on 127.0.0.1 and
this measures, logged in as a browser would be:

- the queue page ``/`` (all 2,000 open tickets, most urgent first): median of 20;
- a ticket page ``/tickets/ID``: median of 50;
- ``GET /api/tickets?open=1`` with a bearer token: median of 10;
- 200 clients on ``/api/events``: the server's resident memory before and after they
  connect, then a ``vigie notify`` process records a problem and each client's delay from
  that process's exit (its commit) to the event.

Budget (issue 15): queue page < 200 ms, ticket page < 50 ms, 200 clients < 100 MB in all,
each sees the new ticket within 2 s. Exit 1 when over.

    .venv/bin/python bench/bench_web.py [--open 2000] [--closed 100000] [--clients 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests
import yaml

from bridge.config.load import load_config
from bridge.config.model import Config
from bridge.domain.notification import parse_event
from bridge.domain.tickets import NewTicket
from bridge.services import accounts
from bridge.services.notifications import record_notification
from bridge.store.unit_of_work import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(Path(sys.executable).with_name("vigie"))
PASSWORD = "a bench password"
BUDGET_QUEUE_S = 0.200
BUDGET_TICKET_S = 0.050
BUDGET_SSE_MIB = 100
BUDGET_SSE_DELAY_S = 2.0


def make_config(folder: Path) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["store"] = {"path": str(folder / "vigie.db")}
    data.pop("icinga", None)
    path = folder / "vigie.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def fill(config: Config, open_count: int, closed_count: int) -> None:
    now = datetime.now(UTC)
    start = now - timedelta(days=400)
    with UnitOfWork(config.store_path) as uow:
        for n in range(closed_count):
            at = start + timedelta(minutes=5 * n)
            key = f"web01!old{n % 500}"
            ticket_id = uow.tickets.add(
                NewTicket(
                    "incident",
                    key,
                    "acme",
                    "web01",
                    f"old{n % 500}",
                    "B",
                    f"{key} was CRITICAL",
                    at,
                    at + timedelta(hours=4),
                ),
                False,
                at,
            )
            uow.tickets.add_entry(ticket_id, key, at, at, "opened", comment="HTTP CRITICAL")
            uow.tickets.set_closed(ticket_id, at + timedelta(hours=1), "fixed", None)
        uow.commit()
    hosts = ("web01", "mail01", "shop01")
    for n in range(open_count):
        event = parse_event(
            type="PROBLEM",
            host=hosts[n % len(hosts)],
            service=f"svc{n}",
            state="CRITICAL",
            output=f"HTTP CRITICAL - check {n} failed\nlong output | time=1s",
            since=str(int((now - timedelta(minutes=n % 600)).timestamp())),
            author=None,
            comment=None,
            received_at=now,
            tz=config.timezone,
        )
        record_notification(UnitOfWork(config.store_path), config, event, now)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def median_time(call: Callable[[], requests.Response], runs: int) -> float:
    call()  # warm: templates compiled, connection open
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        answer = call()
        times.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.status_code
    return statistics.median(times)


async def fan_out(
    port: int, token: str, clients: int, pid: int, notify: Callable[[], None]
) -> tuple[float, list[float]]:
    """Connect the clients, measure the server's memory, notify, time each delivery."""
    before = rss_mib(pid)
    request = (
        f"GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    ).encode()
    streams = []
    for _ in range(clients):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        streams.append((reader, writer))
    for reader, _ in streams:
        await asyncio.wait_for(reader.readuntil(b": connected\n\n"), 30)
    await asyncio.sleep(0.5)
    grown = rss_mib(pid) - before
    committed = 0.0

    async def wait_event(reader: asyncio.StreamReader) -> float:
        while True:
            line = await reader.readline()
            if b"web01!benchnew" in line:
                return time.perf_counter() - committed

    waiting = [asyncio.create_task(wait_event(reader)) for reader, _ in streams]
    await asyncio.to_thread(notify)
    committed = time.perf_counter()
    delays = await asyncio.wait_for(asyncio.gather(*waiting), 30)
    for _, writer in streams:
        writer.close()
    return grown, delays


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=2000)
    parser.add_argument("--closed", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=200)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        config_file = make_config(Path(folder))
        config = load_config(config_file)
        started = time.perf_counter()
        fill(config, options.open, options.closed)
        print(
            f"vigie web: store with {options.open} open and {options.closed} closed tickets "
            f"(filled in {time.perf_counter() - started:.0f} s)"
        )
        now = datetime.now(UTC)
        accounts.add_user(
            UnitOfWork(config.store_path), config, "bench", "staff", None, PASSWORD, now
        )
        token = accounts.add_token(UnitOfWork(config.store_path), "bench", now)
        env = {**os.environ, "XDG_CACHE_HOME": str(Path(folder) / "cache")}
        port = free_port()
        server = subprocess.Popen(
            [VIGIE, "--config", str(config_file), "web", "--listen", f"127.0.0.1:{port}"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            assert server.stderr is not None
            ready = server.stderr.readline()
            if "ready" not in ready:
                print(f"bench_web: vigie web did not start: {ready}", file=sys.stderr)
                return 2
            url = f"http://127.0.0.1:{port}"
            browser = requests.Session()
            page = browser.get(url + "/login", timeout=30).text
            csrf = re.search(r'name="csrf" value="([^"]+)"', page)
            assert csrf is not None
            browser.post(
                url + "/login",
                data={"name": "bench", "password": PASSWORD, "csrf": csrf.group(1)},
                timeout=30,
            )
            queue = median_time(lambda: browser.get(url + "/", timeout=30), 20)
            rows = browser.get(url + "/", timeout=30).text.count("<tr class=")
            ticket = median_time(
                lambda: browser.get(url + f"/tickets/{options.closed + 1}", timeout=30), 50
            )
            api = median_time(
                lambda: requests.get(
                    url + "/api/tickets?open=1",
                    timeout=30,
                    headers={"Authorization": f"Bearer {token}"},
                ),
                10,
            )
            print(f"  queue page ({rows} rows)   median {queue * 1000:6.1f} ms")
            print(f"  ticket page              median {ticket * 1000:6.1f} ms")
            print(f"  GET /api/tickets?open=1  median {api * 1000:6.1f} ms")

            def notify() -> None:
                subprocess.run(
                    [
                        VIGIE,
                        "--config",
                        str(config_file),
                        "notify",
                        "--type",
                        "PROBLEM",
                        "--host",
                        "web01",
                        "--service",
                        "benchnew",
                        "--state",
                        "CRITICAL",
                        "--since",
                        str(int(time.time()) - 5),
                    ],
                    check=True,
                    capture_output=True,
                    env=env,
                    timeout=60,
                )

            grown, delays = asyncio.run(fan_out(port, token, options.clients, server.pid, notify))
            print(
                f"  {options.clients} event streams: server memory +{grown:.1f} MiB; "
                f"new ticket seen after median {statistics.median(delays) * 1000:.0f} ms, "
                f"at most {max(delays) * 1000:.0f} ms"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    print(
        f"budget: queue < {BUDGET_QUEUE_S * 1000:.0f} ms, ticket < "
        f"{BUDGET_TICKET_S * 1000:.0f} ms, {options.clients} streams < {BUDGET_SSE_MIB} MiB "
        f"and < {BUDGET_SSE_DELAY_S:.0f} s"
    )
    over = (
        queue > BUDGET_QUEUE_S
        or ticket > BUDGET_TICKET_S
        or grown > BUDGET_SSE_MIB
        or max(delays) > BUDGET_SSE_DELAY_S
    )
    print("OVER BUDGET" if over else "within budget")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
