-- 0009 intake in one round trip.
--
-- The webhook path stores each inbound message with one statement instead of seven
-- (BEGIN, identity lookup, customer touch, conversation upsert, message insert, COMMIT):
-- round trips, not SQL, were what limited intake. The steps are the same as the
-- repositories' (customers.upsert_by_identity, conversations.upsert_active,
-- messages.insert_inbound), and the same constraints guarantee them: a race for a new
-- customer's identity, or a platform retry racing the first delivery, resolves on the
-- unique keys exactly as it does there.
CREATE FUNCTION intake_message(
    p_org_id       uuid,
    p_channel_id   uuid,
    p_sender_id    text,
    p_sender_name  text,
    p_language     text,
    p_profile      jsonb,
    p_sent_at      timestamptz,
    p_external_id  text,
    p_content      text,
    p_content_type text,
    p_media        jsonb,
    p_metadata     jsonb,
    OUT message_id uuid,
    OUT created    boolean,
    OUT customer_id uuid,
    OUT conversation_id uuid
)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    -- Locals, not the OUT names, inside SQL: the OUT names are also column names.
    v_customer     uuid;
    v_conversation uuid;
    v_message      uuid;
BEGIN
    -- Customer and identity: find, or create both (the identity's unique key decides races).
    SELECT i.customer_id INTO v_customer
    FROM customer_identities i
    WHERE i.channel_id = p_channel_id AND i.external_id = p_sender_id AND i.org_id = p_org_id;
    IF v_customer IS NULL THEN
        INSERT INTO customers (org_id, display_name, language, last_inbound_at)
        VALUES (p_org_id, p_sender_name, p_language, p_sent_at)
        RETURNING id INTO v_customer;
        INSERT INTO customer_identities
            (org_id, customer_id, channel_id, external_id, display_name, profile)
        VALUES (p_org_id, v_customer, p_channel_id, p_sender_id, p_sender_name, p_profile)
        ON CONFLICT (channel_id, external_id) DO NOTHING;
        IF NOT FOUND THEN
            -- Another delivery created this person first: use theirs, drop ours.
            DELETE FROM customers WHERE id = v_customer;
            SELECT i.customer_id INTO v_customer
            FROM customer_identities i
            WHERE i.channel_id = p_channel_id AND i.external_id = p_sender_id
              AND i.org_id = p_org_id;
            IF v_customer IS NULL THEN
                RAISE EXCEPTION 'identity % on channel % belongs to another organization',
                    p_sender_id, p_channel_id USING ERRCODE = 'foreign_key_violation';
            END IF;
        END IF;
    ELSE
        -- Only write when time moves forward: most messages change nothing here.
        UPDATE customers SET last_inbound_at = p_sent_at
        WHERE id = v_customer AND (last_inbound_at IS NULL OR last_inbound_at < p_sent_at);
    END IF;

    -- The customer's open conversation on this channel; last_inbound_at only moves forward.
    INSERT INTO conversations AS c
        (org_id, customer_id, channel_id, last_inbound_at, last_message_at)
    VALUES (p_org_id, v_customer, p_channel_id, p_sent_at, p_sent_at)
    ON CONFLICT (channel_id, customer_id) WHERE status <> 'closed' DO UPDATE SET
        last_inbound_at = GREATEST(c.last_inbound_at, EXCLUDED.last_inbound_at),
        last_message_at = GREATEST(c.last_message_at, EXCLUDED.last_message_at)
    RETURNING c.id INTO v_conversation;

    -- The message; (channel_id, external_message_id) makes a re-delivery a no-op.
    INSERT INTO messages (org_id, conversation_id, channel_id, customer_id, direction,
                          sender_type, content, content_type, media, metadata,
                          external_message_id, status)
    VALUES (p_org_id, v_conversation, p_channel_id, v_customer, 'inbound', 'customer',
            p_content, p_content_type, p_media, p_metadata, p_external_id, 'received')
    ON CONFLICT (channel_id, external_message_id) DO NOTHING
    RETURNING id INTO v_message;
    created := v_message IS NOT NULL;
    IF NOT created THEN
        SELECT m.id INTO v_message FROM messages m
        WHERE m.channel_id = p_channel_id AND m.external_message_id = p_external_id;
    END IF;
    message_id := v_message;
    customer_id := v_customer;
    conversation_id := v_conversation;
END;
$$;

-- Group commit: many messages (from concurrent webhooks) in one statement and one commit.
-- Arrays are parallel, one element per message; rows come back in input order (idx).
-- Callers sort by (channel, sender) so concurrent batches take row locks in one order.
CREATE FUNCTION intake_messages(
    p_org_ids       uuid[],
    p_channel_ids   uuid[],
    p_sender_ids    text[],
    p_sender_names  text[],
    p_languages     text[],
    p_profiles      jsonb[],
    p_sent_ats      timestamptz[],
    p_external_ids  text[],
    p_contents      text[],
    p_content_types text[],
    p_media         jsonb[],
    p_metadata      jsonb[]
)
RETURNS TABLE (idx integer, message_id uuid, created boolean, customer_id uuid,
               conversation_id uuid)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1 .. coalesce(array_length(p_org_ids, 1), 0) LOOP
        RETURN QUERY
            SELECT i, r.message_id, r.created, r.customer_id, r.conversation_id
            FROM intake_message(p_org_ids[i], p_channel_ids[i], p_sender_ids[i],
                                p_sender_names[i], p_languages[i], p_profiles[i],
                                p_sent_ats[i], p_external_ids[i], p_contents[i],
                                p_content_types[i], p_media[i], p_metadata[i]) AS r;
    END LOOP;
END;
$$;
