"""Due follow-ups become drafts for approval.

A sweep claims the scheduled follow-ups that are due (``FOR UPDATE SKIP LOCKED``, in one
transaction with everything it writes), and for each one either drafts a ``reply_suggestions``
row of kind 'followup' — in the customer's language, from the offline templates — or records
why not (opted out, sandbox, the customer wrote again, the quote is no longer open).

When the channel's customer-service window is closed (WhatsApp: 24 hours after the customer's
last message) a free-form text cannot be sent, so on a channel that has templates the draft is
marked ``send_as: template`` in its metadata, with the merchant's approved template
(``response_templates`` row of the same name with an ``external_template_id``) when there is
one. A channel without templates (WeChat OA: 48 hours) gets none even when a template row
with no platform exists: its draft is text that can go out once the customer writes again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from storage.db import Connection
from storage.repositories import followups
from storage.repositories import templates as template_repo
from storage.repositories.followups import Followup

from . import silent, templates
from .config import FollowupConfig, SweepResult

log = logging.getLogger(__name__)

_CONTEXT = """
SELECT c.display_name, c.language AS customer_language, c.is_test, c.last_inbound_at,
       c.status AS customer_status,
       o.name AS shop, o.default_language, o.timezone AS org_timezone,
       EXISTS (SELECT 1 FROM opt_outs x WHERE x.org_id = c.org_id AND x.customer_id = c.id)
           AS opted_out,
       conv.id AS conversation_id, conv.language AS conversation_language,
       conv.last_inbound_at AS window_from, conv.is_test AS conversation_is_test,
       ch.platform
FROM customers c
JOIN organizations o ON o.id = c.org_id
LEFT JOIN LATERAL (
    SELECT v.* FROM conversations v
    WHERE v.org_id = c.org_id AND v.customer_id = c.id
    ORDER BY v.id = $3 DESC, v.status <> 'closed' DESC, v.last_message_at DESC NULLS LAST
    LIMIT 1
) conv ON true
LEFT JOIN channels ch ON ch.id = conv.channel_id
WHERE c.org_id = $1 AND c.id = $2
"""

_TEMPLATE_SID = """
SELECT external_template_id FROM response_templates
WHERE org_id = $1 AND name = $2 AND language = $3 AND is_active
  AND external_template_id IS NOT NULL AND (platform IS NULL OR platform = $4)
