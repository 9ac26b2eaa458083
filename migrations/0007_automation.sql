-- 0007 automation: follow-ups, campaigns, workflows, the suppression list, long jobs and
-- daily stats. Schedulers claim due rows with FOR UPDATE SKIP LOCKED, so several instances
-- never do the same work twice.

-- A planned proactive touch: chase a silent customer, remind before a quote expires, or a
-- staff `/remind CUSTOMER 3d note`. A sweep claims it, drafts a message (reply_suggestions kind
-- 'followup') and records the outcome.
CREATE TABLE followups (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    -- Set for quote reminders; the reminder goes away with the quote.
    quotation_id    uuid REFERENCES quotations (id) ON DELETE CASCADE,
    due_at          timestamptz NOT NULL,
    -- Why it exists: 'manual', 'silent_customer', 'quote_expiry', ... (free text by design).
    reason          text,
    note            text,
    status          text NOT NULL DEFAULT 'scheduled'
                    CHECK (status IN ('scheduled', 'claimed', 'drafted', 'sent', 'cancelled',
                                      'skipped', 'failed')),
    -- Makes sweeps idempotent: 'silent:<customer>:<last_inbound_at>', 'quote_expiry:<quote>'.
    -- INSERT ... ON CONFLICT (org_id, dedupe_key) DO NOTHING. NULL for manual reminders.
    dedupe_key      text,
    -- The draft made for it.
    suggestion_id   uuid REFERENCES reply_suggestions (id) ON DELETE SET NULL,
    created_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    claimed_by      text,
    claimed_at      timestamptz,
    attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    error           text,
    done_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT followups_org_dedupe_key UNIQUE (org_id, dedupe_key)
);
-- Due sweep: WHERE status = 'scheduled' AND due_at <= now() (and stale 'claimed' rows).
CREATE INDEX followups_status_due_idx ON followups (status, due_at);
-- `/followups`: an org's upcoming list.
CREATE INDEX followups_org_status_due_idx ON followups (org_id, status, due_at);
CREATE INDEX followups_customer_idx ON followups (customer_id);
CREATE INDEX followups_conversation_idx ON followups (conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX followups_quotation_idx ON followups (quotation_id) WHERE quotation_id IS NOT NULL;
CREATE INDEX followups_suggestion_idx ON followups (suggestion_id) WHERE suggestion_id IS NOT NULL;
CREATE TRIGGER followups_set_updated_at BEFORE UPDATE ON followups
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A broadcast to a filtered audience on one channel (opt-outs and WhatsApp templates apply).
CREATE TABLE campaigns (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name              text NOT NULL,
    description       text,
    channel_id        uuid REFERENCES channels (id) ON DELETE SET NULL,
    status            text NOT NULL DEFAULT 'draft'
                      CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'completed',
                                        'cancelled', 'failed')),
    -- Filter over customers: {"status": ["lead"], "tags": ["VIP"], "language": "es"}.
    audience          jsonb NOT NULL DEFAULT '{}',
    template_id       uuid REFERENCES response_templates (id) ON DELETE SET NULL,
    message_text      text,
    language          text,
    utm_campaign      text,
    requires_approval boolean NOT NULL DEFAULT true,
    scheduled_at      timestamptz,
    started_at        timestamptz,
    finished_at       timestamptz,
    -- Totals: targeted, sent, delivered, read, replied, failed, opted_out.
    stats             jsonb NOT NULL DEFAULT '{}',
    created_by        uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
