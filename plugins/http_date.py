"""HTTP dates (Date, Last-Modified), read the way RFC 9110 asks a recipient to read them.

Domain model: a point in time as a server writes it in a header. Section 5.6.7 of RFC 9110
defines one preferred form and two obsolete ones that a recipient must still accept::

    Sun, 06 Nov 1994 08:49:37 GMT     IMF-fixdate (what servers send today)
    Sunday, 06-Nov-94 08:49:37 GMT    obsolete RFC 850 form, two-digit year
    Sun Nov  6 08:49:37 1994          ANSI C asctime() form, no zone: GMT

Servers in the wild also write numeric zones (``+0100``) and leave out the weekday; those
are read too. Anything else is not a date. This replaces ``email.utils``, whose import
pulls in most of the ``email`` package: start-up time is part of every check's cost.
"""

from __future__ import annotations

import datetime
import re
import time

MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# Zones that the obsolete forms of RFC 5322 name by letters, in hours from UTC.
ZONES = {
    "gmt": 0, "ut": 0, "utc": 0, "z": 0,
    "edt": -4, "est": -5, "cdt": -5, "cst": -6, "mdt": -6, "mst": -7, "pdt": -7, "pst": -8,
}  # fmt: skip
_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?::(?P<second>\d{2}))?"
_ZONE = r"(?P<zone>[A-Za-z]{1,3}|[+-]\d{4})"
# IMF-fixdate and RFC 850 (and their lenient cousins): [weekday,] day month year time zone
DAY_FIRST = re.compile(
    r"(?:[A-Za-z]+,?\s*)?(?P<day>\d{1,2})(?:\s+|-)(?P<month>[A-Za-z]{3})[A-Za-z]*(?:\s+|-)"
    rf"(?P<year>\d{{2}}|\d{{4}})\s+{_TIME}(?:\s*{_ZONE})?"
)
# asctime(): weekday month day time year, always GMT
ASCTIME = re.compile(
    rf"[A-Za-z]+\s+(?P<month>[A-Za-z]{{3}})\s+(?P<day>\d{{1,2}})\s+{_TIME}\s+(?P<year>\d{{4}})"
)


def parse_http_date(text: str) -> datetime.datetime | None:
    """The UTC time an HTTP date header names, or None when it is not a date."""
    text = text.strip()
    match = DAY_FIRST.fullmatch(text) or ASCTIME.fullmatch(text)
    if match is None:
        return None
    fields = match.groupdict()
    month = MONTHS.get(fields["month"].lower())
    offset = _zone_offset(fields.get("zone"))
    if month is None or offset is None:
        return None
    year = int(fields["year"])
    if len(fields["year"]) == 2:
        year = _full_year(year)
    try:
        moment = datetime.datetime(
            year,
            month,
            int(fields["day"]),
            int(fields["hour"]),
            int(fields["minute"]),
            int(fields["second"] or 0),
            tzinfo=datetime.UTC,
        )
    except ValueError:  # 31 Feb, 25:00 and the like
        return None
    return moment - datetime.timedelta(seconds=offset)


def _zone_offset(zone: str | None) -> int | None:
    """Seconds east of UTC for a zone as written; None for a zone nobody defines."""
    if zone is None:
        return 0
    if zone[0] in "+-":
        hours, minutes = int(zone[1:3]), int(zone[3:5])
        if minutes > 59:
            return None
        sign = -1 if zone[0] == "-" else 1
        return sign * (hours * 3600 + minutes * 60)
    named = ZONES.get(zone.lower())
    return None if named is None else named * 3600


def _full_year(two_digits: int) -> int:
    """A two-digit year as RFC 9110 reads it: never more than 50 years in the future."""
    this_year = time.gmtime().tm_year
    year = this_year - this_year % 100 + two_digits
    return year - 100 if year > this_year + 50 else year
