"""When a proactive message may be planned: outside the customer's local quiet hours."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# A customer's zone when only their country is known (customer add --country, a CRM
# import): the country's zone, or for a country spanning several its most populous one —
# closer to their day than the merchant's zone, which may be half a world away.
COUNTRY_ZONES = {
    "CN": "Asia/Shanghai", "HK": "Asia/Hong_Kong", "MO": "Asia/Macau", "TW": "Asia/Taipei",
    "JP": "Asia/Tokyo", "KR": "Asia/Seoul", "IN": "Asia/Kolkata", "PK": "Asia/Karachi",
    "BD": "Asia/Dhaka", "SG": "Asia/Singapore", "MY": "Asia/Kuala_Lumpur",
    "TH": "Asia/Bangkok", "VN": "Asia/Ho_Chi_Minh", "ID": "Asia/Jakarta", "PH": "Asia/Manila",
    "AE": "Asia/Dubai", "SA": "Asia/Riyadh", "QA": "Asia/Qatar", "IL": "Asia/Jerusalem",
    "TR": "Europe/Istanbul", "RU": "Europe/Moscow", "UA": "Europe/Kyiv",
    "GB": "Europe/London", "IE": "Europe/Dublin", "PT": "Europe/Lisbon", "ES": "Europe/Madrid",
    "FR": "Europe/Paris", "BE": "Europe/Brussels", "NL": "Europe/Amsterdam",
    "DE": "Europe/Berlin", "CH": "Europe/Zurich", "AT": "Europe/Vienna", "IT": "Europe/Rome",
    "PL": "Europe/Warsaw", "CZ": "Europe/Prague", "SE": "Europe/Stockholm",
    "NO": "Europe/Oslo", "DK": "Europe/Copenhagen", "FI": "Europe/Helsinki",
    "GR": "Europe/Athens", "RO": "Europe/Bucharest", "HU": "Europe/Budapest",
    "US": "America/New_York", "CA": "America/Toronto", "MX": "America/Mexico_City",
    "GT": "America/Guatemala", "CR": "America/Costa_Rica", "PA": "America/Panama",
    "CO": "America/Bogota", "VE": "America/Caracas", "EC": "America/Guayaquil",
    "PE": "America/Lima", "BO": "America/La_Paz", "CL": "America/Santiago",
    "AR": "America/Argentina/Buenos_Aires", "UY": "America/Montevideo",
    "PY": "America/Asuncion", "BR": "America/Sao_Paulo", "DO": "America/Santo_Domingo",
    "AU": "Australia/Sydney", "NZ": "Pacific/Auckland", "ZA": "Africa/Johannesburg",
    "NG": "Africa/Lagos", "KE": "Africa/Nairobi", "EG": "Africa/Cairo", "MA": "Africa/Casablanca",
}  # fmt: skip


def country_zone(country: str | None) -> str | None:
    """The IANA zone for an ISO 3166 country code, or None when we don't know it."""
    return COUNTRY_ZONES.get((country or "").strip().upper())


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