CREATE INDEX campaigns_due_idx ON campaigns (scheduled_at) WHERE status = 'scheduled';
CREATE INDEX campaigns_channel_idx ON campaigns (channel_id) WHERE channel_id IS NOT NULL;
CREATE INDEX campaigns_template_idx ON campaigns (template_id) WHERE template_id IS NOT NULL;
CREATE TRIGGER campaigns_set_updated_at BEFORE UPDATE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One recipient of a campaign; unique per (campaign, customer) so a resumed run never sends twice.
CREATE TABLE campaign_executions (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id          uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    campaign_id     uuid NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
    customer_id     uuid NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    conversation_id uuid REFERENCES conversations (id) ON DELETE SET NULL,
    message_id      uuid REFERENCES messages (id) ON DELETE SET NULL,
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'skipped', 'sent', 'delivered', 'read',
                                      'replied', 'failed', 'opted_out')),
    error           text,
    sent_at         timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (campaign_id, customer_id)
);
CREATE INDEX campaign_executions_campaign_status_idx ON campaign_executions (campaign_id, status);
CREATE INDEX campaign_executions_org_idx ON campaign_executions (org_id);
CREATE INDEX campaign_executions_customer_idx ON campaign_executions (customer_id);
CREATE INDEX campaign_executions_conversation_idx ON campaign_executions (conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX campaign_executions_message_idx ON campaign_executions (message_id)
    WHERE message_id IS NOT NULL;
CREATE TRIGGER campaign_executions_set_updated_at BEFORE UPDATE ON campaign_executions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- A merchant-defined automation: a trigger and ordered steps ("when a complaint arrives, tag
-- the customer and notify the owner").
CREATE TABLE workflows (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name           text NOT NULL,
    description    text,
    trigger_type   text NOT NULL CHECK (trigger_type IN ('message_received', 'classified',
                                                         'keyword', 'schedule', 'lead_created',
                                                         'quote_status', 'manual')),
    trigger_config jsonb NOT NULL DEFAULT '{}',
    -- [{"type": "tag", "tag": "complaint"}, {"type": "notify", "role": "owner"}, ...]
    steps          jsonb NOT NULL DEFAULT '[]',
    is_active      boolean NOT NULL DEFAULT false,
    version        integer NOT NULL DEFAULT 1,
    created_by     uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
CREATE INDEX workflows_active_trigger_idx ON workflows (org_id, trigger_type) WHERE is_active;
CREATE TRIGGER workflows_set_updated_at BEFORE UPDATE ON workflows
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One run of a workflow, with per-step log.
CREATE TABLE workflow_executions (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    workflow_id      uuid NOT NULL REFERENCES workflows (id) ON DELETE CASCADE,
    workflow_version integer NOT NULL DEFAULT 1,
    status           text NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
    customer_id      uuid REFERENCES customers (id) ON DELETE SET NULL,
    conversation_id  uuid REFERENCES conversations (id) ON DELETE SET NULL,
    message_id       uuid REFERENCES messages (id) ON DELETE SET NULL,
    trigger_payload  jsonb NOT NULL DEFAULT '{}',
    current_step     integer NOT NULL DEFAULT 0,
    step_log         jsonb NOT NULL DEFAULT '[]',
    error            text,
    started_at       timestamptz,
    finished_at      timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX workflow_executions_workflow_idx ON workflow_executions (workflow_id, created_at DESC);
CREATE INDEX workflow_executions_pending_idx ON workflow_executions (created_at)
    WHERE status IN ('pending', 'running');
CREATE INDEX workflow_executions_org_idx ON workflow_executions (org_id);
CREATE INDEX workflow_executions_customer_idx ON workflow_executions (customer_id)
    WHERE customer_id IS NOT NULL;
CREATE INDEX workflow_executions_conversation_idx ON workflow_executions (conversation_id)
    WHERE conversation_id IS NOT NULL;
CREATE INDEX workflow_executions_message_idx ON workflow_executions (message_id)
    WHERE message_id IS NOT NULL;
CREATE TRIGGER workflow_executions_set_updated_at BEFORE UPDATE ON workflow_executions
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Suppression list: customers who said STOP / 退订 / BAJA (or were opted out by staff) never get
-- proactive messages. Matched by customer, or by (channel_id / platform, external_id) for an
-- address we have no customer for yet (imports, opt-outs received before first contact).
CREATE TABLE opt_outs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    customer_id uuid REFERENCES customers (id) ON DELETE CASCADE,
    channel_id  uuid REFERENCES channels (id) ON DELETE SET NULL,
    platform    text CHECK (platform IN ('telegram', 'whatsapp', 'wechat', 'wecom')),
    external_id text,
    reason      text,
    -- The word that triggered it ('STOP', '退订'); NULL when set by staff.
    keyword     text,
    source      text NOT NULL DEFAULT 'keyword'
                CHECK (source IN ('keyword', 'staff', 'platform', 'import', 'api')),
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT opt_outs_org_customer_key UNIQUE (org_id, customer_id),
    CONSTRAINT opt_outs_target_check CHECK (customer_id IS NOT NULL OR external_id IS NOT NULL)
);
CREATE INDEX opt_outs_external_idx ON opt_outs (org_id, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX opt_outs_customer_idx ON opt_outs (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX opt_outs_channel_idx ON opt_outs (channel_id) WHERE channel_id IS NOT NULL;

-- Long-running tasks (kb ingest, model training, product import, campaign sends) with progress
-- for the CLI, bot and web. Claimed by workers with FOR UPDATE SKIP LOCKED. org_id NULL for
-- installation-wide jobs.
CREATE TABLE jobs (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid REFERENCES organizations (id) ON DELETE CASCADE,
    kind        text NOT NULL,
    status      text NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    -- Fraction done, 0..1.
    progress    real NOT NULL DEFAULT 0 CHECK (progress >= 0),
    total       integer,
    done        integer NOT NULL DEFAULT 0,
    payload     jsonb NOT NULL DEFAULT '{}',
    result      jsonb,
    error       text,
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- Not before this time (delayed start, retry backoff).
    run_after   timestamptz NOT NULL DEFAULT now(),
    locked_by   text,
    locked_at   timestamptz,
    started_at  timestamptz,
    finished_at timestamptz,
    created_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX jobs_queued_idx ON jobs (run_after) WHERE status = 'queued';
CREATE INDEX jobs_running_idx ON jobs (locked_at) WHERE status = 'running';
CREATE INDEX jobs_org_created_idx ON jobs (org_id, created_at DESC);
CREATE TRIGGER jobs_set_updated_at BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One row per org per local day, written (upserted) by the daily-stats sweep: inbound, drafted,
-- approved, edited, auto_sent, median response seconds, ... Test rows are excluded.
CREATE TABLE daily_stats (
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    day        date NOT NULL,
    metrics    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, day)
);
CREATE TRIGGER daily_stats_set_updated_at BEFORE UPDATE ON daily_stats
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
