-- 0004 conversations: threads, messages, what the agent made of them (classification,
-- reply drafts, approval cards), hot leads and the per-org classifier models.

-- A thread between one customer and the merchant on one channel. At most one non-closed
-- conversation per (channel, customer): intake upserts it.
CREATE TABLE conversations (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id           uuid NOT NULL,
    channel_id            uuid NOT NULL,
    status                text NOT NULL DEFAULT 'open'
                          CHECK (status IN ('open', 'pending', 'snoozed', 'closed')),
    priority              text NOT NULL DEFAULT 'normal'
                          CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    ai_enabled            boolean NOT NULL DEFAULT true,
    ai_summary            text,
    sentiment             text,
    -- Language the conversation is held in (last detected customer language).
    language              text,
    assignee_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    team_id               uuid REFERENCES teams (id) ON DELETE SET NULL,
    snoozed_until         timestamptz,
    -- SLA clock: due time of the first reply, when it happened, when resolved.
    first_response_due_at timestamptz,
    first_response_at     timestamptz,
    resolved_at           timestamptz,
    -- last_inbound_at drives the WhatsApp 24-hour customer-service window.
    last_inbound_at       timestamptz,
    last_outbound_at      timestamptz,
    last_message_at       timestamptz,
    -- Sandbox conversation of `trademate try`.
    is_test               boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- Customer and channel must be of this conversation's org (composite keys), and
    -- messages point here the same way.
    FOREIGN KEY (customer_id, org_id) REFERENCES customers (id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (channel_id, org_id) REFERENCES channels (id, org_id) ON DELETE CASCADE,
    CONSTRAINT conversations_id_org_key UNIQUE (id, org_id)
);
CREATE UNIQUE INDEX conversations_one_active_key ON conversations (channel_id, customer_id)
    WHERE status <> 'closed';
-- Inbox lists: open conversations of an org, most recent first.
CREATE INDEX conversations_org_status_last_idx
    ON conversations (org_id, status, last_message_at DESC);
CREATE INDEX conversations_customer_idx ON conversations (customer_id, last_message_at DESC);
CREATE INDEX conversations_channel_idx ON conversations (channel_id);
CREATE INDEX conversations_assignee_idx ON conversations (assignee_id, status)
    WHERE assignee_id IS NOT NULL;
CREATE INDEX conversations_team_idx ON conversations (team_id) WHERE team_id IS NOT NULL;
-- SLA breach sweep: first reply still owed.
CREATE INDEX conversations_sla_due_idx ON conversations (first_response_due_at)
    WHERE first_response_at IS NULL AND status <> 'closed';
CREATE TRIGGER conversations_set_updated_at BEFORE UPDATE ON conversations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Every message in and out. (channel_id, external_message_id) is the exactly-once guarantee of
-- intake; outbound rows have a NULL external id until the platform returns one.
CREATE TABLE messages (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    conversation_id      uuid NOT NULL,
    channel_id           uuid NOT NULL,
    customer_id          uuid REFERENCES customers (id) ON DELETE SET NULL,
    direction            text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
    sender_type          text NOT NULL CHECK (sender_type IN ('customer', 'agent', 'ai', 'system')),
    sender_user_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    content              text,
    content_type         text NOT NULL DEFAULT 'text'
                         CHECK (content_type IN ('text', 'image', 'audio', 'video', 'document',
                                                 'location', 'sticker', 'contact', 'event',
                                                 'button', 'template', 'link')),
    content_translated   text,
    language             text,
    -- [{"kind": "image", "url": ..., "mime_type": ..., "platform_media_id": ...}]
    media                jsonb NOT NULL DEFAULT '[]',
    -- Normalized extras: location, event name, button payload, template name, reply-to, ...
    metadata             jsonb NOT NULL DEFAULT '{}',
    ai_generated         boolean NOT NULL DEFAULT false,
    ai_confidence        real CHECK (ai_confidence BETWEEN 0 AND 1),
    ai_sources           jsonb NOT NULL DEFAULT '[]',
    external_message_id  text,
    -- When the platform says the message was sent (Telegram date, WeChat CreateTime).
    external_created_at  timestamptz,
    status               text NOT NULL DEFAULT 'received'
                         CHECK (status IN ('received', 'queued', 'sending', 'sent', 'delivered',
                                           'read', 'failed', 'undelivered')),
    -- Agent pipeline progress for inbound messages; the reconciler re-queues stale ones.
    processing_status    text NOT NULL DEFAULT 'pending'
                         CHECK (processing_status IN ('pending', 'processing', 'processed',
                                                      'failed', 'skipped')),
    processing_attempts  integer NOT NULL DEFAULT 0 CHECK (processing_attempts >= 0),
    -- Lease start of the worker processing it; a lease older than the timeout means the
    -- worker died and the reconciler may hand the message to another.
    processing_started_at timestamptz,
    processed_at         timestamptz,
    error                text,
    sent_at              timestamptz,
    delivered_at         timestamptz,
    read_at              timestamptz,
    -- clock_timestamp(), not now(): intake may commit many messages in one transaction (group
    -- commit) and they must still sort in arrival order within a conversation.
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    CONSTRAINT messages_channel_external_key UNIQUE (channel_id, external_message_id),
    -- A message can only land in a conversation and channel of its own org.
    FOREIGN KEY (conversation_id, org_id) REFERENCES conversations (id, org_id)
        ON DELETE CASCADE,
    FOREIGN KEY (channel_id, org_id) REFERENCES channels (id, org_id) ON DELETE CASCADE
);
CREATE INDEX messages_conversation_created_idx ON messages (conversation_id, created_at);
-- Reconciler: stored but not (or no longer) being processed.
CREATE INDEX messages_pending_processing_idx ON messages (created_at)
    WHERE processing_status IN ('pending', 'processing');
-- Reconciler, outbound side: queued but never picked up, or a send interrupted mid-way.
CREATE INDEX messages_outbound_unsent_idx ON messages (created_at)
    WHERE direction = 'outbound' AND status IN ('queued', 'sending');
CREATE INDEX messages_org_created_idx ON messages (org_id, created_at);
CREATE INDEX messages_customer_created_idx ON messages (customer_id, created_at)
    WHERE customer_id IS NOT NULL;
CREATE INDEX messages_sender_user_idx ON messages (sender_user_id) WHERE sender_user_id IS NOT NULL;

-- What the classifier made of one inbound message; agents' corrections become training data.
CREATE TABLE message_classifications (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    message_id           uuid NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    category             text CHECK (category IN ('question', 'praise', 'complaint', 'spam',
                                                  'purchase_intent', 'other')),
    -- price_inquiry, shipping, availability, order_status, refund, ...
    sub_intent           text,
    confidence           real CHECK (confidence BETWEEN 0 AND 1),
    -- Per-category probabilities, for review tools and calibration.
    scores               jsonb NOT NULL DEFAULT '{}',
    sentiment            text CHECK (sentiment IN ('positive', 'neutral', 'negative')),
    language             text,
    urgency              text,
    is_hot_lead          boolean NOT NULL DEFAULT false,
    lead_score           integer CHECK (lead_score BETWEEN 0 AND 100),
    -- 'offline' or 'llm', and which model/version produced it.
    engine               text,
    model_version        text,
    review_status        text NOT NULL DEFAULT 'unreviewed'
                         CHECK (review_status IN ('unreviewed', 'confirmed', 'corrected')),
    corrected_category   text CHECK (corrected_category IN ('question', 'praise', 'complaint',
                                                            'spam', 'purchase_intent', 'other')),
    corrected_sub_intent text,
    reviewed_by          uuid REFERENCES users (id) ON DELETE SET NULL,
    reviewed_at          timestamptz,
    created_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_classifications_org_created_idx
    ON message_classifications (org_id, created_at);
-- `trademate model train`: the reviewed rows of one org.
CREATE INDEX message_classifications_reviewed_idx ON message_classifications (org_id, review_status)
    WHERE review_status <> 'unreviewed';
CREATE INDEX message_classifications_reviewer_idx ON message_classifications (reviewed_by)
    WHERE reviewed_by IS NOT NULL;

-- Trained classifier artifacts (files under the data directory); org_id NULL is the shipped
-- base model. Workers load the active one per org.
CREATE TABLE classifier_models (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid REFERENCES organizations (id) ON DELETE CASCADE,
    version     text NOT NULL,
    path        text NOT NULL,
    -- Evaluation figures: macro-F1, per-class scores, per-language results.
    metrics     jsonb NOT NULL DEFAULT '{}',
    train_size  integer,
    is_active   boolean NOT NULL DEFAULT false,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT classifier_models_version_key UNIQUE NULLS NOT DISTINCT (org_id, version)
);
CREATE UNIQUE INDEX classifier_models_one_active_key ON classifier_models (org_id)
    NULLS NOT DISTINCT WHERE is_active;

-- An AI draft waiting for (or past) a human decision. kind 'reply' answers one inbound message
-- (message_id set and unique: drafting is idempotent per message); 'followup' and 'quote'
-- drafts start a message of ours and have no inbound message.
CREATE TABLE reply_suggestions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind            text NOT NULL DEFAULT 'reply' CHECK (kind IN ('reply', 'followup', 'quote')),
    message_id      uuid REFERENCES messages (id) ON DELETE CASCADE,
    conversation_id uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    draft           text NOT NULL,
    language        text,
    -- [{"kind": "faq"|"chunk"|"corpus"|"product"|"template"|"memory", "id": ..., "score": ...}]
    sources         jsonb NOT NULL DEFAULT '[]',
    confidence      real CHECK (confidence BETWEEN 0 AND 1),
    -- 'offline' or 'llm'.
    engine          text,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'approved', 'edited', 'rejected', 'sent',
                                      'escalated', 'hidden', 'auto_sent', 'failed', 'expired')),
    -- Policy decision and why: auto_send / queue / escalate / hide.
    action          text,
    reason          text,
    reviewer_id     uuid REFERENCES users (id) ON DELETE SET NULL,
    edited_text     text,
    decided_at      timestamptz,
    sent_at         timestamptz,
    sent_message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
    error           text,
    -- Prompt version, model, token counts, timings.
    metadata        jsonb NOT NULL DEFAULT '{}',
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT reply_suggestions_message_id_key UNIQUE (message_id),
    CONSTRAINT reply_suggestions_kind_message_check
        CHECK ((kind = 'reply') = (message_id IS NOT NULL))
);
-- The inbox: pending drafts of an org, oldest or newest first.
CREATE INDEX reply_suggestions_org_status_created_idx
    ON reply_suggestions (org_id, status, created_at);
