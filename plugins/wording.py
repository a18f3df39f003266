"""How a check says things: one status line, plain decimal numbers, ranges, perfdata.

Domain model: the text Icinga reads. The first line of a plugin's output is the status
and its perfdata (``HTTP OK - summary | time=0.012s;1;2;0``): one line, no ``|`` in the
summary, numbers in base units and plain decimal notation (never ``1e-05``), ranges
written as the plugin guidelines write them. Text a server sent (a reason phrase, a
banner, a header) may hold anything, terminal escapes included: ``clean`` makes it safe
to print.
"""

from __future__ import annotations

import math

from plugins.nagios import Performance

TYPE_CHECKING = False  # mypy reads it as true; importing typing costs start-up time
if TYPE_CHECKING:
    from plugins.nagios import Range

# A status line is one line; an exception message may carry anything.
MAX_LINE = 400
# C0 controls, DEL and C1 controls: what a terminal or a web page may act on.
_CONTROLS = frozenset(chr(code) for code in (*range(0x20), *range(0x7F, 0xA0)))
# Unicode format characters that reorder or hide text (bidi overrides, zero-width ones).
_INVISIBLE = frozenset(
    chr(code) for code in (*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2066, 0x206A))
) | {"\ufeff"}


def clean(text: str) -> str:
    """``text`` with every control or invisible character shown as an escape (``\\x1b``).

    For whatever a server sent that a plugin prints: ESC, BEL, NUL, CR, LF and the bidi
    overrides would otherwise act on the terminal or the web page that shows the output.
    """
    if text.isprintable():
        return text
    return "".join(
        f"\\x{ord(char):02x}"
        if char in _CONTROLS
        else f"\\u{ord(char):04x}"
        if char in _INVISIBLE
        else char
        for char in text
    )


def one_line(text: object, limit: int = MAX_LINE) -> str:
    """``text`` squeezed onto one line, without the ``|`` that starts perfdata, bounded.

    Runs of white space become one space; other control characters become escapes.
    """
    flat = clean(" ".join(str(text).split()).replace("|", "/"))
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def number(value: float, digits: int = 6) -> str:
    """``value`` in plain decimal notation (never ``1e-05``): integers as they are."""
    if isinstance(value, int):
        return str(value)
    if math.isinf(value) or math.isnan(value):
        return str(value)
    return f"{value:.{digits}f}"


def bound(value: float) -> str:
    """A range boundary as short plain decimal text: ``10``, ``0.5``, ``0.000001``."""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.12f}".rstrip("0").rstrip(".")


def range_text(spec: Range | None, *, explicit_start: bool = False) -> str:
    """A Nagios range as the plugin guidelines write it, in plain decimal notation.

    ``explicit_start`` writes a start of 0 too (``@0:1`` rather than ``@1``), for prose.
    """
    if spec is None:
        return ""
    text = "@" if spec.invert else ""
    if spec.start == -math.inf:
        text += "~:"
    elif spec.start != 0 or explicit_start or spec.end == math.inf:
        # 0: (alert below zero) written as "" would read as no threshold at all.
        text += bound(spec.start) + ":"
    if spec.end != math.inf:
        text += bound(spec.end)
    return text


def range_violation(spec: Range, level: str = "") -> str:
    """Why a value breaks ``spec``: ``outside the warning range 5:10``, or for an inverted
    range (which alerts on the values it holds) ``inside the warning range @0:1``.

    nagiosplugin's ``Range.violation`` says "outside" for both forms.
    """
    where = "inside" if spec.invert else "outside"
    name = f"the {level} range" if level else "the range"
    return f"{where} {name} {range_text(spec, explicit_start=spec.invert)}"


def performance(
    label: str,
    value: float,
    uom: str = "",
    *,
    warning: Range | None = None,
    critical: Range | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    digits: int = 6,
) -> Performance:
    """One perfdata item in base units with every number in plain decimal notation."""
    return Performance(
        label,
        number(value, digits),
        uom,
        range_text(warning),
        range_text(critical),
        "" if minimum is None else bound(minimum),
        "" if maximum is None else bound(maximum),
    )


def duration(seconds: float) -> str:
    """A duration for people: ``42 s``, ``3 min 5 s``, ``2 h 10 min``, ``4 d 3 h``."""
    whole = int(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"
