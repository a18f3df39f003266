"""The validated-configuration cache that spares ``vigie notify`` the YAML parser.

It must never serve a stale or foreign configuration: an edited file is read again, and a
cache file someone else could have written is ignored.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import shutil
import tempfile
import time
from collections.abc import Iterator
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


class _Plant:
    """A pickle that, when loaded, creates the file it names: code run from the cache."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def test_a_cache_file_behind_a_link_is_never_loaded(tmp_path: Path, cache_home: Path) -> None:
    path = write_config(tmp_path)
    load_config(path)
    (cached,) = list(cache_home.iterdir())
    marker = tmp_path / "code-ran"
    planted = tmp_path / "planted.pickle"
    planted.write_bytes(pickle.dumps(_Plant(marker)))
    planted.chmod(0o600)
    cached.unlink()
    cached.symlink_to(planted)
    assert config_cache.read(path) is None
    assert config_cache.read(path, stale=True) is None
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to play the other user")
def test_another_user_swapping_links_in_a_shared_cache_folder_never_runs_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A shared XDG_CACHE_HOME (mode 0777): another user swaps our cache folder for a link to
    a folder of theirs holding a planted pickle, again and again, while we read the cache."""
    # pytest's own temporary folders are private to us: the other user needs a way in.
    public = Path(tempfile.mkdtemp(prefix="vigie-shared-"))
    public.chmod(0o755)
    request_cleanup.append(public)
    shared = public / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    monkeypatch.setenv("XDG_CACHE_HOME", str(shared))
    path = write_config(tmp_path)
    expected = load_config(path)  # our genuine cache, in shared/vigie
    genuine = shared / "vigie"
    (cached,) = list(genuine.iterdir())
    theirs = public / "theirs"
    theirs.mkdir()
    marker = tmp_path / "code-ran"
    (theirs / cached.name).write_bytes(pickle.dumps(_Plant(marker)))
    stop = public / "stop"
    nobody = 65534
    for item in (theirs, theirs / cached.name):
        os.chown(item, nobody, nobody)
    marker.parent.chmod(0o777)  # so that a payload run by anyone could leave its mark

    attacker = os.fork()
    if attacker == 0:  # the other user: swap the folder and a link, until told to stop
        try:
            os.setgid(nobody)
            os.setuid(nobody)
            moved = shared / "moved"
            done = 0
            for _ in range(200_000):
                if stop.exists():
                    break
                with contextlib.suppress(OSError):
                    os.rename(genuine, moved)
                    os.symlink(theirs, genuine)
                    time.sleep(0.00005)
                    os.unlink(genuine)
                    os.rename(moved, genuine)
                    done += 1
                    time.sleep(0.00005)
            (shared / "swaps").write_text(str(done))
        finally:
            os._exit(0)
    try:
        for _ in range(2000):
            found = config_cache.read(path)
            assert found is None or found == expected
    finally:
        stop.touch()
        os.waitpid(attacker, 0)
    assert swaps(shared) > 0, "the other user could not swap anything: the test proves nothing"
    assert not marker.exists(), "a planted pickle was loaded"


def swaps(shared: Path) -> int:
    try:
        return int((shared / "swaps").read_text() or 0)
    except (OSError, ValueError):
        return 0


request_cleanup: list[Path] = []


@pytest.fixture(autouse=True)
def _remove_public_folders() -> Iterator[None]:
    yield
    while request_cleanup:
        shutil.rmtree(request_cleanup.pop(), ignore_errors=True)
