"""Where a request's candidates come from, and which of them are kept.

The LLM (one batch, plus one regeneration batch told what was wrong) with the offline
templates behind it, or the offline templates alone. The first n candidates fill the
request's slots; a blocked one is replaced once by the next candidate, and a replacement
that is blocked too leaves its slot empty, with the reason stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

from . import offline
from .checks import Violation, check
from .models import Facts, Variant
from .outcome import ContentRequest
from .platforms import Platform

if TYPE_CHECKING:
    from .studio import Audience, Studio

log = logging.getLogger(__name__)

OFFLINE_PROMPT = "content_offline"
LLM_PROMPTS = ("content_hooks", "content_caption", "content_script")
Picked = tuple[Variant, str, list[Violation], str | None, str]


def status_for(violations: list[Violation]) -> str:
    if any(v.blocks for v in violations):
        return "blocked"
    return "flagged" if violations else "draft"


class Source:
    """Where candidates come from: the LLM (one batch, plus one regeneration batch) with the
    offline templates behind it, or the offline templates alone."""

    def __init__(
        self,
        studio: Studio,
        org_id: uuid.UUID,
        req: ContentRequest,
        facts: Facts,
        plat: Platform,
        language: str,
        seed: int,
        examples: list[str],
        notes: list[str],
    ) -> None:
        self.studio, self.org_id, self.req, self.facts = studio, org_id, req, facts
        self.plat, self.language, self.seed, self.examples = plat, language, seed, examples
        self.notes = notes
        self.engine = "offline"
        self.versions: set[str] = set()
        self._offline: Iterator[Variant] | None = None

    def _next_offline(self) -> Variant | None:
        if self._offline is None:
            make = {"hook": offline.hooks, "caption": offline.captions, "script": offline.scripts}
            args = (self.facts, self.plat, self.language, self.seed)
            self._offline = (
                offline.scripts(*args, self.req.seconds)
                if self.req.kind == "script"
                else make[self.req.kind](*args)
            )
        return next(self._offline, None)

    async def _llm(self, count: int, feedback: list[str]) -> list[Variant] | None:
        from agents.errors import LLMUnavailable

        llm = self.studio.llm
        if llm is None or not llm.available:
            return None
        try:
            variants, _version = await llm.generate(
                self.org_id,
                self.req.kind,
                self.facts,
                self.plat,
                self.language,
                count,
                seconds=min(
                    self.req.seconds or self.plat.default_video_seconds, self.plat.video_max_seconds
                ),
                examples=self.examples,
                feedback=feedback,
            )
        except LLMUnavailable as err:
            log.warning("org=%s content llm unavailable (%s): offline engine", self.org_id, err)
            self.notes.append(f"LLM unavailable ({err}): offline templates used")
            return None
        from .llm import PROMPTS

        self.versions.add(PROMPTS[self.req.kind])
        self.engine = "llm"
        for v in variants:
            v.template = PROMPTS[self.req.kind]
        return variants

    async def pick(self, n: int, audience: Audience) -> list[Picked]:
        """(variant, status, violations, resolution, prompt name) for every candidate kept —
        the n shown ones and the blocked ones they replaced."""
        first = await self._llm(n, [])
        queue = list(first or [])
        llm_regenerated = False
        picked: list[Picked] = []
        filled = 0  # slots done: shown, or blocked twice
        owed = 0  # blocked slots whose one regeneration is still to come
        drawn = 0
        seen: set[str] = set()
        while filled < n:
            if not queue and first is not None and not llm_regenerated and owed:
                # One more model call for the blocked slots, told what was wrong.
                llm_regenerated = True
                feedback = [f"{x.message} ({x.matched_text})" for p in picked for x in p[2]]
                queue.extend(await self._llm(owed, feedback) or [])
            if queue:
                candidate = queue.pop(0)
            else:
                candidate = self._next_offline()
                if candidate is None:
                    break
                self.versions.add(OFFLINE_PROMPT)
            prompt = candidate.template if candidate.template in LLM_PROMPTS else OFFLINE_PROMPT
            # Durations count: a script resent with shorter scenes is a real fix.
            key = candidate.full_text() + repr([s.duration_seconds for s in candidate.scenes])
            if key in seen:
                continue
            seen.add(key)
            # The first n candidates fill the slots; later ones replace blocked ones.
            replacement = drawn >= n
            drawn += 1
            owed -= 1 if replacement else 0
            candidate = self.studio.market_adapt(candidate, audience)
            violations = check(candidate, audience.checks)
            status = status_for(violations)
            if status == "blocked" and not replacement:
                picked.append((candidate, status, violations, "regenerated", prompt))
                owed += 1
                continue
            resolution = "blocked" if status == "blocked" else ("shown" if violations else None)
            # A replacement that fails too leaves its slot empty, with the reason stored.
            picked.append((candidate, status, violations, resolution, prompt))
            filled += 1
        # Candidates ran out before every blocked slot got its replacement: those were not
        # regenerated after all, just blocked.
        unreplaced = (
            [i for i, p in enumerate(picked) if p[3] == "regenerated"][-owed:] if owed > 0 else []
        )
        for i in unreplaced:
            picked[i] = (*picked[i][:3], "blocked", picked[i][4])
        if self.engine == "llm" and OFFLINE_PROMPT in self.versions:
            self.engine = "llm+offline"
        return picked
