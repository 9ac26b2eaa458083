"""What happens to a draft: sent by itself, queued for a person, escalated, or hidden.

Per-org settings (``organizations.settings``), all optional:

- ``autopilot`` (default false): nothing is sent without a person unless this is on;
- ``auto_send_praise`` (default true when autopilot is on): thank-yous to praise go out;
- ``auto_send_min_confidence`` (default 0.92): a FAQ or approved-reply answer at least this
  confident goes out. The draft's confidence is the calibrated chance that the answer is
  right (agents/retrieval/confidence.py: precision measured on the retrieval benchmark), so
  0.92 means about 92 % of the answers sent alone are the right ones — a customer repeating a
  FAQ nearly word for word (centered cosine ~0.7 and up) clears it, a borderline match (cosine
  just over ``agents.faq_min_cosine``, ~0.7 confident) waits for a person. An approved past
  reply (a "corpus" hit) is drafted as kind "faq" with the same FAQ-calibrated confidence, so it
  can be sent alone too, although the table was measured on FAQs only;
- spam is always hidden (no draft); complaints are always escalated to a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .classifier.base import Classification

Action = Literal["auto_send", "queue", "escalate", "hide"]
AUTO_SEND_MIN_CONFIDENCE = 0.92  # default of the org setting (see the module docstring)


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: str

    @property
    def suggestion_status(self) -> str:
        return {"hide": "hidden", "escalate": "escalated"}.get(self.action, "pending")


def decide(
    classification: Classification,
    draft_kind: str | None,
    confidence: float,
    org_settings: Mapping[str, Any],
) -> Decision:
    if classification.category == "spam":
        return Decision("hide", "spam: no draft, hidden from the inbox")
    if classification.category == "complaint":
        return Decision("escalate", "complaint: high priority, the owner is notified")
    if not org_settings.get("autopilot", False):
        return Decision("queue", "autopilot is off: a person approves every reply")
    if classification.category == "praise" and org_settings.get("auto_send_praise", True):
        return Decision("auto_send", "autopilot: thanking praise")
    threshold = float(org_settings.get("auto_send_min_confidence", AUTO_SEND_MIN_CONFIDENCE))
    if draft_kind == "faq" and confidence >= threshold:
        return Decision("auto_send", f"autopilot: knowledge answer, confidence ≥ {threshold}")
    return Decision("queue", "autopilot: not confident enough to send alone")
