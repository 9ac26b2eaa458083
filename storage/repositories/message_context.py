"""Everything the agent pipeline reads about one inbound message, in one round trip.

The pipeline used to read the organization, the conversation, the customer, the customer's
memories, the catalog, the reply-template overrides and (for the LLM) the recent turns with
seven queries on the message path. :func:`load` returns the same rows from one statement.

Rows travel as ``jsonb`` and are validated into the same models the per-table repositories
return: asyncpg cannot decode composite (row) values whose columns include ``jsonb`` (our codec
for it is a text codec), so ``to_jsonb(row)`` is the portable shape. JSON has no exact decimal,
so a product's ``numeric`` price is sent as text (``2.10`` stays ``Decimal("2.10")``, not the
float 2.1). A test compares every field with the per-table reads.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from ..db import Connection
from ..errors import NotFound
from ..models import Conversation, Customer, Message, Organization
from .memories import Memory
from .products import Product

# Each part mirrors the query of its repository function (kept in step by the test):
# organizations.get, conversations.get, customers.get, memories.for_customer,
# products.active, templates.overrides, messages.recent_in_conversation (newest first here).
_LOAD = """
SELECT to_jsonb(o) AS organization, to_jsonb(c) AS conversation, to_jsonb(cu) AS customer,
       COALESCE((
           SELECT jsonb_agg(to_jsonb(m) ORDER BY m.importance DESC, m.updated_at DESC)
           FROM memories m
           WHERE m.org_id = $1 AND m.customer_id = c.customer_id
             AND (m.expires_at IS NULL OR m.expires_at > now())
       ), '[]') AS memories,
       COALESCE((
           SELECT jsonb_agg(to_jsonb(p) || jsonb_build_object('price', p.price::text)
                            ORDER BY p.sku)
           FROM (SELECT * FROM products WHERE org_id = $1 AND is_active ORDER BY sku LIMIT $4) p
       ), '[]') AS catalog,
       COALESCE((
           SELECT jsonb_agg(jsonb_build_array(t.name, t.language, t.body))
           FROM (
               SELECT DISTINCT ON (name, language) name, language, body
               FROM response_templates
               WHERE org_id = $1 AND is_active
               ORDER BY name, language, priority DESC
           ) t
       ), '[]') AS overrides,
       CASE WHEN $3 THEN COALESCE((
           SELECT jsonb_agg(to_jsonb(t) ORDER BY t.created_at, t.id)
           FROM (
               SELECT * FROM messages WHERE org_id = $1 AND conversation_id = c.id
               ORDER BY created_at DESC, id DESC LIMIT $5
           ) t
       ), '[]') END AS turns
FROM conversations c
JOIN organizations o ON o.id = c.org_id
JOIN customers cu ON cu.org_id = c.org_id AND cu.id = c.customer_id
WHERE c.org_id = $1 AND c.id = $2
"""


@dataclass(frozen=True)
class MessageContext:
    organization: Organization
    conversation: Conversation
    customer: Customer
    memories: list[Memory]  # the customer's live memories, most important first
    catalog: list[Product]  # active products by SKU
    overrides: dict[tuple[str, str], str]  # {(template name, language): body}
    turns: list[Message] = field(default_factory=list)  # oldest first; only when asked for


async def load(
    conn: Connection,
    org_id: uuid.UUID,
    conversation_id: uuid.UUID,
    *,
    with_turns: bool = False,
    catalog_limit: int = 2000,
    turns_limit: int = 20,
) -> MessageContext:
    """The context of a message in ``conversation_id``; ``with_turns`` adds its last
    ``turns_limit`` messages (only the LLM drafter reads them)."""
    record = await conn.fetchrow(
        _LOAD, org_id, conversation_id, with_turns, catalog_limit, turns_limit
    )
    if record is None:
        raise NotFound("conversation", conversation_id)
    return MessageContext(
        organization=Organization.model_validate(record["organization"]),
        conversation=Conversation.model_validate(record["conversation"]),
        customer=Customer.model_validate(record["customer"]),
        memories=[Memory.model_validate(m) for m in record["memories"]],
        catalog=[Product.model_validate(p) for p in record["catalog"]],
        overrides={(name, language): body for name, language, body in record["overrides"]},
        turns=[Message.model_validate(m) for m in record["turns"] or ()],
    )
