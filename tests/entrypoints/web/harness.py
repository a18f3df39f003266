"""The web app served for real: uvicorn in a thread on a free loopback port, a store with
accounts and tokens, and a logged-in ``requests`` session. Shared by the web tests and the
benchmark."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import uvicorn

from bridge.config.load import load_config
from bridge.config.model import Config
from bridge.entrypoints.web.app import create_app
from bridge.services import accounts
from bridge.store.unit_of_work import UnitOfWork, open_store
from tests.vigie_command import VIGIE, clean_env, notify_args, write_config

PASSWORD = "correct horse battery"
ACCOUNTS = (("alice", "staff", None), ("root", "admin", None), ("acme-user", "customer", "acme"))


@dataclass
class Site:
    """A served web app: its address, configuration, and an API token per account."""

    url: str
    config: Config
    config_file: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def uow(self, write: bool = True) -> UnitOfWork:
        """A unit of work on the site's store."""
        return open_store(self.config, write=write)

    def login(self, name: str, password: str = PASSWORD) -> requests.Session:
        """A browser-like session logged in as ``name``."""
        session = requests.Session()
        answer = session.post(
            self.url + "/login",
            data={"name": name, "password": password, "csrf": login_csrf(session, self.url)},
            allow_redirects=False,
            timeout=10,
        )
        assert answer.status_code == 303, answer.text
        return session

    def bearer(self, name: str) -> dict[str, str]:
        """The Authorization header of ``name``'s API token."""
        return {"Authorization": f"Bearer {self.tokens[name]}"}


def login_csrf(session: requests.Session, url: str) -> str:
    """GET the login form; its CSRF token (the session keeps the matching cookie)."""
    page = session.get(url + "/login", timeout=10).text
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def page_csrf(html: str) -> str:
    """The CSRF token a logged-in page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found is not None, html
    return found.group(1)


def now() -> datetime:
    """The clock of the tests' own writes."""
    return datetime.now(UTC)


def make_store(
    folder: Path, store: dict[str, str] | None = None, **changes: Any
) -> tuple[Path, Config, dict[str, str]]:
    """The example configuration with a store in ``folder`` (or the ``store:`` section
    given) and ``changes`` at its top level, its accounts and their tokens."""
    if store is not None:
        changes["store"] = store
    config_file = write_config(folder, **changes)
    config = load_config(config_file)
    now = datetime.now(UTC)
    tokens: dict[str, str] = {}
    for name, role, customer in ACCOUNTS:
        accounts.add_user(open_store(config), config, name, role, customer, PASSWORD, now)
        tokens[name] = accounts.add_token(open_store(config), name, now)
    return config_file, config, tokens


def loopback_socket() -> socket.socket:
    """A socket bound to a free 127.0.0.1 port (its address known before the app starts)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def serve(config: Config, sock: socket.socket | None = None) -> Iterator[str]:
    """Serve the app on ``sock`` (a free 127.0.0.1 port by default) until the block ends;
    its base URL."""
    sock = sock or loopback_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            log_level="warning",
            access_log=False,
            # Event streams stay open until their client goes: do not wait long for them.
            timeout_graceful_shutdown=1,
        )
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def notify(site: Site, host: str, service: str, output: str, state: str = "CRITICAL") -> None:
    """A ``vigie notify`` process records a PROBLEM, as Icinga would run it."""
    result = subprocess.run(
        [
            VIGIE,
            "--config",
            str(site.config_file),
            *notify_args(
                type="PROBLEM",
                host=host,
                service=service,
                state=state,
                output=output,
                since=str(int(time.time()) - 60),
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(XDG_CACHE_HOME=str(site.config_file.parent / "cache")),
    )
    assert result.returncode == 0, result.stderr


def ticket_of(site: Site, key: str) -> dict[str, Any]:
    """The open ticket keyed ``host!service``, through the API."""
    found = requests.get(
        site.url + "/api/tickets?open=1", headers=site.bearer("alice"), timeout=10
    ).json()
    matching = [t for t in found if t["key"] == key]
    assert len(matching) == 1, found
    ticket: dict[str, Any] = matching[0]
    return ticket
