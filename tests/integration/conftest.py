"""Fixtures for the tests against real servers: an Icinga 2 daemon (``tests.servers``), and
the installed ``vigie`` on a temporary configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.servers.health_target import HealthTarget
from tests.servers.icinga import IcingaSandbox, StartIcinga, icinga2_available
from tests.servers.icinga_pki import Certificates, make_certificates
from tests.vigie_command import config_file, vigie

__all__ = ["config_file", "vigie"]  # the command's fixtures, shared with the other folders


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Skip what needs the daemon only where Debian's icinga2 is not installed."""
    if icinga2_available():
        return
    skip = pytest.mark.skip(reason="/usr/sbin/icinga2 is not installed (apt-get install icinga2)")
    for item in items:
        if item.get_closest_marker("icinga") is not None:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def icinga_certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """One CA and API certificate for the whole session (openssl, a fraction of a second)."""
    return make_certificates(tmp_path_factory.mktemp("icinga-pki"))


@pytest.fixture
def start_icinga(tmp_path: Path, icinga_certificates: Certificates) -> Iterator[StartIcinga]:
    """Start sandboxed daemons on demand; every one is stopped when the test ends."""
    started: list[IcingaSandbox] = []

    def start(*, build_only: bool = False, **settings: Any) -> IcingaSandbox:
        settings.setdefault("root", tmp_path / f"icinga-{len(started)}")
        settings.setdefault("vigie_config", tmp_path / "vigie.yaml")
        sandbox = IcingaSandbox(certificates=icinga_certificates, **settings)
        started.append(sandbox)
        sandbox.build()
        if not build_only:
            sandbox.start()
        return sandbox

    yield start
    for sandbox in started:
        sandbox.stop()


@pytest.fixture
def http_target() -> Iterator[HealthTarget]:
    """An HTTP server on 127.0.0.1 whose health the test flips."""
    target = HealthTarget().start()
    yield target
    target.stop()