ORDER BY platform IS NULL, priority DESC
LIMIT 1
"""


async def sweep(
    conn: Connection,
    now: datetime,
    config: FollowupConfig,
    *,
    org_id: uuid.UUID | None = None,
) -> SweepResult:
    """Draft every due follow-up this instance can claim; returns counts and new drafts."""
    result = SweepResult()
    # Each org's template overrides, read once per sweep (a batch is often one org's).
    overrides: dict[uuid.UUID, Mapping[tuple[str, str], str]] = {}
    async with conn.transaction():
        for item in await followups.claim_due(conn, now, limit=config.batch_size, org_id=org_id):
            try:
                async with conn.transaction():  # a savepoint: one bad row fails alone
                    status, detail = await _draft(conn, item, now, config, result, overrides)
            except Exception as err:  # noqa: BLE001 - recorded on the row; the batch goes on
                log.exception("follow-up %s could not be drafted", item.id)
                status, detail = "failed", {"why": f"{type(err).__name__}: {err}"}
            await followups.finish(
                conn,
                item.org_id,
                item.id,
                status=status,
                now=now,
                worker=config.worker,
                suggestion_id=detail.get("suggestion_id"),
                conversation_id=detail.get("conversation_id"),
                error=detail.get("why"),
            )
            result.add(status)
    return result


async def _draft(
    conn: Connection,
    item: Followup,
    now: datetime,
    config: FollowupConfig,
    result: SweepResult,
    overrides: dict[uuid.UUID, Mapping[tuple[str, str], str]],
) -> tuple[str, dict[str, Any]]:
    ctx = await conn.fetchrow(_CONTEXT, item.org_id, item.customer_id, item.conversation_id)
    if ctx is None:
        return "skipped", {"why": "customer not found"}
    if ctx["opted_out"]:
        return "skipped", {"why": "customer opted out"}
    if ctx["is_test"] or ctx["conversation_is_test"]:
        return "skipped", {"why": "sandbox customer"}
    if ctx["conversation_id"] is None:
        return "skipped", {"why": "no conversation to write in"}
    if item.reason == silent.REASON and (
        # The silence it was planned for ended: the customer wrote since (a new key).
        ctx["last_inbound_at"] is None
        or item.dedupe_key != silent.dedupe_key(item.customer_id, ctx["last_inbound_at"])
        or ctx["customer_status"] not in silent.CHASED_STATUSES
    ):
        return "skipped", {"why": "customer is no longer silent or no longer a lead"}

    fields: dict[str, Any] = {"name": ctx["display_name"], "shop": ctx["shop"]}
    name = templates.REMINDER
    if item.reason == silent.REASON:
        name = templates.SILENT
    elif item.quotation_id is not None:
        quote = await conn.fetchrow(
            "SELECT number, valid_until, status FROM quotations WHERE org_id = $1 AND id = $2",
            item.org_id,
            item.quotation_id,
        )
        if quote is None or quote["status"] != "sent":
            return "skipped", {"why": "quotation is no longer open"}
        name = templates.QUOTE_EXPIRY
        valid_until = quote["valid_until"]
        fields.update(
            number=quote["number"], valid_until=valid_until.isoformat() if valid_until else ""
        )

    language = (
        ctx["customer_language"] or ctx["conversation_language"] or ctx["default_language"] or "en"
    )
    if item.org_id not in overrides:
        overrides[item.org_id] = await template_repo.overrides(conn, item.org_id)
    text, used = templates.render(name, language, fields, overrides[item.org_id])

    open_now = window_open(config.service_window_hours, ctx["platform"], ctx["window_from"], now)
    as_template = not open_now and ctx["platform"] in config.template_platforms
    metadata: dict[str, Any] = {
        "followup_id": str(item.id),
        "reason": item.reason,
        "note": item.note,
        "due_at": item.due_at.isoformat(),
        "window_open": open_now,
        "send_as": "template" if as_template else "text",
    }
    if item.quotation_id is not None:
        metadata["quotation_id"] = str(item.quotation_id)
    if not open_now and not as_template:
        # Shown on the card; the approval is refused with the same advice until then.
        metadata["template_missing"] = (
            f"the customer's window is closed and {ctx['platform'] or 'this channel'} has no "
            "templates: it can go out once the customer writes again"
        )
    elif as_template:
        sid = await conn.fetchval(_TEMPLATE_SID, item.org_id, name, used, ctx["platform"])
        metadata["template"] = (
            {"name": sid, "language": used, "variables": {"1": ctx["display_name"] or ""}}
            if sid
            else None
        )
        if sid is None:
            metadata["template_missing"] = (
                f"the customer's window is closed and no approved template {name!r} "
                f"({used}) is configured: add one or wait for the customer to write"
            )
    suggestion_id = await followups.create_suggestion(
        conn,
        org_id=item.org_id,
        conversation_id=ctx["conversation_id"],
        draft=text,
        language=used,
        reason=_reason(item),
        metadata=metadata,
        sources=[{"kind": "template", "id": name}],
    )
    result.suggestions.append((item.org_id, suggestion_id, ctx["conversation_id"]))
    return "drafted", {"suggestion_id": suggestion_id, "conversation_id": ctx["conversation_id"]}


def window_open(
    hours_by_platform: Mapping[str, int | None],
    platform: str | None,
    last_inbound_at: datetime | None,
    now: datetime,
) -> bool:
    """Whether free text may reach the customer now (the rule of ``channels.window``, fed
    with the adapters' window hours by the composition root; agents never import channels)."""
    if platform is None or platform not in hours_by_platform:
        return False
    hours = hours_by_platform[platform]
    if hours is None:
        return True
    return last_inbound_at is not None and now - last_inbound_at < timedelta(hours=hours)


def _reason(item: Followup) -> str:
    if item.reason == "silent_customer":
        return "follow-up: the customer has been silent"
    if item.reason == "quote_expiry":
        return "follow-up: the quotation expires soon"
    return f"reminder: {item.note}" if item.note else "reminder"
