"""The ``store:`` section: SQLite by default, PostgreSQL when ``url`` names it, never with a
password in the url (a file or PGPASSFILE holds it), ``sslmode`` checked and kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from bridge.config.model import DEFAULT_SPOOL, ConfigError
from bridge.config.sections import parse_config
from tests.vigie_command import ROOT


def config_with(store: Any, tmp_path: Path) -> Any:
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["store"] = store
    data.pop("icinga", None)
    return parse_config(data, "vigie.yaml", base_dir=tmp_path)


def problems(store: Any, tmp_path: Path) -> list[str]:
    with pytest.raises(ConfigError) as refused:
        config_with(store, tmp_path)
    return refused.value.problems


def test_a_postgresql_url_selects_that_store_with_its_spool(tmp_path: Path) -> None:
    url = "postgresql://vigie@db.example.net:5432/vigie?sslmode=verify-full"
    config = config_with({"url": url, "password_file": "pgpass"}, tmp_path)
    assert config.store_url == url
    assert config.store_password_file == tmp_path / "pgpass"
    # The spool and journal of notifications the database could not take stay local.
    assert config.store_path.with_name(config.store_path.name + ".spool") == DEFAULT_SPOOL
    spooled = config_with({"url": url, "spool": "local/ha.spool"}, tmp_path)
    assert spooled.store_path == tmp_path / "local" / "ha"


def test_sqlite_stays_the_default(tmp_path: Path) -> None:
    config = config_with({"path": "vigie.db"}, tmp_path)
    assert config.store_url is None and config.store_path == tmp_path / "vigie.db"


@pytest.mark.parametrize(
    ("store", "words"),
    [
        ({"url": "postgresql://vigie:secret@db/vigie"}, "must not hold a password"),
        ({"url": "postgresql://vigie@db/vigie?password=secret"}, "must not hold a password"),
        ({"url": "postgresql://vigie@db/vigie?sslmode=sometimes"}, "sslmode must be one of"),
        ({"url": "mysql://vigie@db/vigie"}, "must be a postgresql://"),
        ({"url": "postgresql://vigie@db/vigie", "path": "vigie.db"}, "not both"),
        ({"url": "postgresql://vigie@db/vigie", "spool": "spool.txt"}, "ending in .spool"),
        ({"path": "vigie.db", "spool": "vigie.spool"}, "only with store.url"),
    ],
)
def test_a_bad_store_section_is_named_in_one_line(
    store: dict[str, str], words: str, tmp_path: Path
) -> None:
    found = problems(store, tmp_path)
    assert len(found) == 1 and words in found[0] and "store" in found[0]
    assert "secret" not in found[0]  # the refusal never repeats the password
