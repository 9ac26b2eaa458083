"""A content request, and what came of it: the stored variants with their checks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from .checks import Violation
from .models import Variant


@dataclass
class ContentRequest:
    kind: str
    sku: str
    platform: str
    language: str
    market: str | None = None
    n: int | None = None
    seed: int | None = None
    seconds: int | None = None
    source: str = "cli"
    user_id: uuid.UUID | None = None


@dataclass
class Shown:
    """One stored variant with its checks: what the CLI prints and the bot shows."""

    id: uuid.UUID
    table: str
    variant: Variant
    status: str
    rank: int | None
    violations: list[Violation] = field(default_factory=list)
    resolution: str | None = None

    def as_dict(self) -> dict[str, Any]:
        v = self.variant
        data: dict[str, Any] = {
            "id": str(self.id),
            "kind": v.kind,
            "rank": self.rank,
            "status": self.status,
            "score": v.score,
            "text": v.text,
            "violations": [
                {
                    "kind": x.kind,
                    "rule": x.rule_code,
                    "severity": x.severity,
                    "message": x.message,
                    "matched": x.matched_text,
                }
                for x in self.violations
            ],
        }
        if v.kind == "hook":
            data |= {
                "hook_type": v.hook_type,
                "emotion": v.emotion,
                "length_category": v.length_category,
            }
        else:
            data |= {"call_to_action": v.call_to_action, "hashtags": v.hashtags}
        if v.kind == "script":
            data |= {
                "title": v.title,
                "narrative_template": v.narrative_template,
                "duration_seconds": float(v.duration_seconds or 0),
                "scenes": [
                    {
                        "purpose": s.purpose,
                        "duration_seconds": float(s.duration_seconds),
                        "visual": s.visual,
                        "on_screen_text": s.on_screen_text,
                        "voiceover": s.voiceover,
                    }
                    for s in v.scenes
                ],
            }
        return data


@dataclass
class Outcome:
    request_id: uuid.UUID
    kind: str
    engine: str
    seed: int
    platform: str
    language: str
    market: str | None
    variants: list[Shown]
    notes: list[str] = field(default_factory=list)

    @property
    def shown(self) -> list[Shown]:
        return [s for s in self.variants if s.status != "blocked"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "request_id": str(self.request_id),
            "kind": self.kind,
            "engine": self.engine,
            "seed": self.seed,
            "platform": self.platform,
            "language": self.language,
            "market": self.market,
            "notes": self.notes,
            "variants": [s.as_dict() for s in self.variants],
        }
