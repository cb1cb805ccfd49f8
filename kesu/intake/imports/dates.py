"""Dates as exports write them: ISO, 2026/9/30, 2026年9月30日, 下午 3:05, serials."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

# Excel's day 0 (its 1900 date system, with the 1900 leap-year bug folded in).
EXCEL_EPOCH = dt.datetime(1899, 12, 30)  # noqa: DTZ001 - a naive calendar origin
# Serials outside 1954-2119 are far more likely amounts or ids than dates.
EXCEL_SERIALS = (20000, 80000)

_PATTERN = re.compile(
    r"^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:\s*(?P<ampm>AM|PM)?\s*(?P<H>\d{1,2}):(?P<M>\d{1,2})(?::(?P<S>\d{1,2}))?"
    r"(?:\.\d+)?\s*(?P<ampm2>AM|PM)?)?"
    r"\s*(?P<tz>Z|[+-]\d{2}:?\d{2})?$"
)
_COMPACT = re.compile(r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$")
_REPLACE = (
    ("年", "-"),
    ("月", "-"),
    ("日", " "),
    ("号", " "),
    ("时", ":"),
    ("点", ":"),
    ("分", ":"),
    ("秒", ""),
    ("上午", " AM "),
    ("下午", " PM "),
    ("/", "-"),
    ("T", " "),
)


class DateError(ValueError):
    """The value is not a date or time this module can read."""


def parse_datetime(value: object, zone: ZoneInfo) -> dt.datetime | None:
    """An aware datetime from a cell; naive values are local time in `zone`."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=zone)
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time(), tzinfo=zone)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _from_serial(float(value)).replace(tzinfo=zone)
    return _from_text(str(value), zone)


def parse_date(value: object, zone: ZoneInfo) -> dt.date | None:
    """The calendar date of a cell (a time of day, if any, is dropped)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    moment = parse_datetime(value, zone)
    return moment.astimezone(zone).date() if moment else None


def _from_serial(serial: float) -> dt.datetime:
    if not EXCEL_SERIALS[0] <= serial <= EXCEL_SERIALS[1]:
        raise DateError(serial)
    return EXCEL_EPOCH + dt.timedelta(days=serial)


def _from_text(raw: str, zone: ZoneInfo) -> dt.datetime:
    text = unicodedata.normalize("NFKC", raw).strip()
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _from_serial(float(text)).replace(tzinfo=zone)
    if compact := _COMPACT.match(text):
        return _build(compact.groupdict(), zone)
    text = re.sub(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", r"\1-\2-\3", text)
    for old, new in _REPLACE:
        text = text.replace(old, new)
    text = re.sub(r"\s+", " ", text).strip().rstrip(":-").strip()
    text = re.sub(r"(\d):(?=\s|$)", r"\1", text)  # "9时30分" leaves "9:30:"
    match = _PATTERN.match(text.upper())
    if match is None:
        raise DateError(raw)
    return _build(match.groupdict(), zone)


def _build(parts: dict[str, str | None], zone: ZoneInfo) -> dt.datetime:
    hour = int(parts.get("H") or 0)
    ampm = parts.get("ampm") or parts.get("ampm2")
    if ampm == "PM" and hour < 12:
        hour += 12
    elif ampm == "AM" and hour == 12:
        hour = 0
    try:
        moment = dt.datetime(  # noqa: DTZ001 - the zone is attached just below
            int(parts["y"] or 0),
            int(parts["m"] or 0),
            int(parts["d"] or 0),
            hour,
            int(parts.get("M") or 0),
            int(parts.get("S") or 0),
        )
    except ValueError as error:
        raise DateError(str(error)) from None
    offset = parts.get("tz")
    if not offset:
        return moment.replace(tzinfo=zone)
    if offset == "Z":
        return moment.replace(tzinfo=dt.UTC)
    sign = 1 if offset[0] == "+" else -1
    digits = offset[1:].replace(":", "")
    delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
    return moment.replace(tzinfo=dt.timezone(sign * delta))
