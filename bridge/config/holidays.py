"""Public holidays by country code (R1), loaded only when a date is in question.

Domain model: the offer names no holidays, but a provider may configure a country's
calendar (``business_hours.holidays: BE``), and then those days are outside business hours.
The ``holidays`` package computes them; importing it and building one country's year costs
50 to 100 ms, too much for ``vigie notify`` on every call. So the package is imported on the
first question about a business weekday, each year is computed once per process, and the
computed dates may be kept in a small file per country and year for the next processes.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bridge.config.model import ConfigError

_KEY = "business_hours.holidays"
_MISSING_PACKAGE = "needs the holidays package (pip install 'vigie[holidays]')"


def _split(code: str) -> tuple[str, str | None]:
    """``DE-BY`` is Germany's Bavaria: the country and its subdivision."""
    country, _, subdivision = code.partition("-")
    return country, subdivision or None


def _package_stamp() -> str | None:
    """Which installed ``holidays`` computed a cached year, without importing it (cheap)."""
    import importlib.util  # only once holidays are in question: notify's path stays short

    spec = importlib.util.find_spec("holidays")
    if spec is None or spec.origin is None:
        return None
    try:
        stat = os.stat(spec.origin)
    except OSError:
        return None
    # An upgrade rewrites the package, so its mtime changes and old caches are recomputed.
    return f"{spec.origin} {stat.st_mtime_ns}"


def _country_holidays(code: str, years: list[int]) -> Any:
    try:
        import holidays
    except ImportError:
        raise ConfigError([f"{_KEY}: {_MISSING_PACKAGE}"]) from None
    country, subdivision = _split(code)
    try:
        return holidays.country_holidays(country, subdiv=subdivision, years=years)
    except NotImplementedError:
        raise ConfigError([f"{_KEY}: unknown country or subdivision {code!r}"]) from None


def country_problem(code: str) -> str | None:
    """What is wrong with a holiday country code (loads the package), or None if usable."""
    try:
        _country_holidays(code, [])
    except ConfigError as exc:
        return exc.problems[0].removeprefix(f"{_KEY}: ")
    return None


@dataclass(frozen=True)
class HolidayLookup:
    """``lookup(day)``: whether ``day`` is a public holiday of the country ``code``.

    Raises ConfigError if the package is missing or the code unknown (``vigie
    check-config`` reports both beforehand). ``cache_dir``, when given, keeps each computed
    year in a file there; a cache that cannot be written is simply not kept.
    """

    code: str
    cache_dir: Path | None = None
    _years: dict[int, frozenset[date]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def __call__(self, day: date) -> bool:
        return day in self.dates(day.year)

    def dates(self, year: int) -> frozenset[date]:
        """The holidays of one year, computed at most once per process."""
        dates = self._years.get(year)
        if dates is None:
            dates = self._read_cache(year)
            if dates is None:
                dates = frozenset(_country_holidays(self.code, [year]).keys())
                self._write_cache(year, dates)
            self._years[year] = dates
        return dates

    def _cache_file(self, year: int) -> Path | None:
        if self.cache_dir is None:
            return None
        return self.cache_dir / f"holidays-{self.code}-{year}.txt"

    def _header(self, year: int) -> str | None:
        stamp = _package_stamp()
        return None if stamp is None else f"# {self.code} {year} {stamp}"

    def _read_cache(self, year: int) -> frozenset[date] | None:
        path = self._cache_file(year)
        header = self._header(year) if path is not None else None
        if path is None or header is None:
            return None
        try:
            first, *lines = path.read_text(encoding="utf-8").splitlines()
            if first != header:
                return None
            return frozenset(date.fromisoformat(line) for line in lines)
        except (OSError, ValueError):
            return None  # missing, stale or damaged: compute again

    def _write_cache(self, year: int, dates: frozenset[date]) -> None:
        path = self._cache_file(year)
        header = self._header(year) if path is not None else None
        if path is None or header is None:
            return
        text = "\n".join([header, *(day.isoformat() for day in sorted(dates))]) + "\n"
        import tempfile  # only when writing: its imports cost more than reading the cache

        try:
            # Written aside then renamed: concurrent processes never read half a file.
            fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".holidays-")
        except OSError:
            return
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                os.fchmod(handle.fileno(), 0o644)  # public dates: other users may read them
                handle.write(text)
            os.replace(temporary, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
