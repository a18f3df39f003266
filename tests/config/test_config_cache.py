"""The validated-configuration cache that spares ``vigie notify`` the YAML parser.

It must never serve a stale or foreign configuration: an edited file is read again, and a
cache file someone else could have written is ignored.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bridge.config import cache as config_cache
from bridge.config.load import load_config
from tests.vigie_command import write_config


@pytest.fixture
def cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home))
    return home / "vigie"


def test_second_load_comes_from_the_cache(tmp_path: Path, cache_home: Path) -> None:
    path = write_config(tmp_path)
    first = load_config(path)
    (cached,) = list(cache_home.iterdir())
    assert oct(cached.stat().st_mode & 0o777) == "0o600"
    assert config_cache.read(path) == first
    assert load_config(path) == first


def test_an_edited_file_is_read_again(tmp_path: Path, cache_home: Path) -> None:
    path = write_config(tmp_path)
    assert str(load_config(path).timezone) == "Europe/Brussels"
    write_config(tmp_path, timezone="Europe/Paris")
    assert config_cache.read(path) is None
    assert str(load_config(path).timezone) == "Europe/Paris"


def test_a_cache_others_could_write_is_ignored(tmp_path: Path, cache_home: Path) -> None:
    path = write_config(tmp_path)
    load_config(path)
    (cached,) = list(cache_home.iterdir())
    os.chmod(cached, 0o666)
    assert config_cache.read(path) is None
    os.chmod(cached, 0o600)
    os.chmod(cache_home, 0o777)
    assert config_cache.read(path) is None


def test_a_damaged_cache_means_parsing_again(tmp_path: Path, cache_home: Path) -> None:
    path = write_config(tmp_path)
    expected = load_config(path)
    (cached,) = list(cache_home.iterdir())
    cached.write_bytes(b"not a pickle")
    assert config_cache.read(path) is None
    assert load_config(path) == expected


def test_an_unwritable_cache_is_simply_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    path = write_config(tmp_path)
    assert load_config(path).timezone is not None
    assert config_cache.read(path) is None
