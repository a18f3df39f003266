"""Request Tracker 5 from Debian's packages on 127.0.0.1, in a temporary folder, with its
own SQLite database: started and stopped by the tests (``rt-server``, two workers).

Nothing in /etc is read: RT_SITE_CONFIG names our config and RT_SITE_CONFIG_DIR an empty
folder (otherwise Debian's RT_SiteConfig.d would point RT back at the package's database).
The bcrypt cost is set low before the database is made: each authenticated request costs
a few ms instead of 200.
"""

from __future__ import annotations

import os
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tests.servers.polling import HarnessError, free_port, stop_group, wait_for

RT_SERVER = Path("/usr/share/request-tracker5/libexec/rt-server")
RT_SETUP = Path("/usr/sbin/rt-setup-database-5")
ROOT_AUTH = "root:password"

_CONFIG = """Set($rtname, 'rt.test');
Set($Organization, 'rt.test');
Set($CorrespondAddress, 'rt@rt.test');
Set($CommentAddress, 'rt-comment@rt.test');
Set($Timezone, 'UTC');
Set($DatabaseType, 'SQLite');
Set($DatabaseName, '{db}');
Set($WebDomain, '127.0.0.1');
Set($WebPort, {port});
Set($WebPath, '');
Set($WebBaseURL, 'http://127.0.0.1:{port}');
Set($WebURL, 'http://127.0.0.1:{port}/');
Set($LogToSyslog, undef);
Set($LogToFile, undef);
Set($LogToSTDERR, 'error');
Set($MailCommand, 'mbox');
Set($BcryptCost, 4);
Set($MasonDataDir, '{folder}/mason_data');
Set($MasonSessionDir, '{folder}/session_data');
1;
"""


def available() -> bool:
    """Whether Debian's request-tracker5 and rt5-db-sqlite are installed."""
    return RT_SERVER.exists() and RT_SETUP.exists()


@dataclass
class RequestTrackerServer:
    """One RT instance; ``start``/``stop`` may be called again (an outage in a test)."""

    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        return dict(
            os.environ,
            RT_SITE_CONFIG=str(self.folder / "RT_SiteConfig.pm"),
            RT_SITE_CONFIG_DIR=str(self.folder / "siteconfig.d"),
        )

    def prepare(self) -> None:
        """The configuration and a fresh database (about a second)."""
        for sub in ("siteconfig.d", "mason_data", "session_data"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        (self.folder / "RT_SiteConfig.pm").write_text(
            _CONFIG.format(db=self.folder / "rt.db", port=self.port, folder=self.folder)
        )
        with open(self.folder / "setup.log", "wb") as log:
            subprocess.run(
                [str(RT_SETUP), "--action", "init"],
                cwd=self.folder,
                env=self._env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=True,
            )

    def start(self) -> None:
        """Start rt-server and wait until REST 2 answers (bounded)."""
        log = open(self.folder / "server.log", "ab")  # noqa: SIM115 (the server keeps it)
        self.process = subprocess.Popen(
            [str(RT_SERVER), "--host", "127.0.0.1", "--port", str(self.port), "--max-workers", "2"],
            cwd=self.folder,
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log.close()
        wait_for("Request Tracker on " + self.url, self._ready, timeout=60)

    def _ready(self) -> bool | None:
        if self.process is not None and self.process.poll() is not None:
            tail = (self.folder / "server.log").read_text(errors="replace")[-500:]
            raise HarnessError(f"rt-server exited: {tail}")
        request = urllib.request.Request(self.url + "/REST/2.0/rt")
        request.add_header("Authorization", "Basic cm9vdDpwYXNzd29yZA==")  # root:password
        try:
            with urllib.request.urlopen(request, timeout=2) as answer:
                return True if answer.status == 200 else None
        except OSError:
            return None

    def stop(self) -> None:
        """SIGTERM to the server's process group; waits (bounded) until it is gone."""
        if self.process is None or self.process.poll() is not None:
            return
        stop_group(self.process)
        # Starlet's workers may linger a moment after the master: wait until the port is free.
        wait_for("RT's port to close", lambda: None if self._listening() else True, timeout=15)

    def _listening(self) -> bool:
        import socket

        with socket.socket() as sock:
            sock.settimeout(0.5)
            return sock.connect_ex(("127.0.0.1", self.port)) == 0

    def make_token(self, user: str = "root") -> str:
        """An RT auth token for ``user`` (made with RT's own Perl API)."""
        script = (
            "use lib '/usr/share/request-tracker5/lib'; use RT; RT::LoadConfig(); RT::Init();"
            "my $cu = RT::CurrentUser->new(RT->SystemUser); $cu->Load($ARGV[0]);"
            "my $t = RT::AuthToken->new($cu);"
            "my ($id, $msg, $s) = $t->Create(Owner => $cu->Id, Description => 'vigie tests');"
            'die "token: $msg\\n" unless $id; print $s;'
        )
        done = subprocess.run(
            ["perl", "-e", script, user],
            cwd=self.folder,
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return done.stdout.strip()
