"""Redmine 5 from Debian's packages on 127.0.0.1 (Thin via ``rails server``), each instance
with its own SQLite database in a temporary folder: started and stopped by the tests.

``DATABASE_URL`` overrides Debian's database.yml. The schema and default data are made once
per session into a template (two separate rake runs: chained, the second one silently
fails), then copied for each instance; the REST API is switched on and the admin's API key
read with ``rails runner``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.polling import HarnessError, free_port, stop_group, wait_for

REDMINE = Path("/usr/share/redmine")
_SERVER = ("bin/rails", "server", "-b", "127.0.0.1", "-e", "production")
_ENABLE_API = """
Setting.rest_api_enabled = "1"
u = User.find_by_login("admin")
u.update_columns(must_change_passwd: false)
print u.api_key
"""


def available() -> bool:
    """Whether Debian's redmine, redmine-sqlite and thin are installed."""
    return (REDMINE / "bin" / "rails").exists() and shutil.which("thin") is not None


def _env(db: Path) -> dict[str, str]:
    return dict(os.environ, RAILS_ENV="production", REDMINE_LANG="en", DATABASE_URL=f"sqlite3:{db}")


def _run(args: list[str], db: Path, log: Path) -> str:
    with open(log, "ab") as err:
        done = subprocess.run(
            args, cwd=REDMINE, env=_env(db), stdout=subprocess.PIPE, stderr=err, timeout=300
        )
    if done.returncode != 0:
        raise HarnessError(f"{' '.join(args)} failed: see {log}")
    return done.stdout.decode("utf-8", "replace")


def make_template(folder: Path) -> Path:
    """A migrated Redmine database with its default data (about 10 s)."""
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "template.sqlite3"
    log = folder / "setup.log"
    _run(["bin/rake", "db:migrate"], db, log)
    _run(["bin/rake", "redmine:load_default_data"], db, log)
    return db


@dataclass
class RedmineServer:
    """One Redmine instance; ``start``/``stop`` may be called again (an outage)."""

    folder: Path
    port: int = field(default_factory=free_port)
    key: str = ""
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> Path:
        return self.folder / "redmine.sqlite3"

    def prepare(self, template: Path) -> None:
        """Its database from the template, the REST API on, the admin's key read."""
        self.folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(template, self.db)
        output = _run(["bin/rails", "runner", _ENABLE_API], self.db, self.folder / "setup.log")
        self.key = output.strip().splitlines()[-1].strip()

    def start(self) -> None:
        """Start Thin and wait until the API answers (bounded)."""
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (the server keeps it)
        self.process = subprocess.Popen(
            [*_SERVER, "-p", str(self.port), "-P", str(self.folder / "server.pid")],
            cwd=REDMINE,
            env=_env(self.db),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        wait_for("Redmine on " + self.url, self._ready, timeout=90)

    def _ready(self) -> bool | None:
        if self.process is not None and self.process.poll() is not None:
            tail = (self.folder / "server.log").read_text(errors="replace")[-500:]
            raise HarnessError(f"redmine exited: {tail}")
        request = urllib.request.Request(self.url + "/users/current.json")
        request.add_header("X-Redmine-API-Key", self.key)
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                return True if answer.status == 200 else None
        except OSError:
            return None

    def stop(self) -> None:
        """SIGTERM to the server's process group; waits (bounded)."""
        if self.process is None or self.process.poll() is not None:
            return
        stop_group(self.process)
        (self.folder / "server.pid").unlink(missing_ok=True)
