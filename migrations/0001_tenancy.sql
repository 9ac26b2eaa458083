-- 0001 tenancy and access: organizations, staff, keys, usage, audit, notifications, config.
--
-- Conventions for every migration (see docs/schema.md):
--   * uuid primary keys from gen_random_uuid() (core since PostgreSQL 13, no extension);
--   * every tenant table has org_id NOT NULL REFERENCES organizations ON DELETE CASCADE;
--   * timestamptz everywhere, numeric for money and rates, jsonb with NOT NULL defaults;
--   * enums are text + CHECK so a later migration can extend them with one ALTER;
--   * no schema-qualified names, so tests can apply the whole set inside a scratch schema.

-- Trigger function shared by every table that has an updated_at column.
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-- An organization is one merchant: the tenant every other row belongs to.
CREATE TABLE organizations (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name             text NOT NULL,
    slug             text NOT NULL UNIQUE CHECK (slug <> ''),
    plan             text NOT NULL DEFAULT 'free'
                     CHECK (plan IN ('free', 'starter', 'pro', 'enterprise')),
    -- Limits of the plan, e.g. {"monthly_messages": 5000, "daily_llm_budget_usd": "2.00"}.
    quota            jsonb NOT NULL DEFAULT '{}',
    -- Merchant preferences: autopilot, policy thresholds, quiet hours, follow-up days, ...
    settings         jsonb NOT NULL DEFAULT '{}',
    timezone         text NOT NULL DEFAULT 'UTC',
    default_language text NOT NULL DEFAULT 'en',
    -- Catalog and quotation default (ISO 4217).
    default_currency char(3) NOT NULL DEFAULT 'USD' CHECK (default_currency ~ '^[A-Z]{3}$'),
    -- Logo shown on quotation PDFs (path under the data directory or URL).
    logo_path        text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Groups of staff (e.g. "Sales EU", "After-sales"); a user belongs to at most one team.
CREATE TABLE teams (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name        text NOT NULL,
    description text,
    settings    jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name)
);
CREATE TRIGGER teams_set_updated_at BEFORE UPDATE ON teams
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Staff accounts of a merchant (web inbox login, linked Telegram account for the staff bot).
CREATE TABLE users (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email            text NOT NULL,
    display_name     text,
    role             text NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'readonly')),
    password_hash    text,
    telegram_user_id bigint,
    team_id          uuid REFERENCES teams (id) ON DELETE SET NULL,
    is_active        boolean NOT NULL DEFAULT true,
    -- Receives approval cards and escalations when true.
    on_duty          boolean NOT NULL DEFAULT true,
    -- Personal preferences (UI language, notification choices).
    settings         jsonb NOT NULL DEFAULT '{}',
    last_login_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_org_email_key ON users (org_id, lower(email));
CREATE UNIQUE INDEX users_org_telegram_key ON users (org_id, telegram_user_id)
    WHERE telegram_user_id IS NOT NULL;
-- The staff bot sees only the Telegram user id, not the org.
CREATE INDEX users_telegram_user_idx ON users (telegram_user_id)
    WHERE telegram_user_id IS NOT NULL;
