"""Structured outputs of the content prompts (prompts/content_*.md).

Docstrings and field descriptions are sent to the model. As in ``agents.llm.schemas``, every
field is required (nullable where a value may be absent) so one schema works with every
structured-output method.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HookOut(BaseModel):
    """One opening hook."""

    text: str = Field(description="The hook, one line, in the requested language")
    hook_type: Literal["question", "threat", "fact", "curiosity", "urgency"]
    emotion: str | None = Field(description="The feeling it plays on, e.g. curiosity, trust")


class HooksOut(BaseModel):
    """Opening hooks for a short post or video, best first."""

    hooks: list[HookOut]


class CaptionOut(BaseModel):
    """One caption for a post."""

    body: str = Field(description="The caption text without the call to action and hashtags")
    call_to_action: str = Field(description="One short call to action")
    hashtags: list[str] = Field(description="Hashtags, each starting with #")


class CaptionsOut(BaseModel):
    """Caption variants for one post, best first."""

    captions: list[CaptionOut]


class SceneOut(BaseModel):
    """One scene of a short video."""

    purpose: Literal["hook", "body", "cta", "testimonial"]
    duration_seconds: float = Field(description="Seconds this scene lasts")
    visual: str = Field(description="What the camera shows (a note for whoever films it)")
    on_screen_text: str = Field(description="Text shown on screen")
    voiceover: str = Field(description="What is said")


class ScriptOut(BaseModel):
    """One short-video script."""

    title: str = Field(description="The opening hook, used as the video's title")
    narrative_template: Literal["PAS", "AIDA", "4U"]
    scenes: list[SceneOut]


class ScriptsOut(BaseModel):
    """Short-video script variants, best first."""

    scripts: list[ScriptOut]


class LocalizedSceneOut(BaseModel):
    """One scene's texts in the target language (same order as the original)."""

    visual: str
    on_screen_text: str
    voiceover: str


class LocalizedOut(BaseModel):
    """The piece rewritten for the target market and language."""

    title: str | None = Field(description="Translated title; null when the piece has none")
    body: str
    call_to_action: str | None = Field(description="Translated call to action, or null")
    hashtags: list[str]
    scenes: list[LocalizedSceneOut] = Field(description="One entry per original scene, in order")
