"""A ``vigie notify-server`` run by a test: started on a socket in the test's folder, ready
once it accepts a connection, stopped with SIGTERM (as systemd stops it) by the test."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

from tests.servers.polling import wait_for
from tests.vigie_command import VIGIE, clean_env


class NotifyServer:
    """``vigie --config CONFIG notify-server --socket SOCKET`` in the background."""

    def __init__(self, config: Path, sock: Path) -> None:
        self.config, self.socket = config, sock
        self.process = subprocess.Popen(
            [VIGIE, "--config", str(config), "notify-server", "--socket", str(sock)],
            stderr=subprocess.PIPE,
            text=True,
            env=clean_env(XDG_CACHE_HOME=str(config.parent / "cache")),
        )
        wait_for("the notify server to listen", self.listening, 30)

    def listening(self) -> bool | None:
        """Whether the server accepts a connection (an empty call: declined, not counted)."""
        if self.process.poll() is not None:
            raise AssertionError(f"the notify server exited: {self.process.communicate()[1]}")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return None
        return True

    def stop(self) -> str:
        """SIGTERM; its log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        _, log = self.process.communicate(timeout=30)
        return log
