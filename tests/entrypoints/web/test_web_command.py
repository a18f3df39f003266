"""``vigie web`` as a process: one line when ready, serves, stops on SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
from pathlib import Path

import requests

from tests.vigie_command import VIGIE, clean_env, write_config


def test_vigie_web_logs_one_line_when_ready_and_stops_on_sigterm(tmp_path: Path) -> None:
    config_file = write_config(tmp_path)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [VIGIE, "--config", str(config_file), "web", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")),
    )
    try:
        assert server.stderr is not None
        ready = server.stderr.readline()
        assert ready.startswith(f"vigie web: ready on http://127.0.0.1:{port}/"), ready
        answer = requests.get(f"http://127.0.0.1:{port}/login", timeout=10)
        assert answer.status_code == 200 and "Log in" in answer.text
        assert requests.get(f"http://127.0.0.1:{port}/api/tickets", timeout=10).status_code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        _, rest = server.communicate(timeout=20)
    # uvicorn stops cleanly, then ends by the signal it caught (systemd counts it as clean).
    assert server.returncode in (0, -signal.SIGTERM), rest
    assert "Traceback" not in rest
