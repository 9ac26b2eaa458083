-- 0003 CRM: customers and how we reach them, tags, timeline, leads and deals.
-- (hot_leads is in 0004 because it points at messages and classifications.)

-- A person or company buying from the merchant. One customer may write from several apps
-- (customer_identities); duplicates are merged by pointing merged_into_id at the survivor.
CREATE TABLE customers (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    display_name    text,
    language        text,
    country         text,
    timezone        text,
    email           text,
    phone           text,
    company         text,
    status          text NOT NULL DEFAULT 'new'
                    CHECK (status IN ('new', 'lead', 'negotiating',
                                      'customer', 'churned', 'blocked')),
    -- 0..100, same scale as leads.score and message_classifications.lead_score.
    lead_score      integer NOT NULL DEFAULT 0 CHECK (lead_score BETWEEN 0 AND 100),
    -- Sandbox customers of `trademate try`: never sent to, excluded from stats, leads, follow-ups.
    is_test         boolean NOT NULL DEFAULT false,
    merged_into_id  uuid REFERENCES customers (id) ON DELETE SET NULL,
    owner_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,
    notes           text,
    attributes      jsonb NOT NULL DEFAULT '{}',
    last_inbound_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT customers_not_merged_into_self CHECK (merged_into_id <> id),
    -- Target of composite foreign keys: a child row must belong to its customer's org.
    CONSTRAINT customers_id_org_key UNIQUE (id, org_id)
);
-- `/customer NAME`: equality and prefix LIKE on lower(display_name) in any collation.
CREATE INDEX customers_org_name_idx ON customers (org_id, lower(display_name) text_pattern_ops);
-- Silent-customer sweep: lead/negotiating customers with no inbound for N days.
CREATE INDEX customers_org_status_inbound_idx ON customers (org_id, status, last_inbound_at)
    WHERE NOT is_test AND merged_into_id IS NULL;
CREATE INDEX customers_org_email_idx ON customers (org_id, lower(email)) WHERE email IS NOT NULL;
CREATE INDEX customers_org_phone_idx ON customers (org_id, phone) WHERE phone IS NOT NULL;
CREATE INDEX customers_test_idx ON customers (org_id) WHERE is_test;
CREATE INDEX customers_merged_into_idx ON customers (merged_into_id)
    WHERE merged_into_id IS NOT NULL;
CREATE INDEX customers_owner_idx ON customers (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE TRIGGER customers_set_updated_at BEFORE UPDATE ON customers
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- The account a customer writes from on one channel (Telegram user id, whatsapp:+34...,
-- WeChat OpenID, WeCom external userid). Intake upserts on (channel_id, external_id).
CREATE TABLE customer_identities (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id  uuid NOT NULL,
    channel_id   uuid NOT NULL,
    external_id  text NOT NULL,
    display_name text,
    -- Platform profile as last seen (username, language_code, avatar, ...).
    profile      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (channel_id, external_id),
    -- Composite keys: the database itself refuses an identity whose customer or channel
    -- belongs to another organization.
    FOREIGN KEY (customer_id, org_id) REFERENCES customers (id, org_id) ON DELETE CASCADE,
    FOREIGN KEY (channel_id, org_id) REFERENCES channels (id, org_id) ON DELETE CASCADE
);
CREATE INDEX customer_identities_customer_idx ON customer_identities (customer_id);
CREATE INDEX customer_identities_org_idx ON customer_identities (org_id);
CREATE TRIGGER customer_identities_set_updated_at BEFORE UPDATE ON customer_identities
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Further ways to reach a customer, or people at a customer company (buyer, accountant).
CREATE TABLE customer_contacts (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id  uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('email', 'phone', 'whatsapp', 'telegram', 'wechat',
                                               'wecom', 'address', 'website', 'other')),
    value        text NOT NULL,
    -- The person this contact point belongs to, and their role ("purchasing manager").
    contact_name text,
    label        text,
    is_primary   boolean NOT NULL DEFAULT false,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (customer_id, kind, value)
);
CREATE INDEX customer_contacts_org_idx ON customer_contacts (org_id);
CREATE TRIGGER customer_contacts_set_updated_at BEFORE UPDATE ON customer_contacts
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Labels a merchant puts on customers ("VIP", "EU distributor").
CREATE TABLE tags (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text NOT NULL,
    color       text,
    description text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX tags_org_name_key ON tags (org_id, lower(name));
CREATE TRIGGER tags_set_updated_at BEFORE UPDATE ON tags
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Which customer carries which tag.
CREATE TABLE customer_tags (
    customer_id uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    tag_id      uuid NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    source      text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'ai', 'rule', 'import')),
    added_by    uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, tag_id)
);
CREATE INDEX customer_tags_tag_idx ON customer_tags (tag_id);
CREATE INDEX customer_tags_org_idx ON customer_tags (org_id);

