-- 0011 the staff bot's approval cards.
--
-- A card is claimed (row inserted) before it is sent, so two workers never push the same card
-- twice: until Telegram answers, the row has no message id. The bot that sent it is kept, so
-- a decision taken anywhere edits each copy through the same bot (an org may have several).
ALTER TABLE approval_cards ALTER COLUMN telegram_message_id DROP NOT NULL;
ALTER TABLE approval_cards
    ADD COLUMN channel_id uuid REFERENCES channels (id) ON DELETE CASCADE;
COMMENT ON COLUMN approval_cards.telegram_message_id IS
    'NULL while the card is being sent (the row is the claim that prevents a second copy).';
COMMENT ON COLUMN approval_cards.channel_id IS
    'The Telegram channel (bot) the card was sent through; edits go through the same bot.';
