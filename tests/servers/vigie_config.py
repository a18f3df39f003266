"""A ``vigie.yaml`` for the daemon's notification command, and running the installed ``vigie``
against it, as the end-to-end tests and ``make demo`` do."""

from __future__ import annotations

import copy
import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.offer import BUSINESS_HOURS_DATA, LEVELS_DATA, RATES_DATA
from tests.servers.icinga import CLEAN_ENV, SCRIPTS, IcingaSandbox
from tests.servers.polling import HarnessError


def write_vigie_config(
    path: Path,
    store: Path | Mapping[str, str],
    customers: Mapping[str, Any],
    icinga: Mapping[str, Any] | None = None,
) -> Path:
    """A vigie.yaml with the offer's levels and rates (design.md's keys) and these contracts;
    ``store``: the SQLite file, or the whole ``store:`` section (a PostgreSQL one)."""
    config: dict[str, Any] = {
        "timezone": "Europe/Brussels",
        "business_hours": {**BUSINESS_HOURS_DATA, "holidays": None},
        "store": {"path": str(store)} if isinstance(store, Path) else dict(store),
        "levels": copy.deepcopy(dict(LEVELS_DATA)),
        "rates": dict(RATES_DATA),
        "customers": dict(customers),
    }
    if icinga is not None:
        config["icinga"] = dict(icinga)
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def icinga_settings(sandbox: IcingaSandbox, url: str | None = None) -> dict[str, Any]:
    """The ``icinga:`` section of vigie.yaml for ``sandbox``'s API and vigie's ApiUser."""
    return {
        "url": url or sandbox.url,
        "user": sandbox.vigie_user,
        "password_file": str(sandbox.vigie_password_file),
        "ca_file": str(sandbox.ca_file),
        "verify": True,
        "timeout": 5,
    }


def run_vigie(
    config: Path, *args: str, env: Mapping[str, str] | None = None, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """The installed ``vigie`` command with ``--config``; its output captured as text."""
    return subprocess.run(
        [str(SCRIPTS / "vigie"), "--config", str(config), *args],
        capture_output=True,
        text=True,
        env={**CLEAN_ENV, **(env or {})},
        timeout=timeout,
        check=False,
    )


def vigie_json(config: Path, *args: str) -> Any:
    """``vigie ... --format json``, decoded; a failure raises with vigie's own message."""
    done = run_vigie(config, *args, "--format", "json")
    if done.returncode != 0:
        raise HarnessError(f"vigie {' '.join(args)} exited {done.returncode}: {done.stderr}")
    return json.loads(done.stdout)
