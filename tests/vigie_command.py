"""Running the installed ``vigie`` command: a vigie.yaml in a temporary folder, the command's
arguments and environment, and checks of what it printed. The fixtures here are shared by
the conftest files that need them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
VIGIE = str(Path(sys.executable).with_name("vigie"))

Run = Callable[..., subprocess.CompletedProcess[str]]


def write_config(folder: Path, **changes: Any) -> Path:
    """The example configuration with its store in ``folder``, plus ``changes`` at top level."""
    data = yaml.safe_load((ROOT / "examples" / "vigie.yaml").read_text(encoding="utf-8"))
    data["store"] = {"path": str(folder / "vigie.db")}
    data.pop("icinga", None)
    data.update(changes)
    path = folder / "vigie.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def notify_args(**options: str) -> list[str]:
    """``notify`` and its options: ``notification_number="2"`` is ``--notification-number 2``."""
    args = ["notify"]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", value]
    return args


def clean_env(**extra: str) -> dict[str, str]:
    """The environment of a child ``vigie``: no VIGIE_* leaking in from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIE_")}
    env.update(extra)
    return env


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """The example configuration, its store in the test's temporary folder."""
    return write_config(tmp_path)


@pytest.fixture
def vigie(config_file: Path) -> Run:
    """Run the installed ``vigie`` command against the temporary configuration."""
    cache = str(config_file.parent / "cache")  # the validated-config cache, per test

    def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [VIGIE, "--config", str(config_file), *args],
            capture_output=True,
            text=True,
            env=clean_env(XDG_CACHE_HOME=cache, **(env or {})),
            timeout=60,
            check=False,
        )

    return run


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_one_line_error(result: subprocess.CompletedProcess[str], code: int, *words: str) -> None:
    """A clean refusal: the exit code, one line on stderr naming the problem, no traceback."""
    assert result.returncode == code, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for word in words:
        assert word in lines[0], lines[0]
