"""newsdedup: a deduplicating news-ingest pipeline (ingest, clean, detect, report) on DuckDB."""

__version__ = "0.1.0"
