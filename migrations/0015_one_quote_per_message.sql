-- A customer message drafts at most one quote, even when two workers process it at once: the
-- pipeline's check-then-create is backed by this key (the old index only sped up the check).
DROP INDEX quotations_source_message_idx;
CREATE UNIQUE INDEX quotations_source_message_key ON quotations (org_id, source_message_id)
    WHERE source_message_id IS NOT NULL;
