"""Fixtures: a vigie.yaml in a temporary folder and the installed ``vigie`` command on it;
``backend``, each store in turn (SQLite, then a throwaway PostgreSQL database)."""

from __future__ import annotations

from tests.vigie_command import config_file, vigie

__all__ = ["config_file", "vigie"]
