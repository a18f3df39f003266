"""The age of a document (``-M``): Last-Modified against the server's own Date.

Domain model: how stale a page is, by the server's clock. RFC 9110 (5.6.7) defines one
preferred date form and two obsolete ones a recipient must still read; the standard
library's ``datetime.strptime`` reads each of them, and the numeric zones and short forms
servers also write. (``email.utils`` would read them too, but it loads most of the
``email`` package: tens of milliseconds on every -M run.) A two-digit year is read as
RFC 9110 asks: never more than 50 years in the future. Imported only for -M.
"""

from __future__ import annotations

import datetime
import time

from plugins.nagios import Context, Critical, Ok, Result
from plugins.wording import duration, one_line

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from plugins.nagios import Metric, Resource

# A Last-Modified this far ahead of the server's clock is an error, not clock jitter.
FUTURE_SLACK = 60.0
# After the weekday and the zone are taken off: IMF-fixdate (and without seconds),
# RFC 850 (two-digit year), and asctime, whose year comes last and whose zone is GMT.
FORMATS = ("%d %b %Y %H:%M:%S", "%d %b %Y %H:%M", "%d-%b-%y %H:%M:%S", "%b %d %H:%M:%S %Y")
# Zones that the obsolete forms of RFC 5322 name by letters, in hours from UTC.
ZONES = {
    "gmt": 0, "ut": 0, "utc": 0, "z": 0,
    "edt": -4, "est": -5, "cdt": -5, "cst": -6, "mdt": -6, "mst": -7, "pdt": -7, "pst": -8,
}  # fmt: skip


def parse_http_date(text: str) -> datetime.datetime | None:
    """The UTC time an HTTP date header names, or None when it is not a date."""
    words = text.split()
    if words and words[0].rstrip(",").isalpha():
        words = words[1:]  # the weekday, which the date itself already says
    zone: datetime.tzinfo = datetime.UTC
    if words and not words[-1].isdigit():
        last = words.pop()
        if last.lower() in ZONES:
            zone = datetime.timezone(datetime.timedelta(hours=ZONES[last.lower()]))
        else:
            try:
                # %z checks the sign, four digits and minutes under 60.
                tzinfo = datetime.datetime.strptime(last, "%z").tzinfo
            except ValueError:
                return None  # a zone nobody defines, or words after the date
            zone = tzinfo or zone
    shown = " ".join(words)
    for form in FORMATS:
        try:
            moment = datetime.datetime.strptime(shown, form)
            if "%y" in form:
                moment = moment.replace(year=_full_year(moment.year % 100))
        except ValueError:  # another form, or 31 Feb, 25:00 and the like
            continue
        return moment.replace(tzinfo=zone).astimezone(datetime.UTC)
    return None


def _full_year(two_digits: int) -> int:
    """A two-digit year as RFC 9110 reads it: never more than 50 years in the future."""
    this_year = time.gmtime().tm_year
    year = this_year - this_year % 100 + two_digits
    return year - 100 if year > this_year + 50 else year


def document_age(last_modified: str | None, date: str | None) -> float | str:
    """Seconds since Last-Modified by the server's clock, or why that cannot be told."""
    if last_modified is None:
        return "no Last-Modified header in the response (-M)"
    modified_at = parse_http_date(last_modified)
    if modified_at is None:
        return f"Last-Modified header is not a date: {one_line(repr(last_modified), 80)}"
    now = (parse_http_date(date) if date else None) or datetime.datetime.now(datetime.UTC)
    return (now - modified_at).total_seconds()


class AgeContext(Context):
    """Judges the document's age from Last-Modified (``-M``): too old or unknown is CRITICAL."""

    def __init__(self, max_age: float, spec: str) -> None:
        super().__init__("age")
        self.max_age = max_age
        self.spec = spec

    def evaluate(self, metric: Metric, resource: Resource) -> Result:
        """CRITICAL when older than -M, dated in the future, or undated."""
        age = metric.value
        if isinstance(age, str):
            return Result(Critical, age, metric)
        if age > self.max_age:
            return Result(
                Critical, f"document is {duration(age)} old, more than -M {self.spec}", metric
            )
        if age < -FUTURE_SLACK:
            return Result(Critical, f"Last-Modified is {duration(-age)} in the future", metric)
        return Result(Ok, None, metric)
