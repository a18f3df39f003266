"""Moving a site's store from SQLite to PostgreSQL (``vigie migrate --to``): the one use
case, checked before it reports success."""

from __future__ import annotations

from pathlib import Path

from bridge.config.model import Config, ConfigError
from bridge.config.sections import read_postgres_url


def migrate_to(config: Config, url: str, password_file: Path | None) -> str:
    """Copy the configured SQLite store into the empty PostgreSQL store at ``url``; the
    line saying what was copied. ConfigError for a bad url, StoreError when refused."""
    if config.store_url is not None:
        raise ConfigError([f"store.url: the store is PostgreSQL already ({config.store_url})"])
    try:
        read_postgres_url(url)
    except ValueError as error:
        raise ConfigError([f"--to: {error}"]) from None
    from bridge.store.copy import copy_store  # psycopg: only for this command

    copied = copy_store(config.store_path, url, password_file)
    return (
        f"copied {config.store_path} into {url.split('?', 1)[0]}: {copied.describe()}; "
        "counts, totals and every row checked. Now set store.url (and store.spool) in "
        "vigie.yaml on both masters"
    )
