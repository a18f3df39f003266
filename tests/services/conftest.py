"""Fixtures: the example configuration with its store in a temporary folder, and a unit of
work on that (real) store: SQLite, then PostgreSQL (``backend``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.config.load import load_config
from bridge.config.model import Config
from bridge.store.unit_of_work import UnitOfWork, open_store
from tests.backends import Backend
from tests.vigie_command import write_config


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, backend: Backend) -> Config:
    """examples/vigie.yaml, its store in the test's folder (or a fresh PostgreSQL one)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return load_config(write_config(tmp_path, store=backend.store))


@pytest.fixture
def uow(config: Config) -> UnitOfWork:
    """A writing unit of work on the configuration's store."""
    return open_store(config)
