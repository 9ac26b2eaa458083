-- 0012 media files: documents we generate and send (quotation PDFs), kept in the database.
--
-- Several web processes serve `GET /media/{token}` behind a load balancer, so a file written
-- to one machine's disk would be missing on the others: the bytes live here instead (TOASTed
-- and compressed by PostgreSQL; a quotation PDF is tens of kilobytes). The signed, expiring
-- URL names the file id; the row carries everything needed to answer it.
CREATE TABLE media_files (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    org_id     uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('quotation_pdf', 'logo', 'other')),
    file_name  text NOT NULL CHECK (file_name <> ''),
    mime_type  text NOT NULL,
    content    bytea NOT NULL,
    size_bytes integer NOT NULL CHECK (size_bytes >= 0),
    -- Hex SHA-256 of content, for ETags and to notice identical re-renders.
    sha256     text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_files_org_idx ON media_files (org_id, created_at DESC);

-- The rendered PDF of a quotation (replaces pdf_path, which stays for compatibility and is
-- not written by this version).
ALTER TABLE quotations
    ADD COLUMN pdf_file_id uuid REFERENCES media_files (id) ON DELETE SET NULL;
CREATE INDEX quotations_pdf_file_idx ON quotations (pdf_file_id) WHERE pdf_file_id IS NOT NULL;
