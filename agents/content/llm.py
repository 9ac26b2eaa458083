"""The LLM engine: hooks, captions and scripts through the gateway's structured output.

The gateway does the cache, budget, timeout and usage accounting, and raises
``LLMUnavailable`` on any failure, which makes the studio use the offline engine. What the
model writes is *not* trusted: every variant goes through the same checks as offline ones
(a made-up price or a "guaranteed" is caught there).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from .models import EMOTIONS, Facts, Scene, Variant, length_category
from .platforms import Platform

PROMPTS = {"hook": "content_hooks", "caption": "content_caption", "script": "content_script"}


class LLMEngine:
    """Wraps an ``agents.llm.LLMGateway`` (anything with ``available`` and ``run``)."""

    name = "llm"

    def __init__(self, gateway: Any, shop_name: str) -> None:
        self.gateway = gateway
        self.shop_name = shop_name

    @property
    def available(self) -> bool:
        return bool(getattr(self.gateway, "available", False))

    async def generate(
        self,
        org_id: uuid.UUID,
        kind: str,
        facts: Facts,
        platform: Platform,
        language: str,
        count: int,
        *,
        seconds: int | None = None,
        examples: Sequence[str] = (),
        feedback: Sequence[str] = (),
        request_id: uuid.UUID | None = None,
    ) -> tuple[list[Variant], str]:
        """(variants best first, prompt version); raises ``LLMUnavailable``."""
        from .schemas import CaptionsOut, HooksOut, ScriptsOut  # langchain-free, but lazy

        variables: dict[str, object] = {
            "shop_name": self.shop_name,
            "platform": platform.name,
            "language": language,
            "count": str(count),
            "product": json.dumps(facts.as_prompt_data(), ensure_ascii=False, indent=1),
            "examples": "\n---\n".join(examples),
            "feedback": "\n".join(feedback),
        }
        schema: type
        if kind == "hook":
            schema = HooksOut
            variables["max_chars"] = str(platform.hook_max_chars)
        elif kind == "caption":
            schema = CaptionsOut
            variables["max_chars"] = str(platform.caption_max_chars)
            variables["max_hashtags"] = str(platform.max_hashtags)
            variables["hashtags_target"] = str(platform.hashtags_target)
        else:
            schema = ScriptsOut
            variables["seconds"] = str(seconds or platform.default_video_seconds)
        result = await self.gateway.run(
            org_id,
            PROMPTS[kind],
            variables,
            purpose="content",
            schema=schema,
            entity_type="content_request" if request_id else None,
            entity_id=request_id,
        )
        return _variants(kind, result.value, language), result.prompt_version


def _variants(kind: str, out: Any, language: str) -> list[Variant]:
    found: list[Variant] = []
    if kind == "hook":
        for h in out.hooks:
            found.append(
                Variant(
                    kind="hook",
                    text=h.text.strip(),
                    template="llm",
                    hook_type=h.hook_type,
                    emotion=h.emotion or EMOTIONS[h.hook_type],
                    length_category=length_category(h.text, language),
                )
            )
    elif kind == "caption":
        for c in out.captions:
            tags = [t if t.startswith("#") else f"#{t}" for t in (x.strip() for x in c.hashtags)]
            found.append(
                Variant(
                    kind="caption",
                    text=c.body.strip(),
                    template="llm",
                    call_to_action=c.call_to_action.strip(),
                    hashtags=[t for t in tags if len(t) > 1],
                )
            )
    else:
        for s in out.scripts:
            scenes = [
                Scene(
                    sc.purpose,
                    Decimal(str(sc.duration_seconds)).quantize(Decimal("0.01")),
                    sc.visual,
                    sc.on_screen_text,
                    sc.voiceover,
                )
                for sc in s.scenes
                if sc.duration_seconds > 0
            ]
            found.append(
                Variant(
                    kind="script",
                    text="\n".join(sc.voiceover for sc in scenes if sc.voiceover),
                    template="llm",
                    title=s.title.strip(),
                    narrative_template=s.narrative_template,
                    scenes=scenes,
                )
            )
    # The model ranks best first; scores keep that order through the studio's ranking.
    for i, variant in enumerate(found):
        variant.score = round(1.0 - 0.01 * i, 3)
    return [v for v in found if v.text]


async def localize(
    engine: LLMEngine,
    org_id: uuid.UUID,
    variant: Variant,
    *,
    language: str,
    market: str,
    formality: str,
    emoji_density: str,
    glossary: Sequence[dict[str, Any]],
) -> Variant:
    """The variant translated and adapted by the model; raises ``LLMUnavailable``.

    Numbers, units, prices and glossary terms are fixed afterwards by our own code."""
    from dataclasses import replace

    from .schemas import LocalizedOut

    piece = {
        "title": variant.title,
        "body": variant.text,
        "call_to_action": variant.call_to_action,
        "hashtags": variant.hashtags,
        "scenes": [
            {"visual": s.visual, "on_screen_text": s.on_screen_text, "voiceover": s.voiceover}
            for s in variant.scenes
        ],
    }
    result = await engine.gateway.run(
        org_id,
        "content_localize",
        {
            "language": language,
            "market": market,
            "formality": formality,
            "emoji_density": emoji_density,
            "glossary": json.dumps(list(glossary), ensure_ascii=False, indent=1),
            "piece": json.dumps(piece, ensure_ascii=False, indent=1),
        },
        purpose="content",
        schema=LocalizedOut,
    )
    out = result.value
    scenes = list(variant.scenes)
    if scenes and len(out.scenes) == len(scenes):
        scenes = [
            Scene(s.purpose, s.duration_seconds, o.visual, o.on_screen_text, o.voiceover)
            for s, o in zip(scenes, out.scenes, strict=True)
        ]
    elif scenes:
        from agents.errors import LLMUnavailable

        raise LLMUnavailable("the localized script has a different number of scenes")
    return replace(
        variant,
        title=out.title if variant.title else None,
        text=out.body.strip(),
        call_to_action=out.call_to_action if variant.call_to_action else None,
        hashtags=[t if t.startswith("#") else f"#{t}" for t in out.hashtags if t.strip("#")],
        scenes=scenes,
        template="content_localize",
    )
