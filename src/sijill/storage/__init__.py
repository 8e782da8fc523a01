"""Storage layer: SQL catalog, sealed blob store, full-text search and keys."""