-- The customer timeline: notes, calls, status changes, quotes sent, merges.
CREATE TABLE customer_activities (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id   uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('note', 'call', 'email', 'meeting', 'message',
                                                'status_change', 'tag', 'quote', 'deal',
                                                'followup', 'merge', 'system')),
    summary       text,
    data          jsonb NOT NULL DEFAULT '{}',
    -- Loose pointer to the row the activity is about (quotation, deal, followup, ...).
    entity_type   text,
    entity_id     uuid,
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    occurred_at   timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX customer_activities_customer_idx
    ON customer_activities (customer_id, occurred_at DESC);
CREATE INDEX customer_activities_org_idx ON customer_activities (org_id, occurred_at DESC);

-- A sales opportunity: from a hot-lead classification, an ad click (UTM), an import or staff.
-- customer_id is NULL only for leads not yet matched to someone who wrote to us.
CREATE TABLE leads (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id   uuid REFERENCES customers (id) ON DELETE CASCADE,
    title         text,
    source        text NOT NULL DEFAULT 'chat'
                  CHECK (source IN ('chat', 'classification', 'manual', 'import', 'campaign',
                                    'ad', 'website', 'referral', 'other')),
    utm_source    text,
    utm_medium    text,
    utm_campaign  text,
    utm_term      text,
    utm_content   text,
    score         integer NOT NULL DEFAULT 0 CHECK (score BETWEEN 0 AND 100),
    status        text NOT NULL DEFAULT 'new'
                  CHECK (status IN ('new', 'contacted', 'qualified', 'negotiating', 'won',
                                    'lost', 'disqualified')),
    -- Contact data for leads without a customer yet (form fills, imports).
    contact_name  text,
    contact_email text,
    contact_phone text,
    company       text,
    owner_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    notes         text,
    attributes    jsonb NOT NULL DEFAULT '{}',
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- At most one open lead per customer, so classification can upsert it.
CREATE UNIQUE INDEX leads_one_open_per_customer_key ON leads (customer_id)
    WHERE status NOT IN ('won', 'lost', 'disqualified');
CREATE INDEX leads_org_status_idx ON leads (org_id, status, score DESC);
CREATE INDEX leads_customer_idx ON leads (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX leads_owner_idx ON leads (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE TRIGGER leads_set_updated_at BEFORE UPDATE ON leads
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- History of a lead: notes, status and score changes, contacts made.
CREATE TABLE lead_activities (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    lead_id       uuid NOT NULL REFERENCES leads (id) ON DELETE CASCADE,
    kind          text NOT NULL CHECK (kind IN ('note', 'status_change', 'score_change', 'message',
                                                'call', 'email', 'meeting', 'quote', 'task',
                                                'system')),
    content       text,
    data          jsonb NOT NULL DEFAULT '{}',
    actor_user_id uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX lead_activities_lead_idx ON lead_activities (lead_id, created_at);
CREATE INDEX lead_activities_org_idx ON lead_activities (org_id);

-- A deal in the pipeline; an accepted quotation can create or advance one.
CREATE TABLE deals (
    id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id              uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id         uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    lead_id             uuid REFERENCES leads (id) ON DELETE SET NULL,
    title               text NOT NULL,
    stage               text NOT NULL DEFAULT 'qualification'
                        CHECK (stage IN ('qualification', 'needs_analysis', 'quotation',
                                         'negotiation', 'won', 'lost')),
    amount              numeric(14, 4) CHECK (amount >= 0),
    currency            char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    -- Win probability as a fraction 0..1 (numeric so amount * probability stays exact).
    probability         numeric(5, 4) NOT NULL DEFAULT 0 CHECK (probability BETWEEN 0 AND 1),
    expected_close_date date,
    owner_user_id       uuid REFERENCES users (id) ON DELETE SET NULL,
    lost_reason         text,
    closed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deals_org_stage_idx ON deals (org_id, stage, updated_at DESC);
CREATE INDEX deals_customer_idx ON deals (customer_id);
CREATE INDEX deals_lead_idx ON deals (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX deals_owner_idx ON deals (owner_user_id) WHERE owner_user_id IS NOT NULL;
CREATE TRIGGER deals_set_updated_at BEFORE UPDATE ON deals
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
