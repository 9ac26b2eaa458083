-- 0005 knowledge: what drafts are grounded on. Text lives here; vectors live in Qdrant
-- (collection per kind, org_id payload filter) and rows point at them with vector_id.

-- An optional grouping of documents and FAQs ("Product manuals", "Shipping policy").
-- Rows with knowledge_base_id NULL belong to the org's default knowledge.
CREATE TABLE knowledge_bases (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text,
    language    text,
    settings    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
CREATE TRIGGER knowledge_bases_set_updated_at BEFORE UPDATE ON knowledge_bases
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One ingested file (`trademate kb ingest`): .md, .txt, .pdf, .docx, .xlsx/.csv, with its
-- processing status. Re-ingesting the same content is recognised by content_hash.
CREATE TABLE documents (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    knowledge_base_id uuid REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    title             text NOT NULL,
    source_path       text,
    mime_type         text,
    size_bytes        bigint CHECK (size_bytes >= 0),
    -- sha256 of the file bytes.
    content_hash      text,
    language          text,
    status            text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
    error             text,
    chunk_count       integer NOT NULL DEFAULT 0 CHECK (chunk_count >= 0),
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    processed_at      timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_org_status_idx ON documents (org_id, status);
CREATE INDEX documents_org_hash_idx ON documents (org_id, content_hash)
    WHERE content_hash IS NOT NULL;
CREATE INDEX documents_kb_idx ON documents (knowledge_base_id) WHERE knowledge_base_id IS NOT NULL;
CREATE TRIGGER documents_set_updated_at BEFORE UPDATE ON documents
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A retrievable piece of a document, in order.
CREATE TABLE document_chunks (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    document_id uuid NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ord         integer NOT NULL CHECK (ord >= 0),
    text        text NOT NULL,
    -- Section heading path, page number, sheet/row for spreadsheets.
    heading     text,
    metadata    jsonb NOT NULL DEFAULT '{}',
    token_count integer,
    language    text,
    vector_id   uuid,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_id, ord)
);
CREATE INDEX document_chunks_org_idx ON document_chunks (org_id);
CREATE INDEX document_chunks_vector_idx ON document_chunks (vector_id) WHERE vector_id IS NOT NULL;

-- Question/answer pairs: written by staff, or imported from FAQ files (document_id then points
-- at the file, and re-ingesting the file replaces its FAQs).
CREATE TABLE faqs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    knowledge_base_id uuid REFERENCES knowledge_bases (id) ON DELETE CASCADE,
    document_id       uuid REFERENCES documents (id) ON DELETE CASCADE,
    question          text NOT NULL,
    answer            text NOT NULL,
    language          text,
    category          text,
    sub_intent        text,
    tags              text[] NOT NULL DEFAULT '{}',
    is_active         boolean NOT NULL DEFAULT true,
    -- How often it was used as a draft source (cheap popularity signal).
    hit_count         integer NOT NULL DEFAULT 0,
    vector_id         uuid,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX faqs_org_idx ON faqs (org_id, language) WHERE is_active;
CREATE INDEX faqs_document_idx ON faqs (document_id) WHERE document_id IS NOT NULL;
CREATE INDEX faqs_kb_idx ON faqs (knowledge_base_id) WHERE knowledge_base_id IS NOT NULL;
CREATE INDEX faqs_vector_idx ON faqs (vector_id) WHERE vector_id IS NOT NULL;
CREATE TRIGGER faqs_set_updated_at BEFORE UPDATE ON faqs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Reply templates with fields ("The price of {product} is {price} {currency} per {unit}"),
-- chosen by category/sub-intent by the offline engine. external_template_id marks a template
-- pre-approved on the platform (Twilio Content SID for WhatsApp outside the 24-hour window).
CREATE TABLE response_templates (
    id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                 text NOT NULL,
    kind                 text NOT NULL DEFAULT 'reply'
                         CHECK (kind IN ('reply', 'followup', 'greeting', 'handoff', 'quote',
                                         'campaign')),
    category             text CHECK (category IN ('question', 'praise', 'complaint', 'spam',
                                                  'purchase_intent', 'other')),
    sub_intent           text,
    language             text NOT NULL DEFAULT 'en',
    body                 text NOT NULL,
    -- Field names used in body, e.g. {product,price,currency,unit}.
    fields               text[] NOT NULL DEFAULT '{}',
    platform             text CHECK (platform IN ('telegram', 'whatsapp', 'wechat', 'wecom')),
    external_template_id text,
    priority             integer NOT NULL DEFAULT 0,
    is_active            boolean NOT NULL DEFAULT true,
    usage_count          integer NOT NULL DEFAULT 0,
    created_by           uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name, language)
);
CREATE INDEX response_templates_lookup_idx
    ON response_templates (org_id, category, sub_intent, language) WHERE is_active;
