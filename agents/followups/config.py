"""What the sweeps need to know, independent of how the process was configured."""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class FollowupConfig:
    # Days without an inbound message before a lead/negotiating customer is chased
    # (an org's settings "followup_days" override it).
    silent_days: int = 3
    # Local hours (customer time zone) in which no proactive message is planned:
    # from quiet_start until quiet_end the next morning. Org settings "quiet_hours"
    # ({"start": 21, "end": 9}) override them.
    quiet_start: int = 21
    quiet_end: int = 9
    # A sent quote gets its reminder this many days before its last valid day.
    quote_reminder_days: int = 2
    # Rows one sweep transaction handles at most (the next run takes the rest).
    batch_size: int = 100
    # Hours after the customer's last message during which free text may be sent, per
    # platform (None: no such window). Filled by the composition root from the channel
    # adapters' capabilities; a platform missing here counts as a closed window.
    service_window_hours: Mapping[str, int | None] = field(default_factory=dict)
    # Platforms whose channels can send the merchant's approved templates (WhatsApp), from
    # the adapters' capabilities too; elsewhere a closed window waits for the customer.
    template_platforms: frozenset[str] = frozenset()
    # Who claimed a row (followups.claimed_by), for operators.
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}")

    def quiet_hours_for(self, org_settings: Mapping[str, Any]) -> tuple[int, int]:
        value = org_settings.get("quiet_hours")
        if isinstance(value, Mapping):
            try:
                start, end = int(value["start"]), int(value["end"])
                if 0 <= start <= 23 and 0 <= end <= 23:
                    return start, end
            except (KeyError, TypeError, ValueError):
                pass
        return self.quiet_start, self.quiet_end


@dataclass
class SweepResult:
    """What one sweep run did: counts by outcome, and the drafts to announce after commit."""

    counts: dict[str, int] = field(default_factory=dict)
    suggestions: list[tuple[Any, Any, Any]] = field(default_factory=list)  # (org, sugg, conv)

    def add(self, key: str, n: int = 1) -> None:
        self.counts[key] = self.counts.get(key, 0) + n
