"""Finding and reading ``vigie.yaml``: the file's path, its cache, the YAML parser on a miss."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from bridge.config.model import DEFAULT_CONFIG_PATH, Config, ConfigError

# A vigie.yaml for hundreds of customers is some 100 kB; past this, it is not one.
MAX_CONFIG_BYTES = 1_000_000


def config_path(cli_value: str | None) -> Path:
    """The configuration file: ``--config``, else ``VIGIE_CONFIG``, else the default."""
    if cli_value:
        return Path(cli_value)
    from_env = os.environ.get("VIGIE_CONFIG")
    if from_env:
        return Path(from_env)
    return DEFAULT_CONFIG_PATH


def load_config(path: Path | str, *, check_holidays: bool = False, cache: bool = True) -> Config:
    """Read and validate ``vigie.yaml``; raise ConfigError listing every problem.

    ``check_holidays`` also loads the holiday calendar to check its country code (slow:
    for ``vigie check-config``, not for ``vigie notify``). With ``cache``, a configuration
    already validated and unchanged since is read back from the user's cache (see
    ``config_cache``), which spares ``vigie notify`` the YAML parser.
    """
    path = Path(path)
    if cache and not check_holidays:
        from bridge.config import cache as config_cache

        cached = config_cache.read(path)
        if isinstance(cached, Config):
            return cached
        config = load_config(path, cache=False)
        config_cache.write(path, config)
        return config
    source = str(path)
    try:
        text = read_file(path)
    except FileNotFoundError:
        raise ConfigError([f"{source}: no such file"], source) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{source}: not UTF-8 text (byte {exc.start})"], source) from None
    except OSError as exc:
        raise ConfigError([f"{source}: cannot read it ({exc.strerror})"], source) from None
    except ValueError as exc:
        raise ConfigError([f"{source}: {exc}"], source) from None
    data = parse_yaml(text, source)
    # Validation is only needed on a cache miss: `vigie notify` skips importing it.
    from bridge.config.sections import parse_config

    config = parse_config(
        data, source, base_dir=path.absolute().parent, check_holidays=check_holidays
    )
    return dataclasses.replace(config, source=path)


def read_file(path: Path) -> str:
    """The file's text; ValueError when it is not a regular file or larger than a
    configuration can be (a pipe would hang the reader, a huge file eat its memory)."""
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, "rb") as handle:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise ValueError("not a regular file")
        if status.st_size > MAX_CONFIG_BYTES:
            size = status.st_size / 1_000_000
            limit = MAX_CONFIG_BYTES / 1_000_000
            raise ValueError(f"{size:.1f} MB, more than the {limit:g} MB a configuration may be")
        data = handle.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:  # it grew while being read
        raise ValueError(
            f"more than the {MAX_CONFIG_BYTES / 1_000_000:g} MB a configuration may be"
        )
    return data.decode("utf-8")


def parse_yaml(text: str, source: str) -> object:
    """Parse YAML text strictly; a syntax error becomes a ConfigError naming its line."""
    from bridge.config.yaml_reader import read_yaml  # yaml costs ~20 ms to import: only on a miss

    return read_yaml(text, source)
