-- 0002 channels: the merchant's accounts on each messaging platform, and rejected webhooks.

-- One connected account (a Telegram bot, a Twilio WhatsApp sender, a WeChat Official Account,
-- a WeCom app). Webhooks arrive at /webhooks/{platform}/{id}.
CREATE TABLE channels (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id           uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    platform         text NOT NULL CHECK (platform IN ('telegram', 'whatsapp', 'wechat', 'wecom')),
    name             text NOT NULL,
    -- Platform credentials (tokens, AES keys, Twilio auth token), encrypted by storage/ with a
    -- key from the environment; never stored in clear.
    config_encrypted bytea NOT NULL,
    -- Shared secret checked on every webhook (Telegram secret token, WeChat token, ...).
    webhook_secret   text NOT NULL,
    -- Public identity on the platform: bot username, WhatsApp sender number, AppID, CorpID.
    external_id      text,
    status           text NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'paused', 'error', 'disabled')),
    -- Counters and health for dashboards (inbound/outbound totals, last webhook time, ...).
    stats            jsonb NOT NULL DEFAULT '{}',
    last_error       text,
    last_error_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (org_id, name),
    -- Target of composite foreign keys: a child row must belong to its channel's org.
    CONSTRAINT channels_id_org_key UNIQUE (id, org_id)
);
CREATE INDEX channels_org_platform_idx ON channels (org_id, platform);
CREATE TRIGGER channels_set_updated_at BEFORE UPDATE ON channels
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

-- Webhooks refused as forged (401/403) or malformed (400), kept for inspection. Not a normal
-- tenant table: the org and channel may be unknown (bad channel id in the URL), so both are
-- nullable. Identity key because this is append-only and may be flooded.
CREATE TABLE webhook_rejects (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      uuid REFERENCES organizations (id) ON DELETE CASCADE,
    channel_id  uuid REFERENCES channels (id) ON DELETE SET NULL,
    platform    text,
    status_code integer NOT NULL,
    reason      text NOT NULL,
    headers     jsonb NOT NULL DEFAULT '{}',
    body        bytea,
    remote_addr text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_rejects_created_idx ON webhook_rejects (created_at);
CREATE INDEX webhook_rejects_org_created_idx ON webhook_rejects (org_id, created_at)
    WHERE org_id IS NOT NULL;
CREATE INDEX webhook_rejects_channel_idx ON webhook_rejects (channel_id)
    WHERE channel_id IS NOT NULL;
