"""The merchant's knowledge files, from bytes to searchable rows and points.

``readers`` / ``tables`` parse a file by its suffix into a ``parsed.ParsedFile`` (prose sections
and FAQ pairs); ``chunking`` cuts sections into retrievable chunks; ``ingest.Ingestor`` stores
rows (storage/repositories/knowledge.py) and Qdrant points (built by agents/retrieval/points.py)
and tracks each file's processing status; ``report`` is what a run returns.
"""
