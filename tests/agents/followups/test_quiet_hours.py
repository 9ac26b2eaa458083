"""Quiet hours by the customer's time zone, and the org's own override."""

from __future__ import annotations

from datetime import UTC, datetime

from agents.followups.quiet_hours import is_quiet, next_allowed, zone

from .helpers import CONFIG


def test_evening_and_early_morning_move_to_the_morning():
    madrid = zone("Europe/Madrid")  # UTC+1 in March
    evening = datetime(2026, 3, 4, 21, 30, tzinfo=UTC)  # 22:30 in Madrid
    early = datetime(2026, 3, 5, 5, 0, tzinfo=UTC)  # 06:00 in Madrid
    morning = datetime(2026, 3, 5, 8, 0, tzinfo=UTC)  # 09:00 in Madrid
    assert next_allowed(evening, madrid) == morning
    assert next_allowed(early, madrid) == morning
    assert next_allowed(morning, madrid) == morning
    noon = datetime(2026, 3, 5, 11, 0, tzinfo=UTC)
    assert next_allowed(noon, madrid) == noon


def test_a_bad_or_missing_zone_falls_back_to_the_next_one_then_utc():
    assert zone("Not/AZone", "Asia/Shanghai").key == "Asia/Shanghai"
    assert zone(None, "").key == "UTC"


def test_org_settings_override_the_configured_quiet_hours():
    assert CONFIG.quiet_hours_for({}) == (21, 9)
    assert CONFIG.quiet_hours_for({"quiet_hours": {"start": 20, "end": 8}}) == (20, 8)
    assert CONFIG.quiet_hours_for({"quiet_hours": {"start": 99, "end": 8}}) == (21, 9)
    # A lunch break (not wrapping midnight) works too.
    assert is_quiet(datetime(2026, 3, 4, 12, 30, tzinfo=UTC), 12, 14)
    assert next_allowed(datetime(2026, 3, 4, 12, 30, tzinfo=UTC), zone("UTC"), 12, 14) == (
        datetime(2026, 3, 4, 14, 0, tzinfo=UTC)
    )
