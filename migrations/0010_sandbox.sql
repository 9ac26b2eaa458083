-- 0010 the sandbox of `trademate try`: its channel rows, and a guarantee that they never send.
--
-- The playground stores each line a merchant types as an inbound message of a sandbox
-- customer (customers.is_test) in a sandbox conversation (conversations.is_test), so the real
-- pipeline runs on it. Messages need a channel, so each org gets one sandbox channel row per
-- platform. Such a row has no credentials, is always 'disabled' (webhooks answer 403), and the
-- database refuses any outbound message on it: whatever a later feature does with a sandbox
-- suggestion (approve it in the inbox, schedule a follow-up), nothing can be queued to send.

-- A channel created by `trademate try`, never connected to a platform.
ALTER TABLE channels ADD COLUMN is_test boolean NOT NULL DEFAULT false;
ALTER TABLE channels ADD CONSTRAINT channels_test_disabled CHECK (NOT is_test OR status = 'disabled');
-- One sandbox channel per org and platform, so concurrent `try` sessions share it.
CREATE UNIQUE INDEX channels_one_test_per_platform_key ON channels (org_id, platform)
    WHERE is_test;

CREATE FUNCTION refuse_sandbox_outbound() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM channels WHERE id = NEW.channel_id AND is_test) THEN
        RAISE EXCEPTION 'channel % is a sandbox channel: nothing is ever sent from it',
            NEW.channel_id
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END;
$$;

-- Only outbound rows pay for the check (one primary-key lookup); intake is untouched.
CREATE TRIGGER messages_refuse_sandbox_outbound
    BEFORE INSERT OR UPDATE OF channel_id, direction ON messages
    FOR EACH ROW WHEN (NEW.direction = 'outbound')
    EXECUTE FUNCTION refuse_sandbox_outbound();