CREATE TRIGGER response_templates_set_updated_at BEFORE UPDATE ON response_templates
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Replies staff approved or edited (and their translations): retrieval learns from them.
-- One entry per decided suggestion, so recording it is idempotent.
CREATE TABLE corpus_entries (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    suggestion_id     uuid UNIQUE REFERENCES reply_suggestions (id) ON DELETE SET NULL,
    -- The inbound message that was answered.
    message_id        uuid REFERENCES messages (id) ON DELETE SET NULL,
    source            text NOT NULL DEFAULT 'approved'
                      CHECK (source IN ('approved', 'edited', 'manual', 'translation', 'import')),
    translation_of_id uuid REFERENCES corpus_entries (id) ON DELETE CASCADE,
    question          text NOT NULL,
    answer            text NOT NULL,
    language          text,
    category          text,
    sub_intent        text,
    is_active         boolean NOT NULL DEFAULT true,
    approved_by       uuid REFERENCES users (id) ON DELETE SET NULL,
    vector_id         uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX corpus_entries_org_created_idx ON corpus_entries (org_id, created_at);
CREATE INDEX corpus_entries_message_idx ON corpus_entries (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX corpus_entries_translation_idx ON corpus_entries (translation_of_id)
    WHERE translation_of_id IS NOT NULL;
CREATE INDEX corpus_entries_vector_idx ON corpus_entries (vector_id) WHERE vector_id IS NOT NULL;
CREATE INDEX corpus_entries_approved_by_idx ON corpus_entries (approved_by)
    WHERE approved_by IS NOT NULL;
CREATE TRIGGER corpus_entries_set_updated_at BEFORE UPDATE ON corpus_entries
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Facts about one customer worth remembering (preferences, needs, quantities, country, events).
-- Never shared across customers: customer_id is required. 'shared' means visible to every
-- staff member and channel of this customer, not to other customers.
CREATE TABLE memories (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id       uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    memory_type       text NOT NULL DEFAULT 'long'
                      CHECK (memory_type IN ('short', 'long', 'shared')),
    -- preference, need, quantity, location, language, event, ...
    category          text,
    content           text NOT NULL,
    importance        real NOT NULL DEFAULT 0.5 CHECK (importance BETWEEN 0 AND 1),
    -- Importance lost per day by the decay sweep.
    decay_rate        real NOT NULL DEFAULT 0.01 CHECK (decay_rate >= 0),
    -- 'llm', 'rules' (offline extraction) or 'staff' (added/edited by a person).
    source            text NOT NULL DEFAULT 'rules' CHECK (source IN ('llm', 'rules', 'staff')),
    access_count      integer NOT NULL DEFAULT 0,
    last_accessed_at  timestamptz,
    expires_at        timestamptz,
    source_message_id uuid REFERENCES messages (id) ON DELETE SET NULL,
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    vector_id         uuid,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX memories_customer_idx ON memories (customer_id, memory_type, importance DESC);
CREATE INDEX memories_org_idx ON memories (org_id);
CREATE INDEX memories_expires_idx ON memories (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX memories_source_message_idx ON memories (source_message_id)
    WHERE source_message_id IS NOT NULL;
CREATE INDEX memories_vector_idx ON memories (vector_id) WHERE vector_id IS NOT NULL;
CREATE TRIGGER memories_set_updated_at BEFORE UPDATE ON memories
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
