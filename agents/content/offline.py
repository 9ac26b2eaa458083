"""The offline engine: hooks, captions and scripts from templates and catalog facts.

Deterministic for a given seed: the random generator is seeded from (seed, kind) only, not
the language, and every language has the same templates in the same order, so a seed makes
the same choices in every language. Variants differ in hook type, template, the fact used,
the call to action and (scripts) the narrative template. Each generator is an endless-enough
iterator: the studio takes N variants and, when one is blocked by a check, the next one.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal

from .bank_copy import CALLS_TO_ACTION, CAPTION, SCRIPT
from .bank_hooks import HOOKS
from .facts import fillings, render, slot_options
from .hashtags import hashtags_for
from .models import EMOTIONS, HOOK_TYPES, NARRATIVES, Facts, Scene, Variant, length_category
from .platforms import Platform
from .units import quantity, unit_word

# Hook types each platform's audience responds to first (a ranking heuristic, not data: the
# A/B results are the real ranking).
_PREFERRED = {
    "instagram": ("curiosity", "question"),
    "tiktok": ("curiosity", "threat"),
    "youtube": ("question", "fact"),
    "whatsapp_status": ("urgency", "fact"),
}
_CONCRETE = ("spec_value", "price", "point", "moq")


def _rng(seed: int, kind: str) -> random.Random:
    return random.Random(f"{seed}:{kind}")


def hooks(facts: Facts, platform: Platform, language: str, seed: int) -> Iterator[Variant]:
    """Hooks in a varied order: hook types round-robin, each template before any repeat."""
    rng = _rng(seed, "hook")
    options = slot_options(facts, language)
    queues: list[list[Variant]] = []
    types = list(HOOK_TYPES)
    rng.shuffle(types)
    for hook_type in types:
        found: list[tuple[int, Variant]] = []
        for idx, template in enumerate(HOOKS[language][hook_type]):
            fills = list(fillings(template, options))
            rng.shuffle(fills)
            for n, values in enumerate(fills):
                text = render(template, values)
                if text is None or len(text) > platform.hook_max_chars:
                    continue
                variant = Variant(
                    kind="hook",
                    text=text,
                    template=f"hook:{hook_type}:{idx}",
                    hook_type=hook_type,
                    emotion=EMOTIONS[hook_type],
                    length_category=length_category(text, language),
                    score=_hook_score(text, values, hook_type, platform),
                )
                found.append((n, variant))
        # First fill of every template, then second fills, ...: variety before repeats.
        found.sort(key=lambda pair: pair[0])
        queues.append([v for _, v in found])
    seen: set[str] = set()
    while any(queues):
        for queue in queues:
            while queue:
                variant = queue.pop(0)
                if variant.text not in seen:
                    seen.add(variant.text)
                    yield variant
                    break


def captions(facts: Facts, platform: Platform, language: str, seed: int) -> Iterator[Variant]:
    rng = _rng(seed, "caption")
    lines = CAPTION[language]
    ctas = CALLS_TO_ACTION[language]
    start = rng.randrange(len(ctas))
    for i, hook in enumerate(hooks(facts, platform, language, seed)):
        body = [hook.text]
        points = _rotate(facts.selling_points, i)[:3]
        # Free-text notes are stated as they are, after the selling points.
        points += [n for n in facts.notes if n not in points]
        body += [lines["point"].format(point=p) for p in points]
        specs = _rotate(facts.specs, i)[:3]
        body += [lines["spec"].format(spec_key=k, spec_value=v) for k, v in specs]
        if facts.price_text:
            unit = unit_word(facts.unit, language)
            body.append(lines["price"].format(price=facts.price_text, unit=unit))
        if facts.moq:
            body.append(lines["moq"].format(moq=quantity(facts.moq, facts.unit, language)))
        variant = Variant(
            kind="caption",
            text="",
            template=f"caption:{hook.template}:cta{(start + i) % len(ctas)}",
            call_to_action=ctas[(start + i) % len(ctas)],
            hashtags=hashtags_for(facts, platform.hashtags_target, offset=i),
            score=hook.score,
            hook_type=hook.hook_type,
        )
        # Over the platform's limit: drop detail lines from the end, never the hook.
        while True:
            variant.text = "\n".join(body)
            if variant.caption_length() <= platform.caption_max_chars or len(body) == 1:
                break
            body.pop()
        yield variant


def scripts(
    facts: Facts, platform: Platform, language: str, seed: int, seconds: int | None = None
) -> Iterator[Variant]:
    """Short-video scripts; ``seconds`` is capped at the platform's maximum duration."""
    rng = _rng(seed, "script")
    total = min(seconds or platform.default_video_seconds, platform.video_max_seconds)
    narratives = list(NARRATIVES)
    rng.shuffle(narratives)
    ctas = CALLS_TO_ACTION[language]
    values = slot_options(facts, language)
    for i, hook in enumerate(hooks(facts, platform, language, seed)):
        narrative = narratives[i % len(narratives)]
        cta = ctas[(i + len(narratives)) % len(ctas)]
        plan = _plan(narrative, SCRIPT[language], values, hook.text, cta, i)
        durations = _split(Decimal(total), [w for w, *_ in plan])
        scenes = [
            Scene(purpose, duration, visual, on_screen, voice)
            for (_, purpose, visual, on_screen, voice), duration in zip(
                plan, durations, strict=True
            )
        ]
        yield Variant(
            kind="script",
            text="\n".join(s.voiceover for s in scenes if s.voiceover),
            template=f"script:{narrative}:{hook.template}",
            title=hook.text,
            call_to_action=cta,
            narrative_template=narrative,
            scenes=scenes,
            score=hook.score,
            hook_type=hook.hook_type,
        )


