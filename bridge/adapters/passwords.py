"""Password hashing with argon2id (argon2-cffi), a maintained memory-hard hash.

argon2-cffi comes with the ``vigie[web]`` extra and is imported only when a password is
hashed or checked, so ``vigie notify`` never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from argon2 import PasswordHasher

_hasher: PasswordHasher | None = None


class HashingUnavailable(Exception):
    """argon2-cffi is not installed (the ``vigie[web]`` extra)."""


def _get() -> PasswordHasher:
    global _hasher
    if _hasher is None:
        try:
            from argon2 import PasswordHasher
        except ImportError:
            raise HashingUnavailable(
                "accounts need argon2-cffi: pip install 'vigie[web]'"
            ) from None
        # argon2-cffi's defaults follow RFC 9106's second recommendation (64 MiB, 3 passes).
        _hasher = PasswordHasher()
    return _hasher


def hash_password(password: str) -> str:
    """The password's argon2id hash, salt and parameters included."""
    return _get().hash(password)


def check_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """Whether the password matches; and a new hash when the parameters have changed.

    With no stored hash (no such account), a dummy hash is still checked so that the answer
    takes as long as for a real account.
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    hasher = _get()
    try:
        hasher.verify(stored or _dummy(), password)
    except (VerificationError, InvalidHashError):
        return False, None
    if stored is None:
        return False, None
    return True, hasher.hash(password) if hasher.check_needs_rehash(stored) else None


_dummy_hash: str | None = None


def _dummy() -> str:
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _get().hash("no such account")
    return _dummy_hash
