"""``vigie user`` and ``vigie token``: passwords never on the command line, hashes only in
the store, one-line errors naming what is wrong."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

from tests.entrypoints.test_lean_notify import imported_by_notify
from tests.vigie_command import VIGIE, Run, assert_one_line_error, clean_env


def store_rows(config_file: Path, query: str) -> list[tuple[object, ...]]:
    db = sqlite3.connect(config_file.parent / "vigie.db")
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def test_user_add_reads_the_password_from_a_file_and_keeps_its_hash(
    vigie: Run, config_file: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough secret\n", encoding="utf-8")
    result = vigie("user", "add", "alice", "--role", "staff", "--password-file", str(secret))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "added user alice (staff)"
    [(stored,)] = store_rows(config_file, "SELECT password_hash FROM users")
    assert isinstance(stored, str) and stored.startswith("$argon2id$")
    assert "a long enough secret" not in stored


def test_user_add_reads_standard_input_when_it_is_not_a_terminal(
    config_file: Path,
) -> None:
    result = subprocess.run(
        [
            VIGIE,
            "--config",
            str(config_file),
            "user",
            "add",
            "carol",
            "--role",
            "customer",
            "--customer",
            "acme",
        ],
        input="from standard input\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=clean_env(XDG_CACHE_HOME=str(config_file.parent / "cache")),
    )
    assert result.returncode == 0, result.stderr
    assert store_rows(config_file, "SELECT name, role, customer FROM users") == [
        ("carol", "customer", "acme")
    ]


def test_a_password_is_never_taken_as_an_argument(vigie: Run, config_file: Path) -> None:
    result = vigie("user", "add", "alice", "--role", "staff", "--password", "hunter2hunter2")
    assert_one_line_error(result, 2, "--password")
    assert "hunter2" not in result.stderr


def test_bad_accounts_are_refused_naming_the_problem(vigie: Run, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough secret", encoding="utf-8")
    short = tmp_path / "short"
    short.write_text("short", encoding="utf-8")
    cases = [
        (("bob", "--role", "customer"), "--customer"),
        (("bob", "--role", "customer", "--customer", "nobody"), "unknown customer"),
        (("bob", "--role", "staff", "--customer", "acme"), "--customer"),
        (("bob", "--role", "king"), "--role"),
        (("bad name", "--role", "staff"), "user name"),
    ]
    for args, words in cases:
        result = vigie("user", "add", *args, "--password-file", str(secret))
        assert_one_line_error(result, 2, words)
    result = vigie("user", "add", "bob", "--role", "staff", "--password-file", str(short))
    assert_one_line_error(result, 2, "password", "at least 8")
    result = vigie("user", "add", "bob", "--role", "staff", "--password-file", str(tmp_path / "x"))
    assert_one_line_error(result, 2, "--password-file")
    assert vigie("user", "list").stdout.strip() == "no users"


def test_tokens_are_printed_once_and_stored_as_digests(
    vigie: Run, config_file: Path, tmp_path: Path
) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough secret", encoding="utf-8")
    vigie("user", "add", "alice", "--role", "staff", "--password-file", str(secret))
    first, second = vigie("token", "add", "alice"), vigie("token", "add", "alice")
    assert first.returncode == 0 and first.stdout != second.stdout
    token = first.stdout.strip()
    assert token.startswith("vigie_") and len(token) > 40
    digests = [row[0] for row in store_rows(config_file, "SELECT digest FROM api_tokens")]
    assert len(digests) == 2 and token not in digests
    assert_one_line_error(vigie("token", "add", "nobody"), 2, "nobody")


def test_disable_ends_an_accounts_tokens(vigie: Run, config_file: Path, tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("a long enough secret", encoding="utf-8")
    vigie("user", "add", "alice", "--role", "admin", "--password-file", str(secret))
    vigie("token", "add", "alice")
    assert vigie("user", "disable", "alice").stdout.strip() == "disabled user alice"
    assert store_rows(config_file, "SELECT count(*) FROM api_tokens") == [(0,)]
    assert "disabled" in vigie("user", "list").stdout
    assert_one_line_error(vigie("token", "add", "alice"), 2, "disabled")
    assert_one_line_error(vigie("user", "disable", "nobody"), 2, "nobody")


def test_web_refuses_a_bad_listen_address(vigie: Run) -> None:
    assert_one_line_error(vigie("web", "--listen", "localhost"), 2, "--listen", "HOST:PORT")


def test_notify_imports_nothing_of_the_web(config_file: Path) -> None:
    web = ("starlette", "uvicorn", "jinja2", "argon2", "multipart", "bridge.entrypoints.web")
    loaded = imported_by_notify(config_file, "http")
    assert "bridge.entrypoints.notify" in loaded  # the measure sees our own modules
    assert not {m for m in loaded if m.split(".")[0] in web or m.startswith(web[-1])}
