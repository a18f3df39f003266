"""A take-over seen in the external helpdesk flows on to Icinga as an acknowledgement:
real Request Tracker 5 and real Icinga 2 (both from Debian's packages, on 127.0.0.1),
``vigie notify`` opening the RT ticket, staff taking it in RT, ``vigie sync`` (R4)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.servers.helpdesks import new_desk
from tests.servers.icinga import StartIcinga
from tests.servers.polling import wait_for
from tests.servers.request_tracker import RequestTrackerServer
from tests.vigie_command import VIGIE, clean_env, notify_args, write_config

pytestmark = [pytest.mark.icinga, pytest.mark.helpdesk, pytest.mark.slow]

OBJECTS = """
object Host "web01" {
  address = "127.0.0.1"
  check_command = "dummy"
  vars.dummy_state = 0
  check_interval = 1s
}
object Service "disk" {
  host_name = "web01"
  check_command = "dummy"
  vars.dummy_state = 2
  check_interval = 1s
  max_check_attempts = 1
}
"""


def test_a_take_over_in_rt_acknowledges_the_problem_in_icinga(
    tmp_path: Path, start_icinga: StartIcinga, rt_server: RequestTrackerServer
) -> None:
    desk = new_desk("rt", rt_server)
    config = tmp_path / "vigie.yaml"
    icinga = start_icinga(objects=OBJECTS, vigie_config=config)
    write_config(
        tmp_path,
        helpdesk=desk.section(tmp_path),
        icinga={
            "url": icinga.url,
            "user": icinga.vigie_user,
            "password_file": str(icinga.vigie_password_file),
            "ca_file": str(icinga.ca_file),
        },
    )
    wait_for(
        "web01!disk to be CRITICAL", lambda: icinga.service("web01", "disk")["state"] == 2 or None
    )

    def vigie(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VIGIE, "--config", str(config), *args], capture_output=True, text=True,
            env=clean_env(XDG_CACHE_HOME=str(tmp_path / "cache")), timeout=120, check=False,
        )  # fmt: skip

    since = str(int(time.time()) - 60)
    args = notify_args(type="PROBLEM", host="web01", service="disk", state="CRITICAL", since=since)
    assert vigie(*args).returncode == 0
    [external] = desk.with_marker("[vigie#1]")
    assert icinga.service("web01", "disk")["acknowledgement"] == 0
    desk.call("PUT", f"/ticket/{external['id']}", {"Status": "open"})  # root takes it in RT

    synced = vigie("sync")
    assert synced.returncode == 0, synced.stdout + synced.stderr
    assert "acknowledged in Icinga" in synced.stdout
    assert icinga.service("web01", "disk")["acknowledgement"] == 2  # sticky
    [comment] = icinga.comments("web01", "disk")
    assert comment["author"] == "root"  # as the helpdesk's staff did it
    assert "Vigie ticket #1 taken over by root" in comment["text"]
