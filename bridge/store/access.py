"""Who may write the store: its files must stay its owner's, whoever runs a command.

Icinga's user (``nagios`` on Debian) runs ``vigie notify`` and owns the store. A command run
as another user that wrote the store would leave files that user owns (the database when it
does not exist yet, its spool, its locks), and every later notification would be spooled
unseen. So a command that writes refuses to, naming the owner to run as, unless it runs as
the owner of the store's folder (root only over a folder root owns).
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class NotWritable:
    """Why this user must not write the store, and whom to run as instead."""

    path: Path
    owner: str
    user: str
    reason: str

    def __str__(self) -> str:
        return f"the store {self.path} {self.reason}"


def _name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def check_writable(path: Path, owner_only: bool = True) -> NotWritable | None:
    """None when the user running may write the store at ``path``; else why not.

    ``owner_only``: root may not write a store another user owns (a command that writes);
    without it, only whether the files can be written (what a check of the bridge asks).
    """
    folder = path.parent
    try:
        info = (path if path.exists() else folder).stat()
    except OSError:
        return None  # no folder yet: creating it says what is wrong, in the store's words
    me = os.geteuid()
    owner, user = _name(info.st_uid), _name(me)
    target = path if path.exists() else folder
    if me == 0 and info.st_uid != 0 and owner_only:
        return NotWritable(
            path, owner, user, f"belongs to {owner}: root would leave files {owner} cannot write"
        )
    if me != 0 and not (os.access(target, os.W_OK) and os.access(folder, os.W_OK | os.X_OK)):
        return NotWritable(path, owner, user, f"belongs to {owner} and {user} cannot write it")
    return None