CREATE INDEX users_team_idx ON users (team_id) WHERE team_id IS NOT NULL;
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- One-time codes that link a Telegram account to a user (`user link-code`, then `/link CODE`).
CREATE TABLE user_link_codes (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Only a hash is stored; the code itself is shown once.
    code_hash  text NOT NULL UNIQUE,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_link_codes_org_idx ON user_link_codes (org_id);
CREATE INDEX user_link_codes_user_idx ON user_link_codes (user_id);

-- API keys for programmatic access; only the hash of the secret is kept.
CREATE TABLE api_keys (
    id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id                uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                  text NOT NULL,
    key_hash              text NOT NULL UNIQUE,
    -- First characters of the key, shown in listings so owners can tell keys apart.
    prefix                text NOT NULL,
    scopes                text[] NOT NULL DEFAULT '{}',
    rate_limit_per_minute integer NOT NULL DEFAULT 60 CHECK (rate_limit_per_minute > 0),
    created_by            uuid REFERENCES users (id) ON DELETE SET NULL,
    last_used_at          timestamptz,
    expires_at            timestamptz,
    revoked_at            timestamptz,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org_idx ON api_keys (org_id);
CREATE TRIGGER api_keys_set_updated_at BEFORE UPDATE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Metered consumption (LLM tokens, embedding/translation chars, ...) with its cost;
-- the per-org daily LLM budget is a SUM over today's rows.
CREATE TABLE usage_logs (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id            uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('llm', 'embedding', 'translation',
                                                    'transcription', 'message', 'other')),
    -- What the call was for: classify, draft, memory, content, quote, ...
    feature           text,
    provider          text,
    model             text,
    prompt_tokens     integer NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
    completion_tokens integer NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
    chars             integer NOT NULL DEFAULT 0 CHECK (chars >= 0),
    cost              numeric(18, 6) NOT NULL DEFAULT 0 CHECK (cost >= 0),
    currency          char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    cached            boolean NOT NULL DEFAULT false,
    latency_ms        integer,
    -- Loose pointer to what caused the usage (message, suggestion, content piece, ...).
    entity_type       text,
    entity_id         uuid,
    metadata          jsonb NOT NULL DEFAULT '{}',
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_logs_org_created_idx ON usage_logs (org_id, created_at);
CREATE INDEX usage_logs_org_kind_created_idx ON usage_logs (org_id, kind, created_at);

-- Running totals per quota period; a new period is a new row, so the monthly "reset" is free
-- and the history stays.
CREATE TABLE org_quota_usage (
    org_id       uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    period_start date NOT NULL,
    -- Same names as the keys of organizations.quota (e.g. 'monthly_messages').
    metric       text NOT NULL,
    used         numeric(18, 6) NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, period_start, metric)
);
CREATE TRIGGER org_quota_usage_set_updated_at BEFORE UPDATE ON org_quota_usage
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Who did what to which entity, with before/after snapshots (decisions, settings, deletions).
CREATE TABLE audit_logs (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    actor_user_id      uuid REFERENCES users (id) ON DELETE SET NULL,
    actor_api_key_id   uuid REFERENCES api_keys (id) ON DELETE SET NULL,
    actor_kind         text NOT NULL DEFAULT 'system'
                       CHECK (actor_kind IN ('user', 'system', 'api_key', 'scheduler')),
    -- Dotted verb, e.g. 'suggestion.approve', 'channel.create', 'customer.merge'.
    action             text NOT NULL,
    entity_type        text,
    entity_id          uuid,
    before             jsonb,
    after              jsonb,
    -- Request context: remote address, user agent, surface ('bot', 'web', 'cli').
    metadata           jsonb NOT NULL DEFAULT '{}',
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_org_created_idx ON audit_logs (org_id, created_at DESC);
CREATE INDEX audit_logs_entity_idx ON audit_logs (org_id, entity_type, entity_id);
CREATE INDEX audit_logs_actor_idx ON audit_logs (actor_user_id) WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_logs_api_key_idx ON audit_logs (actor_api_key_id)
    WHERE actor_api_key_id IS NOT NULL;

-- Messages to staff (escalations, hot leads, quota warnings, daily reports); user_id NULL means
-- everyone on duty in the org.
CREATE TABLE notifications (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    -- e.g. 'escalation', 'hot_lead', 'draft_pending', 'quota', 'followup_due', 'daily_report'.
    kind        text NOT NULL,
    severity    text NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical')),
    title       text NOT NULL,
    body        text,
    payload     jsonb NOT NULL DEFAULT '{}',
    entity_type text,
    entity_id   uuid,
    status      text NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'sent', 'failed', 'read', 'dismissed')),
    sent_at     timestamptz,
    read_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_org_user_created_idx ON notifications (org_id, user_id, created_at DESC);
CREATE INDEX notifications_pending_idx ON notifications (created_at) WHERE status = 'pending';
CREATE INDEX notifications_user_idx ON notifications (user_id) WHERE user_id IS NOT NULL;
CREATE TRIGGER notifications_set_updated_at BEFORE UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Installation-wide settings (not a tenant table): exchange rates, feature flags, defaults.
-- Per-merchant settings live in organizations.settings.
CREATE TABLE system_configs (
    key         text PRIMARY KEY,
    value       jsonb NOT NULL,
    description text,
    updated_by  uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER system_configs_set_updated_at BEFORE UPDATE ON system_configs
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