# --- helpers ---------------------------------------------------------------------------
def _hook_score(text: str, values: dict[str, str], hook_type: str, platform: Platform) -> float:
    score = 0.5
    if any(values.get(slot) for slot in _CONCRETE):
        score += 0.2  # a concrete fact beats a generic line
    score += 0.2 if len(text) <= platform.hook_max_chars * 0.6 else 0.1
    if hook_type in _PREFERRED[platform.name]:
        score += 0.1
    return round(score, 3)


def _rotate(items: tuple, offset: int) -> list:
    if not items:
        return []
    k = offset % len(items)
    return list(items[k:] + items[:k])


def _pick(values: dict[str, list[str]], i: int) -> dict[str, str]:
    picked = {k: v[i % len(v)] for k, v in values.items() if v}
    if values.get("spec_key"):
        j = i % len(values["spec_key"])
        picked["spec_key"], picked["spec_value"] = values["spec_key"][j], values["spec_value"][j]
    return picked


def _plan(
    narrative: str,
    phrases: dict[str, str],
    values: dict[str, list[str]],
    hook: str,
    cta: str,
    i: int,
) -> list[tuple[int, str, str, str, str]]:
    """(weight, purpose, visual, on-screen text, voice-over) per scene; scenes whose facts
    the product lacks are left out (no spec → no spec scene), hook and CTA always stay."""
    v = _pick(values, i)

    def say(key: str) -> str | None:
        return render(phrases[key], v)

    closeup = say("v_closeup") or ""
    bodies: dict[str, list[tuple[str | None, str | None, str | None]]] = {
        "PAS": [
            (say("v_detail"), say("agitate_os"), say("agitate_vo")),
            (say("v_use"), say("solution_os"), say("solution_vo")),
        ],
        "AIDA": [
            (say("v_use"), say("solution_os"), say("interest_vo")),
            (say("v_detail"), say("desire_os"), say("desire_vo")),
        ],
        "4U": [
            (say("v_use"), say("desire_os"), say("solution_vo")),
            (say("v_price"), say("specific_os"), say("specific_vo")),
        ],
    }
    hook_vo = say("problem_vo") if narrative == "PAS" else None
    plan = [(2, "hook", closeup, hook, hook_vo or hook)]
    for visual, on_screen, voice in bodies[narrative]:
        if visual and on_screen and voice:
            plan.append((3, "body", visual, on_screen, voice))
    plan.append((2, "cta", say("v_cta") or "", cta, cta))
    return plan


def _split(total: Decimal, weights: list[int]) -> list[Decimal]:
    """Durations in half seconds, proportional to the weights, summing exactly to total."""
    step = Decimal("0.5")
    parts = [
        (total * w / sum(weights) / step).to_integral_value(ROUND_HALF_UP) * step for w in weights
    ]
    parts[-1] += total - sum(parts)
    return parts
