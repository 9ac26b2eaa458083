"""The follow-up settings the sweeps and the staff commands share, built from config.

Kept apart from :mod:`bot.scheduler` so that web processes, which run ``/remind`` but no
scheduler, don't import APScheduler and every sweep just to plan one reminder.
"""

from __future__ import annotations

from agents.followups.config import FollowupConfig
from channels.registry import adapter_class, platforms

from .settings import SchedulerSettings


def service_window_hours() -> dict[str, int | None]:
    """Each platform's customer-service window, from its adapter's capabilities."""
    return {p: adapter_class(p).capabilities.service_window_hours for p in platforms()}


def template_platforms() -> frozenset[str]:
    """The platforms whose adapters can send approved templates."""
    return frozenset(p for p in platforms() if adapter_class(p).capabilities.templates)


def followup_config(settings: SchedulerSettings) -> FollowupConfig:
    return FollowupConfig(
        service_window_hours=service_window_hours(),
        template_platforms=template_platforms(),
        silent_days=settings.silent_days,
        quiet_start=settings.quiet_hours.start,
        quiet_end=settings.quiet_hours.end,
        quote_reminder_days=settings.quote_reminder_days,
        batch_size=settings.batch_size,
    )
