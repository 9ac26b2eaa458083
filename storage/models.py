"""Typed rows returned by the repositories.

One model per table we read from Python so far; fields mirror the columns (see
``docs/schema.md``). Built with ``Model.from_record(record)``; jsonb arrives decoded.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field

Role = Literal["owner", "admin", "agent", "readonly"]
Platform = Literal["telegram", "whatsapp", "wechat", "wecom"]
Plan = Literal["free", "starter", "pro", "enterprise"]


class Row(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_record(cls, record: Any) -> Self:
        return cls.model_validate(dict(record))


class Organization(Row):
    id: uuid.UUID
    name: str
    slug: str
    plan: Plan
    quota: dict[str, Any]
    settings: dict[str, Any]
    timezone: str
    default_language: str
    default_currency: str
    # A local file (absolute, or under the data directory) printed on quotations.
    logo_path: str | None
    created_at: datetime
    updated_at: datetime


class User(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    email: str
    display_name: str | None
    role: Role
    # Never serialised by accident into logs or JSON output.
    password_hash: str | None = Field(default=None, repr=False, exclude=True)
    telegram_user_id: int | None
    team_id: uuid.UUID | None
    is_active: bool
    last_login_at: datetime | None
    created_at: datetime


class Channel(Row):
    """A channel row. ``config_encrypted`` stays encrypted; the channels package decrypts."""

    id: uuid.UUID
    org_id: uuid.UUID
    platform: Platform
    name: str
    config_encrypted: bytes = Field(repr=False)
    webhook_secret: str = Field(repr=False)
    status: str
    stats: dict[str, Any]
    last_error: str | None
    created_at: datetime


class Customer(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    display_name: str | None
    language: str | None
    country: str | None
    timezone: str | None
    email: str | None
    phone: str | None
    company: str | None
    status: str
    lead_score: int
    is_test: bool
    merged_into_id: uuid.UUID | None
    attributes: dict[str, Any]
    last_inbound_at: datetime | None
    created_at: datetime


class CustomerIdentity(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    customer_id: uuid.UUID
    channel_id: uuid.UUID
    external_id: str
    display_name: str | None
    profile: dict[str, Any]


class Conversation(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    customer_id: uuid.UUID
    channel_id: uuid.UUID
    status: str
    priority: str
    ai_enabled: bool
    ai_summary: str | None
    sentiment: str | None
    assignee_id: uuid.UUID | None
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    last_message_at: datetime | None
    is_test: bool
    created_at: datetime


class Message(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    conversation_id: uuid.UUID
    channel_id: uuid.UUID
    customer_id: uuid.UUID | None
    direction: Literal["inbound", "outbound"]
    sender_type: Literal["customer", "agent", "ai", "system"]
    content: str | None
    content_type: str
    language: str | None
    media: list[Any]
    metadata: dict[str, Any]
    ai_generated: bool
    ai_confidence: float | None
    ai_sources: list[Any]
    external_message_id: str | None
    status: str
    processing_status: str
    processing_attempts: int = 0
    error: str | None = None
    created_at: datetime


class AuditEntry(Row):
    id: uuid.UUID
    org_id: uuid.UUID
    actor_user_id: uuid.UUID | None
    actor_kind: str
    action: str
    entity_type: str | None
    entity_id: uuid.UUID | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    created_at: datetime
