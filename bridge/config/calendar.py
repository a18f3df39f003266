"""R1's business calendar as ``vigie.yaml`` sets it: its days and hours, and its public
holidays when a country is configured (computed by ``holidays``, which is imported only then:
``vigie notify`` without holidays never loads it)."""

from __future__ import annotations

from pathlib import Path

from bridge.config.model import Config
from bridge.domain.sla import BusinessCalendar


def business_calendar(config: Config, *, holiday_cache_dir: Path | None = None) -> BusinessCalendar:
    """The calendar of ``config``; ``holiday_cache_dir`` keeps computed holidays there."""
    code = config.business_hours.holidays
    if code is None:
        return BusinessCalendar(config.timezone, config.business_hours)
    from bridge.config.holidays import HolidayLookup

    return BusinessCalendar(
        config.timezone, config.business_hours, HolidayLookup(code, holiday_cache_dir)
    )