CREATE INDEX reply_suggestions_conversation_idx ON reply_suggestions (conversation_id, created_at);
CREATE INDEX reply_suggestions_reviewer_idx ON reply_suggestions (reviewer_id)
    WHERE reviewer_id IS NOT NULL;
CREATE INDEX reply_suggestions_sent_message_idx ON reply_suggestions (sent_message_id)
    WHERE sent_message_id IS NOT NULL;
CREATE TRIGGER reply_suggestions_set_updated_at BEFORE UPDATE ON reply_suggestions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Where an approval card for a suggestion was shown (one Telegram message per staff chat), so a
-- decision taken anywhere can edit every copy.
CREATE TABLE approval_cards (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    suggestion_id       uuid NOT NULL REFERENCES reply_suggestions (id) ON DELETE CASCADE,
    user_id             uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    chat_id             bigint NOT NULL,
    telegram_message_id bigint NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (suggestion_id, user_id)
);
CREATE INDEX approval_cards_user_idx ON approval_cards (user_id);
CREATE INDEX approval_cards_org_idx ON approval_cards (org_id);
CREATE TRIGGER approval_cards_set_updated_at BEFORE UPDATE ON approval_cards
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Customers the classifier flagged as ready to buy, for `/leads` and owner notifications.
-- At most one open row per customer so repeated signals update it.
CREATE TABLE hot_leads (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    lead_id         uuid REFERENCES leads (id) ON DELETE SET NULL,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    -- The message that (last) made this lead hot.
    message_id      uuid REFERENCES messages (id) ON DELETE SET NULL,
    score           integer NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    -- Why: ["asked for price", "quantity 500 pcs", "asked for lead time"].
    signals         jsonb NOT NULL DEFAULT '[]',
    summary         text,
    status          text NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'notified', 'contacted', 'converted', 'dismissed')),
    notified_at     timestamptz,
    handled_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    handled_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX hot_leads_one_open_per_customer_key ON hot_leads (customer_id)
    WHERE status IN ('new', 'notified');
CREATE INDEX hot_leads_org_status_idx ON hot_leads (org_id, status, created_at DESC);
CREATE INDEX hot_leads_lead_idx ON hot_leads (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX hot_leads_conversation_idx ON hot_leads (conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX hot_leads_message_idx ON hot_leads (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX hot_leads_handled_by_idx ON hot_leads (handled_by) WHERE handled_by IS NOT NULL;
CREATE TRIGGER hot_leads_set_updated_at BEFORE UPDATE ON hot_leads
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
