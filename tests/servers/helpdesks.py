"""Real helpdesks for the tests: Request Tracker 5 and Redmine 5 from Debian's packages,
one of each per session (isolated per test by a queue or project of its own), and private
instances for the tests that stop them. ``Desk`` is what a test needs of either: the
``helpdesk:`` section of vigie.yaml, its tickets carrying a marker, acting as staff there.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.servers import redmine, request_tracker
from tests.servers.redmine import RedmineServer
from tests.servers.request_tracker import ROOT_AUTH, RequestTrackerServer

MISSING = (
    "{what} is not installed: run tools/install-deps (it installs request-tracker5 "
    "rt5-db-sqlite w3m redmine redmine-sqlite thin)"
)


@dataclass
class Desk:
    """One queue (RT) or project (Redmine) of a running server, for one test."""

    kind: str
    server: RequestTrackerServer | RedmineServer
    project: str
    secret: str

    @property
    def url(self) -> str:
        return self.server.url

    def section(self, folder: Path, url: str | None = None, **extra: object) -> dict[str, Any]:
        """The ``helpdesk:`` section of vigie.yaml, its secret in a 0600 file."""
        token_file = folder / f"{self.kind}.token"
        token_file.write_text(self.secret + "\n", encoding="utf-8")
        token_file.chmod(0o600)
        return {
            "kind": self.kind,
            "url": url or self.url,
            "token_file": str(token_file),
            "project": self.project,
            **extra,
        }

    def call(self, method: str, path: str, body: object = None, auth: str | None = None) -> Any:
        """One API call as the administrator (or ``auth``: a user:password)."""
        import urllib.request

        base = self.url + ("/REST/2.0" if self.kind == "rt" else "")
        request = urllib.request.Request(base + path, method=method)
        credentials = auth or (ROOT_AUTH if self.kind == "rt" else None)
        if credentials is not None:
            encoded = base64.b64encode(credentials.encode()).decode()
            request.add_header("Authorization", f"Basic {encoded}")
        else:
            request.add_header("X-Redmine-API-Key", self.secret)
        if body is not None:
            request.add_header("Content-Type", "application/json")
            request.data = json.dumps(body).encode()
        with urllib.request.urlopen(request, timeout=30) as answer:
            data = answer.read()
        return json.loads(data) if data.strip() else None

    def tickets(self) -> list[dict[str, Any]]:
        """Every ticket of the queue or project: id and subject."""
        found: list[dict[str, Any]] = []
        for page in range(1, 100):
            if self.kind == "rt":
                query = f"Queue='{self.project}'"
                import urllib.parse

                q = urllib.parse.urlencode(
                    {"query": query, "fields": "Subject,Status", "per_page": 100, "page": page}
                )
                answer = self.call("GET", f"/tickets?{q}")
                items = answer["items"]
                found += [
                    {"id": i["id"], "subject": i["Subject"], "status": i["Status"]} for i in items
                ]
                if page >= int(answer.get("pages") or 1):
                    break
            else:
                offset = (page - 1) * 100
                answer = self.call(
                    "GET",
                    f"/issues.json?project_id={self.project}&status_id=*&limit=100&offset={offset}",
                )
                found += [
                    {"id": str(i["id"]), "subject": i["subject"], "status": i["status"]["name"]}
                    for i in answer["issues"]
                ]
                if offset + 100 >= int(answer["total_count"]):
                    break
        return found

    def with_marker(self, marker: str) -> list[dict[str, Any]]:
        """The tickets whose subject carries ``marker``."""
        return [t for t in self.tickets() if marker in t["subject"]]


def _unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def new_desk(kind: str, server: RequestTrackerServer | RedmineServer) -> Desk:
    """A queue (RT) or project (Redmine) of its own on ``server``."""
    if kind == "rt":
        desk = Desk("rt", server, _unique("Vigie"), ROOT_AUTH)
        desk.call("POST", "/queue", {"Name": desk.project})
        return desk
    assert isinstance(server, RedmineServer)
    desk = Desk("redmine", server, _unique("vigie"), server.key)
    desk.call(
        "POST",
        "/projects.json",
        {
            "project": {
                "name": desk.project,
                "identifier": desk.project,
                "enabled_module_names": ["issue_tracking", "time_tracking"],
            }
        },
    )
    return desk


@pytest.fixture(scope="session")
def rt_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RequestTrackerServer]:
    """One Request Tracker for the session."""
    if not request_tracker.available():
        pytest.fail(MISSING.format(what="Request Tracker 5"))
    server = RequestTrackerServer(tmp_path_factory.mktemp("rt"))
    server.prepare()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redmine_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated Redmine database with its default data, copied by every instance."""
    if not redmine.available():
        pytest.fail(MISSING.format(what="Redmine 5 (with thin)"))
    return redmine.make_template(tmp_path_factory.mktemp("redmine-template"))


@pytest.fixture(scope="session")
def redmine_server(
    tmp_path_factory: pytest.TempPathFactory, redmine_template: Path
) -> Iterator[RedmineServer]:
    """One Redmine for the session."""
    server = RedmineServer(tmp_path_factory.mktemp("redmine"))
    server.prepare(redmine_template)
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["rt", "redmine"])
def desk(request: pytest.FixtureRequest) -> Desk:
    """A queue or project of its own on the session's RT, then Redmine."""
    server = request.getfixturevalue(f"{request.param}_server")
    return new_desk(request.param, server)


@pytest.fixture
def private_desk(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Desk]]:
    """A helpdesk server of the test's own (it may stop and start it): ``private_desk(kind)``."""
    started: list[RequestTrackerServer | RedmineServer] = []

    def make(kind: str) -> Desk:
        server: RequestTrackerServer | RedmineServer
        if kind == "rt":
            if not request_tracker.available():
                pytest.fail(MISSING.format(what="Request Tracker 5"))
            server = RequestTrackerServer(tmp_path_factory.mktemp("rt-own"))
            server.prepare()
        else:
            template = request.getfixturevalue("redmine_template")
            server = RedmineServer(tmp_path_factory.mktemp("redmine-own"))
            server.prepare(template)
        started.append(server)
        server.start()
        return new_desk(kind, server)

    yield make
    for server in started:
        server.stop()
