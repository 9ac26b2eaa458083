"""The scheduler role: APScheduler triggers that run the follow-up sweeps.

APScheduler (3.x, in-memory job store) only decides *when* this process looks for work; the
database decides *what* work is done and by whom: every sweep claims its rows with
``FOR UPDATE SKIP LOCKED`` or creates them once with ``INSERT ... ON CONFLICT DO NOTHING``
(:mod:`agents.followups`). So any number of scheduler processes may run side by side, and a
process that dies mid-sweep loses nothing its transaction did not commit.

Each sweep's trigger (cron line or period) and on/off switch come from the ``scheduler``
section of config.yaml. Sweeps get the real time as ``now``; tests call them with any time.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from agents.followups.config import SweepResult
from agents.followups.sweeps import SWEEPS
from storage import events

from .followup_settings import followup_config
from .services import Services
from .settings import ConfigError, SweepSchedule

log = logging.getLogger(__name__)
# Pushes the approval card of a new draft to staff: (org_id, suggestion_id) -> cards sent.
Notifier = Callable[[uuid.UUID, uuid.UUID], Awaitable[int]]
# APScheduler narrates every run at INFO ("Running job ...", once a minute); our own lines say
# what a sweep did, so keep its warnings and errors only.
logging.getLogger("apscheduler").setLevel(logging.WARNING)


def build_trigger(name: str, schedule: SweepSchedule, timezone: str) -> BaseTrigger:
    """The APScheduler trigger for one sweep; ConfigError names a bad entry."""
    if (schedule.cron is None) == (schedule.every_seconds is None):
        raise ConfigError(f"scheduler.sweeps.{name}: set exactly one of cron or every_seconds")
    try:
        if schedule.cron is not None:
            return CronTrigger.from_crontab(schedule.cron, timezone=timezone)
        return IntervalTrigger(seconds=schedule.every_seconds, timezone=timezone)
    except (ValueError, LookupError) as err:
        raise ConfigError(f"scheduler.sweeps.{name}: {err}") from err


class SweepScheduler:
    def __init__(
        self,
        services: Services,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        notifier: Notifier | None = None,
    ) -> None:
        self.services = services
        self.notifier = notifier
        self.settings = services.settings.scheduler
        self.config = followup_config(self.settings)
        self.clock = clock
        self.scheduler = AsyncIOScheduler(
            timezone=self.settings.timezone,
            # A run missed while the process was busy or down happens once, not N times.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        )
        self._running: set[asyncio.Task[Any]] = set()
        self._add_jobs()

    def _add_jobs(self) -> None:
        unknown = sorted(set(self.settings.sweeps) - set(SWEEPS))
        if unknown:
            raise ConfigError(
                f"scheduler.sweeps: unknown sweep(s) {', '.join(unknown)}; "
                f"known: {', '.join(SWEEPS)}"
            )
        for name, schedule in self.settings.sweeps.items():
            trigger = build_trigger(name, schedule, self.settings.timezone)
            if schedule.enabled:
                self.scheduler.add_job(self.run_sweep, trigger, args=[name], id=name, name=name)

    async def run(self, stop: asyncio.Event) -> None:
        """Start the triggers, wait for ``stop``, then stop them and let running sweeps end."""
        if not self.settings.enabled:
            log.info("scheduler disabled (scheduler.enabled: false)")
            await stop.wait()
            return
        self.scheduler.start()
        log.info(
            "scheduler started: %s",
            ", ".join(f"{job.id} ({job.trigger})" for job in self.scheduler.get_jobs()) or "none",
        )
        try:
            await stop.wait()
        finally:
            self.scheduler.shutdown(wait=False)
            if self._running:
                await asyncio.wait(
                    self._running, timeout=self.services.settings.server.shutdown_timeout
                )
            log.info("scheduler stopped")

    async def run_sweep(self, name: str) -> SweepResult | None:
        """Run one sweep now (what a trigger calls); failures are logged, never raised."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        sweep = SWEEPS[name]
        kwargs: dict[str, Any] = {"vectors": self.services.vectors} if sweep.uses_vectors else {}
        try:
            async with self.services.pool.acquire() as conn:
                result = await sweep.run(conn, self.clock(), self.config, **kwargs)
        except Exception:  # noqa: BLE001 - the next trigger retries; the scheduler keeps going
            log.exception("sweep %s failed", name)
            return None
        finally:
            if task is not None:
                self._running.discard(task)
        if result.counts:
            log.info("sweep %s: %s", name, result.counts)
        await self._announce(result)
        return result

    async def _announce(self, result: SweepResult) -> None:
        """Tell the approval loop about new follow-up drafts (after their commit): an event on
        the org's channel (the web inbox) and approval cards to staff (Telegram)."""
        for org_id, suggestion_id, conversation_id in result.suggestions:
            if self.notifier is not None:
                try:
                    await self.notifier(org_id, suggestion_id)
                except Exception:  # noqa: BLE001 - the draft is stored; the inbox shows it
                    log.exception("could not push the card of follow-up %s", suggestion_id)
            event = {
                "type": "suggestion.created",
                "suggestion_id": str(suggestion_id),
                "conversation_id": str(conversation_id),
                "action": "queue",
                "kind": "followup",
            }
            await events.publish(self.services.redis, self.services.keys, org_id, event)
