-- 0020 memory indexing records a row's own failure, as 0019 does for the knowledge kinds.

-- A memory that failed to index while others of its batch indexed records when
-- (agents.memory.service.MemoryService.index_pending); the indexer's claims pass it over for a
-- while. Until now each worker process kept that list in memory: every worker gave up on its
-- own after three failures, and a restart tried the row again from scratch. Cleared when the
-- memory is indexed or its content changes.
ALTER TABLE memories ADD COLUMN vector_failed_at timestamptz;

-- Recording a failure is no edit of the memory: updated_at must not move (0018). Decay runs
-- from it, and vector_spaces.requeue_memories counts a row written in the last minutes as new.
DROP TRIGGER memories_set_updated_at ON memories;
CREATE TRIGGER memories_set_updated_at BEFORE UPDATE ON memories FOR EACH ROW
    WHEN (to_jsonb(OLD) - '{vector_id,vector_space,vector_failed_at,updated_at}'::text[]
          IS DISTINCT FROM
          to_jsonb(NEW) - '{vector_id,vector_space,vector_failed_at,updated_at}'::text[])
    EXECUTE FUNCTION set_updated_at();
