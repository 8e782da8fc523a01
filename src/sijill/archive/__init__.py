"""Archive services: creating and opening archives, ingest, custody, verification, export."""
