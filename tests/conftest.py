"""Fixtures every folder may use: ``pg_cluster``, one throwaway PostgreSQL cluster for the
whole session (started on first use only), and ``backend``, each store in turn."""

from __future__ import annotations

from tests.backends import backend
from tests.servers.postgres import pg_cluster

__all__ = ["backend", "pg_cluster"]
