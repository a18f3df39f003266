"""A validated configuration kept in the user's cache, so ``vigie notify`` skips the parser.

Icinga runs ``vigie notify`` for every notification; parsing and validating ``vigie.yaml``
(and importing the YAML parser) costs a fifth of its budget. The validated ``Config`` is
pickled under ``$XDG_CACHE_HOME/vigie`` (default ``~/.cache/vigie``), keyed by the file's
absolute path and stamped with its status (mtime, ctime, size, inode) and with this code's
own, so any edit of the file or upgrade of Vigie makes it parse again. A pickle runs code
when read, so one is read only from a folder and file owned by this user and writable by
nobody else; a cache that cannot be written is simply not kept.
"""

from __future__ import annotations

import os
import pickle
import stat
from pathlib import Path

FORMAT = 1


def _stamp(path: Path) -> tuple[int, ...] | None:
    try:
        status = path.stat()
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_ctime_ns, status.st_size, status.st_ino, status.st_dev)


def _code_stamp() -> tuple[tuple[int, ...] | None, ...]:
    # The dataclasses a pickle rebuilds live in these files: a changed file, a fresh parse.
    here = Path(__file__).parent
    return tuple(_stamp(here / name) for name in ("model.py", "../domain/contract.py"))


def _folder() -> Path | None:
    base = os.environ.get("XDG_CACHE_HOME") or (
        os.path.join(os.environ["HOME"], ".cache") if os.environ.get("HOME") else None
    )
    return None if base is None else Path(base) / "vigie"


def _file(path: Path) -> Path | None:
    folder = _folder()
    if folder is None:
        return None
    # The path itself, escaped, names the file: readable, and no hashing module to load.
    key = str(path.absolute()).replace("%", "%25").replace("/", "%2F")
    if len(key) > 200:
        import hashlib

        key = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    return folder / f"config-{key}.pickle"


def _trusted(path: Path) -> bool:
    try:
        status = path.stat()
    except OSError:
        return False
    return status.st_uid == os.geteuid() and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def read(path: Path, stale: bool = False) -> object | None:
    """The cached configuration of ``path`` if still current, else None.

    ``stale`` also returns the last one validated when the file has changed since (its
    store is where ``vigie notify`` keeps events while the new file is broken).
    """
    cache = _file(path)
    stamp = _stamp(path)
    if cache is None or not (_trusted(cache.parent) and _trusted(cache)):
        return None
    try:
        with open(cache, "rb") as handle:
            found = pickle.load(handle)
    except Exception:  # a damaged or foreign cache only means parsing again
        return None
    if not (isinstance(found, tuple) and len(found) == 4):
        return None
    version, file_stamp, code_stamp = found[:3]
    if version != FORMAT or code_stamp != _code_stamp():
        return None
    if not stale and (stamp is None or file_stamp != stamp):
        return None
    config: object = found[3]
    return config


def write(path: Path, config: object) -> None:
    """Keep ``config`` for ``path``; silently skipped when the cache cannot be written."""
    cache = _file(path)
    stamp = _stamp(path)
    if cache is None or stamp is None:
        return
    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(cache.parent):
            return
        import tempfile  # only on a miss

        data = pickle.dumps((FORMAT, stamp, _code_stamp(), config), pickle.HIGHEST_PROTOCOL)
        handle, temporary = tempfile.mkstemp(dir=cache.parent, prefix=".config-")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
            os.replace(temporary, cache)
        except BaseException:
            os.unlink(temporary)
            raise
    except (OSError, pickle.PicklingError):
        return
