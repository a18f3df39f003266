"""Fixtures every folder may use, each server started on first use only, once per session:
the real helpdesks; ``pg_cluster``, one throwaway PostgreSQL cluster; and ``backend``, each
store in turn."""

from __future__ import annotations

from tests.backends import backend
from tests.servers.helpdesks import (
    desk,
    private_desk,
    redmine_server,
    redmine_template,
    rt_server,
)
from tests.servers.postgres import pg_cluster

__all__ = [
    "backend",
    "desk",
    "pg_cluster",
    "private_desk",
    "redmine_server",
    "redmine_template",
    "rt_server",
]
