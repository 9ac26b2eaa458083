-- Memory vectors are written off the message path: a memory with vector_id NULL (new, or its
-- content changed since it was embedded) waits for the worker's upkeep, which claims the
-- oldest of them with FOR UPDATE SKIP LOCKED on every reconciler pass.
CREATE INDEX memories_pending_vector_idx ON memories (created_at) WHERE vector_id IS NULL;
