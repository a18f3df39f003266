"""Opening the store for a command that writes it: as its owner, the spool replayed first.

A notification Icinga could not store waits in the spool; any command that may write the
store records it before doing its own work, so nothing waits for the next notification.
A user who must not write the store (see ``store.access``) is refused before anything is
written, with the owner to run as.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.config.model import Config
from bridge.services.notifications import replay_spool
from bridge.store import spool
from bridge.store.access import NotWritable, check_writable
from bridge.store.unit_of_work import UnitOfWork


class StoreNotWritable(Exception):
    """This user must not write the store; ``refusal`` names the owner to run as."""

    def __init__(self, refusal: NotWritable) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


@dataclass(frozen=True)
class OpenedStore:
    """A writing unit of work, and how many spooled notifications were recorded first."""

    uow: UnitOfWork
    replayed: int | None


def open_for_writing(config: Config, now: datetime) -> OpenedStore:
    """The store, checked writable by this user, its spool replayed; StoreNotWritable else."""
    refusal = check_writable(config.store_path)
    if refusal is not None:
        raise StoreNotWritable(refusal)
    uow = UnitOfWork(config.store_path)
    replayed = replay_spool(uow, config, spool.spool_path(config.store_path), now)
    return OpenedStore(uow, replayed)


def spool_waiting(config: Config) -> bool:
    """Whether notifications wait in the store's spool (a cheap stat, for reading commands)."""
    return spool.pending(spool.spool_path(config.store_path))
