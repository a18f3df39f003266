"""`vigie notify` stays lean (issue 3, Speed): Icinga runs it for every notification.

Budgets live in bench/bench_notify.py; this only guards against heavy imports creeping back
onto the notify path: click (the CLI), yaml (the configuration is cached once validated),
requests and smtplib (only for taking over and sending alerts), holidays (loaded only when
a business weekday is in question and its dates are not kept yet).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.servers.notify_server import NotifyServer
from tests.vigie_command import VIGIE, clean_env, notify_args

HEAVY = ("click", "yaml", "requests", "smtplib", "holidays", "email", "http.client")
HEAVY += (
    "lxml",
    "saxonche",
    "fpdf",
    "facturx",
)  # e-invoices: only `vigie issue` and --format ubl|pdf
# The store's other repositories and the rules behind them: not a notification's business.
HEAVY += ("bridge.store.issued", "bridge.store.accounts", "bridge.domain.billing")
# The external helpdesk's outbox and adapters: only where `helpdesk:` names one.
HEAVY += (
    "bridge.adapters.helpdesks",
    "bridge.services.helpdesk_outbox",
    "bridge.store.helpdesk",
    "bridge.store.ticket_locks",
    "bridge.domain.helpdesk",
    "bridge.config.helpdesk",
)
# The PostgreSQL store (about 100 ms to import): only when store.url names one.
HEAVY += ("psycopg", "psycopg_binary", "bridge.store.postgres")


def imported_by_notify(config_file: Path, service: str, **env: str) -> set[str]:
    result = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            VIGIE,
            "--config",
            str(config_file),
            *notify_args(
                type="PROBLEM", host="web01", service=service, state="CRITICAL", since="1795600800"
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(XDG_CACHE_HOME=str(config_file.parent / "cache"), **env),
    )
    assert result.returncode == 0, result.stderr
    return {
        line.rsplit("|", 1)[1].strip()
        for line in result.stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_notify_imports_nothing_heavy_once_its_configuration_is_cached(
    config_file: Path,
) -> None:
    first = imported_by_notify(config_file, "http")
    assert "yaml" in first  # the first run parses vigie.yaml and caches it
    modules = imported_by_notify(config_file, "smtp")
    assert "bridge.entrypoints.notify" in modules
    heavy = sorted(m for m in modules if m in HEAVY or m.split(".")[0] in HEAVY)
    assert heavy == []


def test_a_call_handed_to_a_notify_server_loads_nothing_of_the_bridge(config_file: Path) -> None:
    """The launcher's side of a served call: the option table and the socket, nothing more."""
    server = NotifyServer(config_file, config_file.parent / "notify.sock")
    try:
        modules = imported_by_notify(config_file, "http", VIGIE_NOTIFY_SOCKET=str(server.socket))
    finally:
        assert "stopped after 1 call(s)" in server.stop()
    assert sorted(m for m in modules if m.startswith("bridge.")) == [
        "bridge.entrypoints",
        "bridge.entrypoints.launcher",
        "bridge.entrypoints.notify_call",
        "bridge.entrypoints.notify_client",
    ]
    assert not modules & {"sqlite3", "dataclasses", "typing", "pathlib", "datetime"}


def test_with_a_helpdesk_notify_loads_its_adapter_on_the_standard_library_only(
    tmp_path: Path,
) -> None:
    from tests.servers.polling import free_port
    from tests.vigie_command import write_config

    token = tmp_path / "helpdesk.token"
    token.write_text("key\n", encoding="utf-8")
    config_file = write_config(
        tmp_path,
        helpdesk={
            "kind": "redmine",
            "url": f"http://127.0.0.1:{free_port()}",  # nothing listens: delivery fails fast
            "token_file": str(token),
            "project": "support",
        },
    )
    imported_by_notify(config_file, "http")
    modules = imported_by_notify(config_file, "smtp")
    assert "bridge.adapters.helpdesks.redmine" in modules
    assert "http.client" in modules
    assert not {"requests", "urllib3", "click", "yaml"} & modules
