"""``vigie doctor``: try, as the user running it, everything the configuration points at.

What ``check-config`` cannot see because it reads only the file: whether this user can
write the store, whether notifications wait in the spool, whether the configuration cache
works in this user's environment (Icinga's daemon has no HOME), whether Icinga's API
answers with the configured URL, credentials and CA, whether the SMTP relay answers, and
whether the external helpdesk answers (and nothing is dead-lettered in its outbox).
Each finding says what to fix. Reads and greets, never sends or acknowledges anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bridge.adapters.icinga_api import IcingaApiError, application_status
from bridge.adapters.mail import relay_answers
from bridge.adapters.sms import DeliveryError, apprise_problem
from bridge.config import cache
from bridge.config.model import Config
from bridge.store import journal, spool
from bridge.store.access import check_writable
from bridge.store.errors import StoreError
from bridge.store.unit_of_work import open_store


@dataclass(frozen=True)
class Finding:
    """One thing tried: what, whether it works, and what to fix when it does not."""

    what: str
    ok: bool
    detail: str


def diagnose(config: Config, config_file: Path) -> list[Finding]:
    """Every finding, in the order a notification meets them."""
    found = [
        _store(config),
        _spool(config),
        _cache(config_file),
        _icinga(config),
        _relay(config),
        _helpdesk(config),
    ]
    if config.alerts.apprise:
        found.append(_apprise(config))
    return found


def _store(config: Config) -> Finding:
    path = config.store_path
    refusal = check_writable(path)
    if refusal is not None:
        return Finding(
            "store", False, f"{refusal}: run vigie as {refusal.owner} (runuser -u {refusal.owner})"
        )
    try:
        with open_store(config):  # takes the write lock, then rolls back: nothing written
            pass
    except StoreError as error:
        return Finding("store", False, f"{error}: give the store's folder to Icinga's user")
    return Finding("store", True, f"{config.store_url or path} writable")


def _spool(config: Config) -> Finding:
    spooled = spool.spool_path(config.store_path)
    waiting = journal.waiting(config.store_path)
    rejected = spool.rejected_path(spooled)
    if waiting.records:
        return Finding(
            "spool",
            False,
            f"{waiting.records} notification(s) wait in {spooled} (or its journal): once "
            "the store can be written, vigie replay, or any command that writes it (vigie "
            "sync-icinga), records them",
        )
    if rejected.exists() and rejected.stat().st_size:
        return Finding(
            "spool", False, f"records were set aside in {rejected}, each with its reason"
        )
    return Finding("spool", True, f"{spooled}: nothing waiting")


def _cache(config_file: Path) -> Finding:
    if cache.read(config_file) is None:
        return Finding(
            "cache",
            False,
            "the validated configuration could not be cached for this user: every "
            "notification parses the YAML; set VIGIE_CACHE_DIR to a folder this user owns",
        )
    return Finding("cache", True, "the validated configuration is cached for this user")


def _icinga(config: Config) -> Finding:
    api = config.icinga
    if api is None:
        return Finding("icinga", True, "no icinga: section, take-overs are not acknowledged")
    try:
        status = application_status(api)
    except IcingaApiError as error:
        return Finding("icinga", False, str(error))
    version = status.get("version", "?")
    node = status.get("node_name", "?")
    return Finding("icinga", True, f"{api.url} answers {api.user} (Icinga {version}, {node})")


def _relay(config: Config) -> Finding:
    alerted = [c.id for c in config.customers.values() if c.alerts.email or c.alerts.sms]
    if not alerted:
        return Finding("relay", True, "no customer has alerts: no SMTP relay needed")
    try:
        greeting = relay_answers(config.alerts)
    except DeliveryError as error:
        return Finding("relay", False, f"{error} (alerts: of {', '.join(alerted)})")
    return Finding("relay", True, greeting)


def _apprise(config: Config) -> Finding:
    """Whether apprise is installed and takes every ``alerts.apprise`` URL (nothing sent)."""
    problem = apprise_problem(config.alerts.apprise)
    if problem is not None:
        return Finding("apprise", False, problem)
    return Finding("apprise", True, f"{len(config.alerts.apprise)} URL(s) accepted by apprise")


def _helpdesk(config: Config) -> Finding:
    settings = config.helpdesk
    if not settings.external:
        return Finding("helpdesk", True, "embedded: tickets are kept in the store only")
    from bridge.adapters.helpdesks import HelpdeskError, connect
    from bridge.domain.helpdesk import marker

    try:
        connect(settings, settings.timeout).find(marker(0))  # a read: nothing is made
    except HelpdeskError as error:
        return Finding("helpdesk", False, str(error))
    with open_store(config, write=False) as uow:
        waiting = uow.helpdesk.undelivered()
    dead = sum(item.dead(settings.max_attempts) for item in waiting)
    if dead:
        return Finding(
            "helpdesk",
            False,
            f"{dead} item(s) dead-lettered in the outbox: see vigie outbox --dead, fix the "
            "cause, then vigie flush --dead",
        )
    return Finding(
        "helpdesk",
        True,
        f"{settings.url} answers ({settings.kind}, {settings.project}); "
        f"{len(waiting)} item(s) waiting in the outbox",
    )
