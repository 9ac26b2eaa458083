"""When a proactive message may be planned: outside the customer's local quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(*names: str | None) -> ZoneInfo:
    """The first valid IANA zone among ``names`` (customer's, then the org's), else UTC."""
    for name in names:
        if name:
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                continue
    return ZoneInfo("UTC")


def is_quiet(local: datetime, start: int, end: int) -> bool:
    hour = local.hour
    if start == end:
        return False
    if start > end:  # wraps midnight: 21:00-09:00
        return hour >= start or hour < end
    return start <= hour < end


def next_allowed(now: datetime, tz: ZoneInfo, start: int = 21, end: int = 9) -> datetime:
    """``now`` if it is outside quiet hours in ``tz``, else the end of the quiet period
    (``end``:00 local), as an aware datetime."""
    if now.tzinfo is None:
        raise ValueError("next_allowed needs a timezone-aware datetime")
    local = now.astimezone(tz)
    if not is_quiet(local, start, end):
        return now
    day = local.date()
    if start > end and local.hour >= start:
        day += timedelta(days=1)  # evening: wake up tomorrow morning
    wake = datetime.combine(day, time(end), tzinfo=tz)
    return wake.astimezone(now.tzinfo)
