"""A validated configuration kept in the user's cache, so ``vigie notify`` skips the parser.

Icinga runs ``vigie notify`` for every notification; parsing and validating ``vigie.yaml``
(and importing the YAML parser) costs a fifth of its budget. The validated ``Config`` is
pickled under ``$VIGIE_CACHE_DIR``, else ``$XDG_CACHE_HOME/vigie``, else ``.cache/vigie`` in
the home folder (the account's own when HOME is unset, as under Icinga's daemon), keyed by
the file's absolute path and stamped with its status (mtime, ctime, size, inode) and with
this code's own, so any edit of the file or upgrade of Vigie makes it parse again.

A pickle runs code when read, so one is read only from a folder and a file owned by this
user and writable by nobody else, checked on the opened descriptors (never through a
link): swapping a file or a folder after the check cannot plant one. A cache folder someone
else can write is never used; a cache that cannot be written is simply not kept.
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
    return tuple(
        _stamp(here / name)
        for name in (
            "model.py",
            "../domain/contract.py",
            "../domain/paging.py",
            "../domain/rota.py",
        )
    )


def _folder() -> Path | None:
    explicit = os.environ.get("VIGIE_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        # Icinga's daemon runs its commands with no HOME: the account's home then, as
        # os.path.expanduser does.
        home = os.environ.get("HOME")
        if not home:
            import pwd

            try:
                home = pwd.getpwuid(os.geteuid()).pw_dir
            except KeyError:
                return None
        if not home or home == "/":
            return None
        base = os.path.join(home, ".cache")
    return Path(base) / "vigie"


def _name(path: Path) -> str:
    # The path itself, escaped, names the file: readable, and no hashing module to load.
    key = str(path.absolute()).replace("%", "%25").replace("/", "%2F")
    if len(key) > 200:
        import hashlib

        key = hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()
    return f"config-{key}.pickle"


def _trusted(fd: int, kind: int) -> bool:
    """Whether an opened file is of ``kind``, ours, and writable by nobody else.

    Checked on the descriptor, not the path: a link or a file swapped in after the check
    cannot be what is then read.
    """
    status = os.fstat(fd)
    return (
        stat.S_IFMT(status.st_mode) == kind
        and status.st_uid == os.geteuid()
        and not status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    )


def _open_folder(folder: Path) -> int | None:
    """The cache folder opened (never through a link) if it can be trusted, else None."""
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError:
        return None
    if _trusted(fd, stat.S_IFDIR):
        return fd
    os.close(fd)
    return None


def read(path: Path, stale: bool = False) -> object | None:
    """The cached configuration of ``path`` if still current, else None.

    ``stale`` also returns the last one validated when the file has changed since (its
    store is where ``vigie notify`` keeps events while the new file is broken).
    """
    folder = _folder()
    stamp = _stamp(path)
    if folder is None:
        return None
    folder_fd = _open_folder(folder)
    if folder_fd is None:
        return None
    try:
        fd = os.open(_name(path), os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder_fd)
    except OSError:
        return None
    finally:
        os.close(folder_fd)
    try:
        with os.fdopen(fd, "rb") as handle:
            if not _trusted(fd, stat.S_IFREG):
                return None
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
    folder = _folder()
    stamp = _stamp(path)
    if folder is None or stamp is None:
        return
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder_fd = _open_folder(folder)
        if folder_fd is None:
            return
        try:
            _write_in(folder_fd, _name(path), (FORMAT, stamp, _code_stamp(), config))
        finally:
            os.close(folder_fd)
    except (OSError, pickle.PicklingError):
        return


def _write_in(folder_fd: int, name: str, content: object) -> None:
    data = pickle.dumps(content, pickle.HIGHEST_PROTOCOL)
    temporary = f".config-{os.urandom(8).hex()}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
    fd = os.open(temporary, flags, 0o600, dir_fd=folder_fd)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, name, src_dir_fd=folder_fd, dst_dir_fd=folder_fd)
    except BaseException:
        os.unlink(temporary, dir_fd=folder_fd)
        raise
